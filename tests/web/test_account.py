"""The author's account page, and the author commenting on her own site as herself."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cms.extensions import db
from cms.models import APPROVED, Author, ThrottleEvent
from tests.conftest import PASSWORD, make_app
from tests.support.comments import post_comment, set_site, stored_comments

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def talk(app, make_post) -> int:
    app.config["COMMENT_MIN_SECONDS"] = 0  # the form is sent as soon as it is fetched
    return make_post("Talk")


def test_the_account_page_changes_her_name_and_email(app, logged_in):
    page = logged_in.get("/editor/account").get_data(as_text=True)
    assert 'value="Alice Martin"' in page
    response = logged_in.post(
        "/editor/account",
        data={"display_name": "  Alice   M. ", "email": "Alice@Example.org"},
        follow_redirects=True,
    )
    assert "Your account is saved." in response.get_data(as_text=True)
    with app.app_context():
        alice = db.session.scalar(db.select(Author))
        assert (alice.display_name, alice.email) == ("Alice M.", "alice@example.org")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": "", "email": ""}, "This field is required."),
        ({"display_name": "Alice", "email": "not an address"}, "does not look like an e-mail"),
        ({"display_name": "A" * 121, "email": ""}, "longer than 120 characters"),
    ],
)
def test_a_wrong_account_form_comes_back_with_the_text_kept(app, logged_in, fields, message):
    response = logged_in.post("/editor/account", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert f'value="{fields["email"]}"' in page
    with app.app_context():
        assert db.session.scalar(db.select(Author.display_name)) == "Alice Martin"


def test_the_account_page_is_behind_login(client):
    assert client.get("/editor/account").status_code == 302
    assert client.post("/editor/account", data={"display_name": "Mallory"}).status_code == 302


def test_the_author_finds_her_name_and_email_filled_in(app, logged_in, talk):
    with app.app_context():
        db.session.scalar(db.select(Author)).email = "alice@example.org"
        db.session.commit()
    page = logged_in.get("/posts/talk/").get_data(as_text=True)
    assert 'value="Alice Martin"' in page and 'value="alice@example.org"' in page


def test_her_comment_is_published_with_the_author_mark(app, logged_in, talk, client):
    set_site(app, moderate_first_comment=True)
    response = post_comment(logged_in, "talk", name="Alice Martin", body="Thanks for reading.")
    assert response.status_code == 302
    [mine] = stored_comments(app, post_id=talk)
    assert mine.status == APPROVED and mine.author_id is not None
    visitor = app.test_client()
    page = visitor.get("/posts/talk/").get_data(as_text=True)
    assert page.count('class="comment-badge"') == 1 and ">author</span>" in page


def test_a_visitor_with_her_name_gets_no_mark(app, author, talk):
    set_site(app, moderate_first_comment=False)
    visitor = app.test_client()
    post_comment(visitor, "talk", name="Someone", body="A reader's word.")
    page = visitor.get("/posts/talk/").get_data(as_text=True)
    assert "comment-badge" not in page


def test_the_mark_is_in_french_on_a_french_site(app, logged_in, talk):
    set_site(app, language="fr")
    post_comment(logged_in, "talk", name="Alice Martin", body="Merci de votre lecture.")
    page = app.test_client().get("/posts/talk/").get_data(as_text=True)
    assert ">auteur</span>" in page


# --- The byline: her display name, never her login name -------------------------------------------


def set_author(app, **fields) -> None:
    with app.app_context():
        alice = db.session.scalar(db.select(Author))
        for name, value in fields.items():
            setattr(alice, name, value)
        db.session.commit()


def test_her_display_name_is_the_byline_of_her_posts_and_her_feed_entries(app, logged_in, talk):
    logged_in.post("/editor/account", data={"display_name": "Alice M.", "email": ""})
    visitor = app.test_client()
    assert "by Alice M." in visitor.get("/posts/talk/").get_data(as_text=True)
    feed = visitor.get("/feed.xml").get_data(as_text=True)
    assert "<author><name>Alice M.</name></author>" in feed


@pytest.mark.parametrize("stored", ["alice", "Alice", ""])
def test_her_login_name_is_never_shown_to_readers(app, author, talk, stored):
    """create-author used to store the login name as the display name: "by alice" on every post
    gave away half of what logs her in."""
    set_author(app, display_name=stored)
    visitor = app.test_client()
    page = visitor.get("/posts/talk/").get_data(as_text=True)
    assert "post-author" not in page and "by alice" not in page.lower()
    feed = visitor.get("/feed.xml").get_data(as_text=True)
    assert "<name>alice</name>" not in feed.lower()
    assert "<author><name>Causerie</name></author>" in feed  # the feed's own author stands in


def test_the_desk_invites_her_to_choose_a_name_until_she_has_one(app, logged_in):
    set_author(app, display_name="alice")
    dashboard = logged_in.get("/editor/").get_data(as_text=True)
    assert "Readers see no name on your posts" in dashboard
    assert 'href="/editor/account"' in dashboard
    account = logged_in.get("/editor/account").get_data(as_text=True)
    assert 'value="alice"' not in account  # the field asks for a name, it does not offer hers
    logged_in.post("/editor/account", data={"display_name": "Alice Martin", "email": ""})
    assert "Readers see no name" not in logged_in.get("/editor/").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["alice", " ALICE "])
def test_the_account_form_refuses_her_login_name_as_the_name_readers_see(app, logged_in, typed):
    response = logged_in.post("/editor/account", data={"display_name": typed, "email": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "This is your login name" in page
    with app.app_context():
        assert db.session.scalar(db.select(Author.display_name)) == "Alice Martin"


def test_a_logged_in_author_without_a_name_finds_the_comment_name_empty(app, logged_in, talk):
    set_author(app, display_name="alice")
    page = logged_in.get("/posts/talk/").get_data(as_text=True)
    assert 'value="alice"' not in page


# --- Her password, changed in the desk ------------------------------------------------------------


def change_password(client, current=PASSWORD, new="a new long passphrase", confirm=None):
    return client.post(
        "/editor/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def can_log_in(app, password: str) -> bool:
    response = app.test_client().post("/login", data={"username": "alice", "password": password})
    return response.status_code == 302


def test_the_account_page_offers_the_password_form(logged_in):
    page = logged_in.get("/editor/account").get_data(as_text=True)
    assert 'name="current_password"' in page and 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2
    assert "set-password" not in page


def test_she_changes_her_password_and_her_other_sessions_end(app, logged_in):
    elsewhere = app.test_client()  # her phone, or a cookie someone copied
    elsewhere.post("/login", data={"username": "alice", "password": PASSWORD})
    assert elsewhere.get("/editor/").status_code == 200
    response = change_password(logged_in)
    assert response.status_code == 302 and response.headers["Location"] == "/editor/account"
    page = logged_in.get("/editor/account").get_data(as_text=True)
    assert "Your password is changed. Your other sessions are logged out." in page
    assert elsewhere.get("/editor/").status_code == 302  # logged out there
    assert logged_in.get("/editor/").status_code == 200  # still in here
    assert not can_log_in(app, PASSWORD) and can_log_in(app, "a new long passphrase")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"current": "not my password"}, "This is not your current password."),
        ({"new": "short", "confirm": "short"}, "at least 8 characters"),
        ({"confirm": "another long passphrase"}, "The two new passwords differ."),
        ({"current": ""}, "This field is required."),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(app, logged_in, fields, message):
    response = change_password(logged_in, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert 'value="Alice Martin"' in page  # the rest of the page is as she left it
    assert "a new long passphrase" not in page and PASSWORD not in page  # never echoed back
    assert logged_in.get("/editor/").status_code == 200
    assert can_log_in(app, PASSWORD)


def age_attempts(app, seconds: float) -> None:
    """As if the attempts so far had been made `seconds` earlier."""
    with app.app_context():
        for event in db.session.scalars(db.select(ThrottleEvent)):
            event.at -= timedelta(seconds=seconds)
        db.session.commit()


def test_wrong_current_passwords_are_slowed_down_like_logins(app, logged_in):
    for _ in range(3):  # free, as on the login form
        assert change_password(logged_in, current="guess").status_code == 200
    refused = change_password(logged_in)  # the fourth waits a second, even the right one
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Please wait 1 second and try again." in refused.get_data(as_text=True)
    for _ in range(5):  # each heard once its wait is over: the wait doubles
        age_attempts(app, 600)
        assert change_password(logged_in, current="guess").status_code == 200
    refused = change_password(logged_in)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "32"
    # The login form's count: a stolen session cannot guess any faster there.
    response = app.test_client().post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    with app.app_context():
        assert db.session.scalar(db.select(Author)).check_password(PASSWORD)


def test_the_right_current_password_clears_the_wrong_ones(app, logged_in):
    for _ in range(3):
        change_password(logged_in, current="guess")
    age_attempts(app, 600)
    assert change_password(logged_in).status_code == 302
    for _ in range(3):
        assert change_password(logged_in, current="guess").status_code == 200


def test_the_password_form_needs_its_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        alice = Author(username="alice", display_name="Alice Martin")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    response = change_password(client)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(Author)).check_password(PASSWORD)
