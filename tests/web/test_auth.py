"""Logging in and out: hashed passwords, safe `next`, throttling, one message for every failure."""

import pytest

from cms.extensions import db
from cms.models import Author
from tests.conftest import PASSWORD


def login(client, username="alice", password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_password_is_stored_hashed(app, author):
    with app.app_context():
        stored = db.session.get(Author, author).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_login_then_dashboard(client, author):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/editor/"
    assert "Welcome back, Alice Martin." in client.get("/editor/").get_data(as_text=True)


def test_username_is_case_insensitive(client, author):
    assert login(client, username="ALICE").status_code == 302


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


def test_login_is_throttled_per_client(app, client, author):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = 3
    for _ in range(3):
        assert login(client, password="nope").status_code == 200
    response = login(client)  # even the right password waits
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_login_is_throttled_per_account_across_clients(app, author):
    app.config["LOGIN_ATTEMPTS_PER_ACCOUNT"] = 2
    for n in range(2):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        login(other, password="nope")
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert login(attacker).status_code == 429


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


def test_successful_login_clears_the_account_count(app, client, author):
    app.config["LOGIN_ATTEMPTS_PER_ACCOUNT"] = 3
    login(client, password="nope")
    login(client, password="nope")
    assert login(client).status_code == 302
    client.post("/logout")
    login(client, password="nope")
    login(client, password="nope")
    assert login(client).status_code == 302


def test_session_is_renewed_at_login(client, author):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session
