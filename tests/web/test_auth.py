"""Logging in and out: hashed passwords, safe `next`, throttling, one message for every failure."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cms.extensions import db
from cms.models import Author, ThrottleEvent
from tests.conftest import PASSWORD
from tests.support.comments import set_site


def login(client, username="alice", password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_password_is_stored_hashed(app, author):
    with app.app_context():
        stored = db.session.get(Author, author).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_login_then_dashboard(client, author):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/editor/"
    assert "Welcome, Alice Martin." in client.get("/editor/").get_data(as_text=True)


def test_the_first_login_welcomes_her_and_the_next_ones_welcome_her_back(app, client, author):
    login(client)
    first = client.get("/editor/").get_data(as_text=True)
    assert "Welcome, Alice Martin." in first and "Welcome back" not in first
    client.post("/logout")
    login(client)
    assert "Welcome back, Alice Martin." in client.get("/editor/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Author, author).last_login_at is not None


def test_a_wrong_password_is_not_a_login(app, client, author):
    login(client, password="wrong")
    login(client)
    assert "Welcome, Alice Martin." in client.get("/editor/").get_data(as_text=True)


def test_username_is_case_insensitive(client, author):
    assert login(client, username="ALICE").status_code == 302


@pytest.mark.parametrize("typed", ["élodie", "ÉLODIE", " Élodie ", "E\u0301lodie"])
def test_a_username_matches_whatever_the_case_of_its_accented_letters(app, client, typed):
    """SQLite's lower() folds only ASCII: "Élodie" could never log in there."""
    with app.app_context():
        elodie = Author(username="Élodie", display_name="Élodie")
        elodie.set_password(PASSWORD)
        db.session.add(elodie)
        db.session.commit()
    assert login(client, username=typed).status_code == 302


def test_control_characters_in_the_username_are_dropped(client, author):
    """A NUL reached PostgreSQL and gave a 500; like every one-line field, it is dropped."""
    assert login(client, username="ali\x00ce\x07").status_code == 302
    assert client.get("/editor/").status_code == 200


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", PASSWORD)])
def test_wrong_credentials_get_one_message(client, author, username, password):
    response = login(client, username=username, password=password)
    assert response.status_code == 200
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/editor/").status_code == 302


@pytest.mark.parametrize("target", ["/editor/settings", "/posts/x/?a=1"])
def test_next_on_this_site_is_followed(client, author, target):
    assert login(client, next=target).headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\t/evil.example",
    ],
)
def test_next_off_site_is_refused(client, author, target):
    assert login(client, next=target).headers["Location"] == "/editor/"


def test_login_page_carries_next_from_query(client):
    page = client.get("/login?next=/editor/settings").get_data(as_text=True)
    assert 'value="/editor/settings"' in page


def test_anonymous_editor_visit_redirects_to_login_with_next(client):
    response = client.get("/editor/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_a_post_and_ends_the_session(logged_in):
    assert logged_in.get("/logout").status_code == 405
    response = logged_in.post("/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert logged_in.get("/editor/").status_code == 302


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def age_attempts(app, seconds: float) -> None:
    """As if the attempts so far had been made `seconds` earlier."""
    with app.app_context():
        for event in db.session.scalars(select(ThrottleEvent)):
            event.at -= timedelta(seconds=seconds)
        db.session.commit()


def test_three_wrong_passwords_are_free_then_each_attempt_waits_twice_as_long(app, author):
    client = client_at(app, "192.0.2.10")
    for _ in range(3):
        assert login(client, password="nope").status_code == 200
    # The fourth comes at once: it waits a second, even with the right password.
    refused = login(client)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Please wait 1 second and try again." in refused.get_data(as_text=True)
    age_attempts(app, 1.1)
    assert login(client, password="nope").status_code == 200  # heard: the 4th wrong one
    refused = login(client)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "Please wait 2 seconds" in refused.get_data(as_text=True)
    age_attempts(app, 2.1)
    assert login(client).status_code == 302  # the right password, once heard, gets in


def test_the_wait_stops_growing_at_the_longest_wait(app, author):
    app.config["LOGIN_LONGEST_WAIT_SECONDS"] = 300
    client = client_at(app, "192.0.2.11")
    for _ in range(12):
        age_attempts(app, 301)
        assert login(client, password="nope").status_code == 200
    refused = login(client)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "300"
    assert "Please wait 5 minutes and try again." in refused.get_data(as_text=True)


def test_an_attacker_elsewhere_never_locks_the_author_out(app, author):
    attacker = client_at(app, "203.0.113.66")
    for _ in range(8):
        login(attacker, password="guess")
    assert login(attacker, password="guess").status_code == 429
    # The author, from her own address, with her password, gets in at once.
    assert login(client_at(app, "198.51.100.7")).status_code == 302


def test_a_successful_login_clears_the_wrong_attempts(app, author):
    client = client_at(app, "192.0.2.12")
    for _ in range(3):
        login(client, password="nope")
    age_attempts(app, 1.1)
    assert login(client).status_code == 302
    client.post("/logout")
    for _ in range(3):
        assert login(client, password="nope").status_code == 200
    assert login(client, password="nope").status_code == 429


def test_one_network_is_capped_across_accounts(app, author):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = 5
    client = client_at(app, "192.0.2.13")
    for n in range(5):
        assert login(client, username=f"guess{n}", password="x").status_code == 200
    refused = login(client)  # a sixth attempt, on any account, waits out the window
    assert refused.status_code == 429
    assert "Please wait 15 minutes and try again." in refused.get_data(as_text=True)
    assert login(client_at(app, "192.0.2.14")).status_code == 302


def test_an_ipv6_network_is_one_client(app, author):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = 3
    for n in range(3):
        login(client_at(app, f"2001:db8:1:2::{n + 1:x}"), username=f"guess{n}", password="x")
    assert login(client_at(app, "2001:db8:1:2:ffff::9")).status_code == 429
    assert login(client_at(app, "2001:db8:1:3::1")).status_code == 302


def test_the_wait_is_in_french_on_a_french_site(app, author):
    set_site(app, language="fr")
    client = client_at(app, "192.0.2.15")
    for _ in range(3):
        login(client, password="nope")
    page = login(client).get_data(as_text=True)
    assert "Patientez 1 seconde et réessayez." in page


def test_forwarded_for_header_does_not_dodge_the_throttle(app, client, author):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = 2
    for n in range(2):
        login(client, username=f"guess{n}", password="nope")
    response = client.post(
        "/login",
        data={"username": "guess9", "password": "x"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert response.status_code == 429


def test_session_is_renewed_at_login(client, author):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session
