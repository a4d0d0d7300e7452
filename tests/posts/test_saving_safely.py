"""The post form never loses or doubles a save: one post per new-post form, a save after the
session ended keeps the text through the login, a conflict shows what differs and overwrites
only when asked, and an empty post is not published by accident."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from cms.extensions import db
from cms.models import DRAFT, PUBLISHED, Author, Autosave, Post
from tests.conftest import PASSWORD, get_post, make_app
from tests.posts.test_editor import post_form
from tests.support.comments import set_site

FORM_KEY_RE = re.compile(r'name="form_key" type="hidden" value="([^"]+)"')


class FormFields(HTMLParser):
    """The fields a browser would send with the form whose action contains `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.action in (attrs.get("action") or "")
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") not in ("submit", "checkbox") or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser reads CRLF as LF, and drops the newline that follows <textarea>.
            text = self.fields[self._textarea].replace("\r\n", "\n")
            self.fields[self._textarea] = text.removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


def new_form_key(client, url="/editor/posts/new") -> str:
    return FORM_KEY_RE.search(client.get(url).get_data(as_text=True)).group(1)


# --- One post per new-post form ------------------------------------------------------------------


def test_the_same_new_post_form_sent_twice_makes_one_post(app, logged_in):
    key = new_form_key(logged_in)
    first = logged_in.post(
        "/editor/posts/new", data=post_form(title="Once", body="First.", form_key=key)
    )
    # Back to the form, a word added, Save again: the same form, so the same post.
    again = logged_in.post(
        "/editor/posts/new", data=post_form(title="Once", body="First, and more.", form_key=key)
    )
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert post_count(app) == 1
    post = get_post(app, title="Once")
    assert (post.body, post.slug, post.version) == ("First, and more.", "once", 2)
    page = logged_in.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form had already saved this post: it was updated, not saved twice." in page


def test_a_new_post_form_sent_again_after_an_edit_elsewhere_is_a_conflict(app, logged_in):
    key = new_form_key(logged_in)
    logged_in.post("/editor/posts/new", data=post_form(title="Once", body="First.", form_key=key))
    post = get_post(app, title="Once")
    logged_in.post(
        f"/editor/posts/{post.id}/edit", data=post_form(title="Once", body="Edited.", version="1")
    )
    response = logged_in.post(
        "/editor/posts/new", data=post_form(title="Once", body="Old form.", form_key=key)
    )
    assert response.status_code == 409
    assert "This post was changed elsewhere" in response.get_data(as_text=True)
    assert post_count(app) == 1 and get_post(app, id=post.id).body == "Edited."


def test_the_new_post_form_opened_again_with_its_key_says_it_saved_already(app, logged_in):
    key = new_form_key(logged_in)
    logged_in.post("/editor/posts/new", data=post_form(title="Once", form_key=key))
    page = logged_in.get(f"/editor/posts/new?form={key}").get_data(as_text=True)
    assert "This form already saved “Once”" in page
    assert FORM_KEY_RE.search(page).group(1) == key
    # A key it did not make is not taken: the form gets a fresh one.
    page = logged_in.get("/editor/posts/new?form=<script>").get_data(as_text=True)
    assert FORM_KEY_RE.search(page).group(1) not in (key, "<script>")


def test_two_new_post_forms_make_two_posts(app, logged_in):
    for body in ("One.", "Two."):
        logged_in.post(
            "/editor/posts/new",
            data=post_form(title="Twice", body=body, form_key=new_form_key(logged_in)),
        )
    assert post_count(app) == 2


# --- A save after the session ended --------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        alice = Author(username="alice", display_name="Alice Martin")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()
    return app


def csrf_login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    fields = form_fields(page, "/login") | {"username": "alice", "password": PASSWORD}
    assert client.post("/login", data=fields).status_code == 302


@pytest.mark.parametrize("url", ["/editor/posts/new", "/editor/pages/new"])
def test_a_save_without_a_session_says_so_and_leads_back_with_the_text(csrf_app, url):
    client = csrf_app.test_client()  # never logged in, or the session cookie is gone
    typed = post_form(title="Kept", body="Typed while\nlogged out.", csrf_token="stale")
    response = client.post(url, data=typed, headers={"Origin": "http://blog.test"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Your session ended: your text is kept" in page
    assert "elsewhere" not in page and "another site" not in page
    assert "Typed while\nlogged out." in page
    assert post_count(csrf_app) == 0

    fields = form_fields(page, "/login") | {"username": "alice", "password": PASSWORD}
    login = client.post("/login", data=fields)
    assert login.status_code == 302
    assert login.headers["Location"].startswith(url + "?")
    editor = client.get(login.headers["Location"]).get_data(as_text=True)
    assert form_fields(editor, url)["title"] == "Kept"
    assert form_fields(editor, url)["body"] == "Typed while\nlogged out."
    assert post_count(csrf_app) == 0  # in the form, saved when she saves


def test_a_french_site_does_not_call_it_a_form_from_another_site(csrf_app):
    set_site(csrf_app, language="fr")
    response = csrf_app.test_client().post("/editor/posts/new", data=post_form(body="Gardé."))
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and '<html lang="fr">' in page
    assert "autre site" not in page and "Gardé." in page
    assert "Identifiant" in page and "Mot de passe" in page


def test_a_wrong_password_on_the_session_page_keeps_the_text(csrf_app):
    client = csrf_app.test_client()
    page = client.post(
        "/editor/posts/new", data=post_form(title="Kept", body="Still here.")
    ).get_data(as_text=True)
    fields = form_fields(page, "/login") | {"username": "alice", "password": "wrong"}
    again = client.post("/login", data=fields).get_data(as_text=True)
    assert "Wrong username or password." in again
    assert form_fields(again, "/login")["kept_body"] == "Still here."


def test_an_edit_saved_without_a_session_comes_back_to_the_post(csrf_app):
    with csrf_app.app_context():
        post = Post(title="Story", slug="story", body="Saved.", status=DRAFT, author_id=1)
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    client = csrf_app.test_client()
    url = f"/editor/posts/{post_id}/edit"
    page = client.post(url, data=post_form(title="Story", body="Saved, then more.", version="1"))
    fields = form_fields(page.get_data(as_text=True), "/login")
    login = client.post("/login", data=fields | {"username": "alice", "password": PASSWORD})
    editor = client.get(login.headers["Location"]).get_data(as_text=True)
    assert form_fields(editor, url)["body"] == "Saved, then more."
    assert get_post(csrf_app, id=post_id).body == "Saved."
    with csrf_app.app_context():
        assert db.session.scalar(select(Autosave.body)) == "Saved, then more."


def test_a_save_sent_from_another_site_is_still_refused_as_such(csrf_app):
    response = csrf_app.test_client().post(
        "/editor/posts/new",
        data=post_form(title="Forged", body="From elsewhere."),
        headers={"Origin": "https://attacker.example"},
    )
    assert response.status_code == 400
    assert "From elsewhere." not in response.get_data(as_text=True)


def test_a_save_with_a_stale_token_shows_the_form_again_with_the_text(csrf_app):
    client = csrf_app.test_client()
    csrf_login(client)  # logged in again since the form was opened: its token is an old one
    response = client.post(
        "/editor/posts/new", data=post_form(title="Kept", body="Typed.", csrf_token="stale")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This page had expired, so nothing was saved." in page
    assert "elsewhere" not in page
    fields = form_fields(page, "/editor/posts/new")
    assert (fields["title"], fields["body"]) == ("Kept", "Typed.")
    assert post_count(csrf_app) == 0
    # Its fresh token saves.
    assert client.post("/editor/posts/new", data=fields | {"action": "save"}).status_code == 302
    assert post_count(csrf_app) == 1


# --- Conflicts -----------------------------------------------------------------------------------


def two_tabs(app, logged_in, make_post) -> int:
    post_id = make_post("Story", body="Line one.\nLine two.\nLine three.")
    logged_in.post(  # tab B saves first
        f"/editor/posts/{post_id}/edit",
        data=post_form(title="Story", body="Line one.\nLine 2 from B.\nLine three.", version="1"),
    )
    return post_id


def test_a_conflict_shows_what_differs_and_save_again_overwrites_nothing(app, logged_in, make_post):
    post_id = two_tabs(app, logged_in, make_post)
    mine = post_form(title="Story", body="Line one.\nLine two.\nLine three, from A.", version="1")
    response = logged_in.post(f"/editor/posts/{post_id}/edit", data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This post was changed elsewhere" in page
    # The lines that differ, marked, not the whole saved text in one block.
    assert '<table class="diff">' in page
    assert "Line <del>2 from B</del>." in page and "Line <ins>two</ins>." in page
    assert "Line three<ins>, from A</ins>." in page
    assert 'class="saved-text"' not in page
    # Saving again, as the form now stands, still asks: nothing is overwritten by default.
    again = logged_in.post(f"/editor/posts/{post_id}/edit", data=form_fields(page, "/edit"))
    assert again.status_code == 409
    assert get_post(app, id=post_id).body == "Line one.\nLine 2 from B.\nLine three."


def test_overwriting_the_other_version_is_an_explicit_choice(app, logged_in, make_post):
    post_id = two_tabs(app, logged_in, make_post)
    mine = post_form(title="Story", body="Mine.", version="1")
    page = logged_in.post(f"/editor/posts/{post_id}/edit", data=mine).get_data(as_text=True)
    assert "Replace the saved version with my text" in page
    fields = form_fields(page, "/edit") | {"action": "overwrite"}
    response = logged_in.post(f"/editor/posts/{post_id}/edit", data=fields)
    assert response.status_code == 302
    assert get_post(app, id=post_id).body == "Mine."
    # A replace offered against version 2 does not replace a version 3 saved meanwhile.
    logged_in.post(
        f"/editor/posts/{post_id}/edit", data=post_form(title="Story", body="Third.", version="3")
    )
    stale = fields | {"body": "Mine, again."}
    assert logged_in.post(f"/editor/posts/{post_id}/edit", data=stale).status_code == 409
    assert get_post(app, id=post_id).body == "Third."


# --- Publishing an empty post --------------------------------------------------------------------


def test_publishing_an_empty_post_asks_first_and_keeps_the_form(app, logged_in):
    response = logged_in.post(
        "/editor/posts/new", data=post_form(title="Nothing yet", body="  \n", status=PUBLISHED)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is no text: published, readers would find an empty page." in page
    assert form_fields(page, "/editor/posts/new")["title"] == "Nothing yet"
    assert post_count(app) == 0
    # A draft with no text is fine, and publishing it empty on purpose too.
    draft = logged_in.post(
        "/editor/posts/new", data=post_form(title="Draft", body="", status=DRAFT)
    )
    assert draft.status_code == 302
    confirmed = logged_in.post(
        "/editor/posts/new",
        data=post_form(title="Nothing yet", body="", status=PUBLISHED, action="publish-empty"),
    )
    assert confirmed.status_code == 302
    assert get_post(app, title="Nothing yet").status == PUBLISHED
