"""The author's account page, and the author commenting on her own site as herself."""

from __future__ import annotations

import pytest

from cms.extensions import db
from cms.models import APPROVED, Author
from tests.support.comments import post_comment, set_site, stored_comments


@pytest.fixture
def talk(app, make_post) -> int:
    app.config["COMMENT_MIN_SECONDS"] = 0  # the form is sent as soon as it is fetched
    return make_post("Talk")


def test_the_account_page_changes_her_name_and_email(app, logged_in):
    page = logged_in.get("/editor/account").get_data(as_text=True)
    assert 'value="Alice Martin"' in page and "set-password alice" in page
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
