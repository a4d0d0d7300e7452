"""Autosave: kept apart from the post, offered back when newer, pruned; JSON for the scripts."""

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from cms.clock import utcnow
from cms.extensions import db
from cms.models import DRAFT, PAGE, POST, Author, Autosave
from tests.conftest import PASSWORD, get_post, make_app

FETCH = {"X-Requested-With": "fetch"}


def autosave(client, **payload):
    return client.post("/editor/autosave", json=payload, headers=FETCH)


def autosaves(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.post_id, a.kind, a.title, a.body)
            for a in db.session.scalars(select(Autosave).order_by(Autosave.id))
        ]


def test_autosave_never_touches_the_published_post(app, logged_in, make_post):
    post_id = make_post("Live", body="Published *text*.")
    before = get_post(app, id=post_id)
    for n in range(3):
        response = autosave(logged_in, post_id=post_id, title="Live, retitled", body=f"Draft {n}")
        assert response.status_code == 200
        assert response.json["saved"] is True and "Autosaved at" in response.json["message"]
    after = get_post(app, id=post_id)
    assert (after.title, after.body, after.body_html, after.version, after.updated_at) == (
        before.title,
        before.body,
        before.body_html,
        before.version,
        before.updated_at,
    )
    assert autosaves(app) == [(post_id, POST, "Live, retitled", "Draft 2")]  # one per author+post
    assert "Published <em>text</em>." in logged_in.get("/posts/live/").get_data(as_text=True)


def test_text_equal_to_the_saved_post_is_not_kept(app, logged_in, make_post):
    post_id = make_post("Same", body="Unchanged.")
    autosave(logged_in, post_id=post_id, title="Same", body="Changed.")
    response = autosave(logged_in, post_id=post_id, title="Same", body="Unchanged.")
    assert response.json["saved"] is False
    assert autosaves(app) == []


def test_editor_offers_a_newer_autosave_and_restores_it_into_the_form(app, logged_in, make_post):
    post_id = make_post("Story", body="Saved text.")
    assert "Unsaved text was kept" not in logged_in.get(f"/editor/posts/{post_id}/edit").get_data(
        as_text=True
    )
    autosave(logged_in, post_id=post_id, title="Story", body="Typed after the save.")

    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "Unsaved text was kept" in page
    assert f'href="/editor/posts/{post_id}/edit?restore=autosave"' in page
    assert re.search(
        r"<textarea[^>]*>\s*Saved text.</textarea>", page
    )  # the form still shows the post

    restored = logged_in.get(f"/editor/posts/{post_id}/edit?restore=autosave").get_data(
        as_text=True
    )
    assert re.search(r"<textarea[^>]*>\s*Typed after the save.</textarea>", restored)
    assert "It is saved only when you save." in restored
    assert "Unsaved text was kept" not in restored
    assert get_post(app, id=post_id).body == "Saved text."  # restoring saves nothing


def test_an_autosave_older_than_the_post_is_not_offered(app, logged_in, make_post):
    post_id = make_post("Story", body="Saved text.")
    autosave(logged_in, post_id=post_id, title="Story", body="Older typing.")
    with app.app_context():
        db.session.execute(update(Autosave).values(saved_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "Unsaved text was kept" not in page


def test_saving_the_post_removes_its_autosave(app, logged_in, make_post):
    post_id = make_post("Story", body="v1", status=DRAFT)
    autosave(logged_in, post_id=post_id, title="Story", body="v2 typed")
    logged_in.post(
        f"/editor/posts/{post_id}/edit",
        data={
            "title": "Story",
            "slug": "story",
            "body": "v2 typed",
            "tags": "",
            "status": DRAFT,
            "published_at": "",
            "version": "1",
            "action": "save",
        },
    )
    assert get_post(app, id=post_id).body == "v2 typed"
    assert autosaves(app) == []


def test_new_post_and_new_page_have_their_own_autosave(app, logged_in):
    autosave(logged_in, post_id=None, kind=POST, title="A new post", body="Post text")
    autosave(logged_in, post_id=None, kind=PAGE, title="About", body="Page text")
    assert sorted(autosaves(app)) == [
        (None, PAGE, "About", "Page text"),
        (None, POST, "A new post", "Post text"),
    ]
    page = logged_in.get("/editor/pages/new", follow_redirects=True).get_data(as_text=True)
    assert "Unsaved text was kept" in page and 'data-body="Page text"' in page
    restored = logged_in.get("/editor/posts/new?restore=autosave", follow_redirects=True).get_data(
        as_text=True
    )
    assert 'value="A new post"' in restored and "Post text</textarea>" in restored

    logged_in.post(
        "/editor/posts/new",
        data={
            "title": "A new post",
            "slug": "",
            "body": "Post text",
            "tags": "",
            "status": DRAFT,
            "published_at": "",
            "action": "save",
        },
    )
    assert autosaves(app) == [(None, PAGE, "About", "Page text")]  # the page's is still there


def test_discarding_the_autosave(app, logged_in, make_post):
    post_id = make_post("Story", body="Saved text.")
    autosave(logged_in, post_id=post_id, title="Story", body="Not wanted.")
    response = logged_in.post("/editor/autosave/discard", data={"post_id": str(post_id)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/editor/posts/{post_id}/edit"
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "The autosaved text was discarded." in page and "Unsaved text was kept" not in page
    assert autosaves(app) == []


def test_old_autosaves_are_pruned(app, logged_in, make_post):
    first, second = make_post("First"), make_post("Second")
    autosave(logged_in, post_id=first, title="First", body="Forgotten")
    with app.app_context():
        db.session.execute(update(Autosave).values(saved_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    autosave(logged_in, post_id=second, title="Second", body="Fresh")
    assert autosaves(app) == [(second, POST, "Second", "Fresh")]


def test_autosave_is_only_for_the_author_who_typed(app, logged_in, make_post, client):
    post_id = make_post("Shared")
    autosave(logged_in, post_id=post_id, title="Shared", body="Alice's typing")
    with app.app_context():
        bob = Author(username="bob", display_name="Bob")
        bob.set_password(PASSWORD)
        db.session.add(bob)
        db.session.commit()
    other = app.test_client()
    other.post("/login", data={"username": "bob", "password": PASSWORD})
    page = other.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "Unsaved text was kept" not in page


def test_bad_autosave_requests_are_refused(app, logged_in, make_post):
    assert autosave(logged_in, post_id=999, title="x", body="y").status_code == 404
    assert logged_in.post("/editor/autosave", data="not json", headers=FETCH).status_code == 400
    assert autosave(logged_in, post_id="1", title="x", body="y").status_code == 400
    assert autosave(logged_in, title="x" * 201, body="y").status_code == 413
    with app.app_context():
        assert db.session.scalar(select(func.count(Autosave.id))) == 0


def test_expired_session_gets_401_json_not_a_redirect(client, make_post):
    post_id = make_post("Story")
    response = autosave(client, post_id=post_id, title="Story", body="typed while logged out")
    assert response.status_code == 401
    assert response.json["error"] == "login"
    assert "Your session has expired" in response.json["message"]
    assert response.json["login_url"] == "/login"
    # A page load still goes to the login page.
    page = client.get(f"/editor/posts/{post_id}/edit")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_with_csrf_on_a_script_needs_the_token_and_gets_json(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        alice = Author(username="alice", display_name="Alice")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()
    # Logged out: the guard answers first, in JSON, whatever the token.
    assert autosave(client, title="t", body="b").status_code == 401

    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    editor = client.get("/editor/posts/new", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', editor).group(1)

    refused = autosave(client, title="t", body="no token")
    assert refused.status_code == 400 and refused.json["error"] == "csrf"
    accepted = client.post(
        "/editor/autosave",
        json={"title": "t", "body": "with token"},
        headers=FETCH | {"X-CSRFToken": token},
    )
    assert accepted.status_code == 200 and accepted.json["saved"] is True
    with app.app_context():
        assert [a.body for a in db.session.scalars(select(Autosave))] == ["with token"]
        db.engine.dispose()


def test_impossible_ids_are_refused_not_an_error(logged_in):
    huge = "9" * 23
    discard = logged_in.post("/editor/autosave/discard", data={"post_id": huge, "kind": "post"})
    assert discard.status_code == 404
    assert autosave(logged_in, post_id=int(huge), title="x", body="y").status_code == 400
    bulk = logged_in.post("/editor/comments/bulk", data={"ids": [huge, "²"], "action": "approve"})
    assert bulk.status_code == 302  # "tick at least one comment first"
    assert logged_in.get(f"/editor/comments?post={huge}").status_code == 404
