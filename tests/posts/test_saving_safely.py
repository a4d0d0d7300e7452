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
        self._select: str | None = None

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
        elif self.inside and tag == "select":
            self._select = attrs["name"]
        elif self._select and tag == "option":
            # A browser sends the selected option, else the first.
            first = self._select not in self.fields
            self.fields[self._select] = (
                attrs.get("value") or ""
                if first or "selected" in attrs
                else self.fields[self._select]
            )

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser reads CRLF as LF, and drops the newline that follows <textarea>.
            text = self.fields[self._textarea].replace("\r\n", "\n")
            self.fields[self._textarea] = text.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


def saved_draft(app) -> int:
    """The id of a draft "Story" whose saved text is "Saved." (version 1)."""
    with app.app_context():
        post = Post(title="Story", slug="story", body="Saved.", status=DRAFT, author_id=1)
        db.session.add(post)
        db.session.commit()
        return post.id


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


def new_form_key(client, url="/editor/posts/new") -> str:
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    return FORM_KEY_RE.search(page).group(1)


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
    page = logged_in.get("/editor/posts/new?form=<script>", follow_redirects=True)
    page = page.get_data(as_text=True)
    assert FORM_KEY_RE.search(page).group(1) not in (key, "<script>")


def test_back_then_save_without_scripts_lands_on_the_first_post(app, logged_in):
    """Without the script, as Chromium does it: Back fetches the form's address again and puts
    back the text typed in it, never a hidden field (the new form key would make a copy)."""
    opened = logged_in.get("/editor/posts/new", follow_redirects=True)
    address = opened.request.full_path  # the history entry Back returns to
    typed = {"title": "Once", "body": "First."}
    fields = form_fields(opened.get_data(as_text=True), "/editor/posts/new")
    first = logged_in.post(address, data=fields | typed | {"action": "save"})
    assert first.status_code == 302

    back = logged_in.get(address).get_data(as_text=True)
    assert "This form already saved “Once”" in back
    fields = form_fields(back, "/editor/posts/new") | typed | {"body": "First, and a fix."}
    again = logged_in.post(address, data=fields | {"action": "save"})
    assert again.headers["Location"] == first.headers["Location"]
    assert post_count(app) == 1
    assert get_post(app, title="Once").body == "First, and a fix."
    page = logged_in.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form had already saved this post: it was updated, not saved twice." in page


def test_a_new_post_form_always_has_its_key_in_its_address(app, logged_in):
    for url in ("/editor/posts/new", "/editor/pages/new", "/editor/posts/new?form=<script>"):
        response = logged_in.get(url)
        assert response.status_code == 302
        key = re.search(r"[?&]form=([\w-]+)", response.headers["Location"]).group(1)
        page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
        assert FORM_KEY_RE.search(page).group(1) == key
        assert f'action="{url.partition("?")[0]}?form={key}"' in page
    # What else the address asked for goes along.
    response = logged_in.get("/editor/posts/new?restore=autosave")
    assert "restore=autosave" in response.headers["Location"]
    # As it came: never url_for's own options (an anchor, a scheme, another host).
    response = logged_in.get("/editor/posts/new?_anchor=x&_external=1")
    assert response.headers["Location"].startswith("/editor/posts/new?_anchor=x&_external=1&form=")


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
    editor = client.get(login.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert form_fields(editor, url)["title"] == "Kept"
    assert form_fields(editor, url)["body"] == "Typed while\nlogged out."
    assert post_count(csrf_app) == 0  # in the form, saved when she saves


def log_in_from(client, page: str):
    """Log in with the form of the login page `page`, as a browser sends it."""
    fields = form_fields(page, "/login") | {"username": "alice", "password": PASSWORD}
    login = client.post("/login", data=fields)
    assert login.status_code == 302
    return login.headers["Location"]


@pytest.mark.parametrize(
    ("url", "choices"),
    [
        (
            "/editor/posts/new",
            # allow_comments unticked: a browser leaves it out.
            {"slug": "kept-address", "tags": "notes, voyage", "published_at": "2031-05-04T09:30"},
        ),
        ("/editor/pages/new", {"slug": "kept-page", "nav_order": "3"}),
    ],
    ids=["post", "page"],
)
def test_a_save_without_a_session_brings_every_field_back(csrf_app, url, choices):
    client = csrf_app.test_client()
    typed = {"title": "Kept", "body": "Typed while logged out.", "status": PUBLISHED} | choices
    sent = {"csrf_token": "stale", "form_key": "k" * 32, "version": "", "action": "save"} | typed
    response = client.post(url, data=sent, headers={"Origin": "http://blog.test"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "the editor opens with everything you had filled in back in the form" in page

    editor = client.get(log_in_from(client, page))
    page = editor.get_data(as_text=True)
    assert editor.status_code == 200
    assert "You are logged in again: everything you had filled in is back in the form" in page
    fields = form_fields(page, url)
    assert {name: fields.get(name) for name in typed} == typed
    assert "allow_comments" not in fields  # still unticked
    assert post_count(csrf_app) == 0  # in the form, saved when she saves

    assert client.post(url, data=fields | {"action": "save"}).status_code == 302
    post = get_post(csrf_app, title="Kept")
    assert (post.slug, post.status, post.body) == (choices["slug"], PUBLISHED, typed["body"])
    if "tags" in choices:
        assert [tag.name for tag in post.tags] == ["notes", "voyage"]
        assert post.published_at.year == 2031 and not post.allow_comments
    else:
        assert post.nav_order == 3


def test_back_then_save_after_the_session_ended_comes_back_on_the_first_post(csrf_app):
    client = csrf_app.test_client()
    csrf_login(client)
    opened = client.get("/editor/posts/new", follow_redirects=True)
    address = opened.request.full_path
    typed = {"title": "Once", "body": "First.", "tags": "notes", "action": "save"}
    fields = form_fields(opened.get_data(as_text=True), "/editor/posts/new") | typed
    first = client.post(address, data=fields)
    back = client.get(address).get_data(as_text=True)
    fields = form_fields(back, "/editor/posts/new") | typed | {"body": "First, and a fix."}
    client = csrf_app.test_client()  # the session ended before this Save
    page = client.post(address, data=fields).get_data(as_text=True)

    editor = client.get(log_in_from(client, page))
    assert editor.request.path == first.headers["Location"]
    fields = form_fields(editor.get_data(as_text=True), "/edit")
    assert (fields["body"], fields["tags"]) == ("First, and a fix.", "notes")
    assert (
        client.post(first.headers["Location"], data=fields | {"action": "save"}).status_code == 302
    )
    assert post_count(csrf_app) == 1
    assert get_post(csrf_app, title="Once").body == "First, and a fix."


def test_an_edit_that_changed_only_its_tags_keeps_them_through_the_login(csrf_app):
    post_id = saved_draft(csrf_app)
    client = csrf_app.test_client()
    url = f"/editor/posts/{post_id}/edit"
    sent = post_form(title="Story", body="Saved.", tags="new, tags", status=DRAFT, version="1")
    page = client.post(url, data=sent).get_data(as_text=True)
    editor = client.get(log_in_from(client, page)).get_data(as_text=True)
    fields = form_fields(editor, url)
    assert (fields["tags"], fields["body"], fields["version"]) == ("new, tags", "Saved.", "1")
    assert client.post(url, data=fields | {"action": "save"}).status_code == 302
    assert [tag.name for tag in get_post(csrf_app, id=post_id).tags] == ["new", "tags"]


def test_an_edit_kept_through_the_login_still_asks_before_replacing_a_newer_save(csrf_app):
    """The form keeps the version it was opened at: a save made elsewhere meanwhile is shown,
    not silently replaced by the text that waited for the login."""
    post_id = saved_draft(csrf_app)
    client = csrf_app.test_client()
    url = f"/editor/posts/{post_id}/edit"
    page = client.post(url, data=post_form(title="Story", body="Mine.", version="1"))
    with csrf_app.app_context():  # another tab saves while she logs in again
        post = db.session.get(Post, post_id)
        post.body, post.version = "Theirs.", 2
        db.session.commit()
    editor = client.get(log_in_from(client, page.get_data(as_text=True))).get_data(as_text=True)
    fields = form_fields(editor, url)
    assert (fields["body"], fields["version"]) == ("Mine.", "1")
    again = client.post(url, data=fields | {"action": "save"})
    assert again.status_code == 409
    assert get_post(csrf_app, id=post_id).body == "Theirs."


def lost_save_then_login(app, **fields):
    """A new post's Save sent with no session, then the login from the page it got."""
    client = app.test_client()
    page = client.post("/editor/posts/new", data=post_form(**fields)).get_data(as_text=True)
    fields = form_fields(page, "/login") | {"username": "alice", "password": PASSWORD}
    login = client.post("/login", data=fields)
    # Handed back in the session cookie: past 4 KB a browser refuses it, and the login too.
    assert len(login.headers["Set-Cookie"].partition(";")[0]) < 4093
    editor = client.get(login.headers["Location"], follow_redirects=True)
    return page, editor.get_data(as_text=True)


def test_the_longest_fields_the_form_takes_come_back(csrf_app):
    # As many characters as the fields take, that compress badly.
    tags = "".join("abcdefghijklmnopqrstuvwxyz, "[(n * 7919) % 28] for n in range(1000)).strip()
    slug = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[(n * 7919) % 36] for n in range(200))
    page, editor = lost_save_then_login(csrf_app, title="Long", tags=tags, slug=slug)
    assert "everything you had filled in back in the form" in page
    fields = form_fields(editor, "/editor/posts/new")
    assert (fields["tags"], fields["slug"]) == (tags, slug)


def test_fields_too_long_for_the_session_are_not_promised(csrf_app):
    tags = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(1000))  # a kilo of kanji
    page, editor = lost_save_then_login(csrf_app, title="Long", body="Text.", tags=tags)
    assert "everything you had filled in" not in page
    assert "the editor opens with your text in the form" in page
    assert form_fields(editor, "/editor/posts/new")["body"] == "Text."
    assert "The autosaved text is in the form below." in editor


def test_the_login_carries_every_field_of_the_post_form():
    """Keep in step: a field added to the post form comes back after a lost session too (the
    text as the autosave, the form's key in the address, the token is made anew)."""
    from wtforms.fields.core import UnboundField

    from cms.web.desk.forms import PostForm
    from cms.web.desk.session_ends import KEPT_FIELDS

    fields = {name for name in dir(PostForm) if isinstance(getattr(PostForm, name), UnboundField)}
    assert fields == set(KEPT_FIELDS) | {"title", "body", "form_key"}


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
    post_id = saved_draft(csrf_app)
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
