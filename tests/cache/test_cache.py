"""The page cache: stored anonymous pages, 304s, and every change showing on the next request."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cms.cache import page_cache
from cms.clock import utcnow
from cms.extensions import db
from cms.models import APPROVED, PENDING, Comment, ContentVersion, Post
from tests.conftest import PASSWORD, make_app
from tests.support.comments import add_comment, form_token, post_comment, set_site

PAGE = "/posts/a-post/"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    set_site(app)  # the settings row exists, as on any site that served a page
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def renders(app) -> list[str]:
    """The paths the app itself rendered (a stored page is served without reaching Flask)."""
    seen: list[str] = []
    app.before_request(lambda: seen.append(__import__("flask").request.path))
    return seen


def without_token(page: bytes) -> bytes:
    """The page with its comment form token blanked: the token names the second it was issued,
    so two answers a second apart differ there and only there."""
    return re.sub(rb'(name="token"[^>]*value=")[^"]*"', rb'\1"', page)


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(ContentVersion.version)) or 0


def age_content(app, hours: int = 1) -> None:
    """Move the last change into the past (the version row is no public content: no bump)."""
    with app.app_context():
        db.session.execute(
            update(ContentVersion).values(changed_at=utcnow() - timedelta(hours=hours))
        )
        db.session.commit()


def test_anonymous_page_is_stored_with_validators_and_sets_no_cookie(
    app, client, make_post, renders
):
    make_post("A post")
    first = client.get(PAGE)
    second = client.get(PAGE)
    assert first.status_code == second.status_code == 200
    assert renders == [PAGE]  # the second answer came from the store
    assert without_token(first.data) == without_token(second.data)
    assert first.headers["Cache-Control"] == "public, max-age=5"
    assert first.headers["ETag"] == second.headers["ETag"]
    assert "Cookie" in first.headers["Vary"]
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    # The security headers are stored with the page.
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    for path in ("/", "/feed.xml", "/tags/web/", "/archive/"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
    assert client.get_cookie("session") is None


def test_unchanged_pages_answer_304(app, client, make_post, renders):
    make_post("A post")
    age_content(app)
    response = client.get(PAGE)
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    again = client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(PAGE, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(PAGE, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert renders == [PAGE]  # neither 304 nor the stored copy rendered anything


def test_head_gets_the_stored_headers_without_body(app, client, make_post):
    make_post("A post")
    page = client.get(PAGE)
    head = client.head(PAGE)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == page.headers["ETag"]


def assert_fresh(client, etag: str, expected: str) -> str:
    """The page is rendered again, with a new ETag, and shows `expected`."""
    response = client.get(PAGE, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert expected in response.get_data(as_text=True)
    return response.headers["ETag"]


def test_every_change_shows_on_the_next_request(app, client, make_post, logged_in):
    post_id = make_post("A post", body="First words.")
    reader = app.test_client()
    etag = reader.get(PAGE).headers["ETag"]

    # A new approved comment.
    add_comment(app, post_id, "Zoé", "Lovely post.")
    etag = assert_fresh(reader, etag, "Lovely post.")

    # The author edits the post (logged in: their own pages are never stored).
    form = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    version_field = re.search(r'name="version" value="(\d+)"', form).group(1)
    response = logged_in.post(
        f"/editor/posts/{post_id}/edit",
        data={
            "title": "A post",
            "slug": "a-post",
            "body": "Second words.",
            "status": "published",
            "allow_comments": "y",
            "version": version_field,
            "tags": "",
        },
    )
    assert response.status_code == 302
    etag = assert_fresh(reader, etag, "Second words.")

    # A settings change (the site's title).
    set_site(app, title="A renamed blog")
    etag = assert_fresh(reader, etag, "A renamed blog")

    # Comments closed site-wide.
    set_site(app, comments_open=False, closed_notice="We are done talking.")
    assert_fresh(reader, etag, "We are done talking.")


def test_closing_comments_with_the_command_shows_at_once(app, client, make_post):
    make_post("A post")
    etag = client.get(PAGE).headers["ETag"]
    from cms.ops.cli import comments_group

    result = app.test_cli_runner().invoke(comments_group, ["close"])
    assert result.exit_code == 0, result.output
    page = client.get(PAGE, headers={"If-None-Match": etag})
    assert page.status_code == 200
    assert 'name="token"' not in page.get_data(as_text=True)


def test_logged_in_author_always_gets_fresh_private_pages(app, client, make_post, logged_in):
    make_post("A post")
    reader = app.test_client()
    etag = reader.get(PAGE).headers["ETag"]
    for path in (PAGE, "/", "/editor/"):
        response = logged_in.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response.headers
    assert "Edit this post" in logged_in.get(PAGE).get_data(as_text=True)
    assert "Edit this post" not in reader.get(PAGE).get_data(as_text=True)


def test_pending_comment_shows_to_its_writer_at_once_and_to_nobody_else(app, make_post):
    make_post("A post")
    reader = app.test_client()
    before = reader.get(PAGE)
    writer = app.test_client()
    response = post_comment(writer, "a-post", name="Zoé", body="Waiting for the author.")
    assert response.status_code == 302
    mine = writer.get(response.headers["Location"])
    assert "Waiting for the author." in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-store"
    # Nothing public changed: the stored page stays valid for everyone else.
    again = reader.get(PAGE, headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 304
    assert "Waiting for the author." not in reader.get(PAGE).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Comment.status)) == PENDING


def test_approved_comment_shows_to_everyone_at_once(app, make_post):
    make_post("A post")
    set_site(app, moderate_first_comment=False)
    reader = app.test_client()
    reader.get(PAGE)
    writer = app.test_client()
    response = post_comment(writer, "a-post", name="Zoé", body="Straight through.")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Comment.status)) == APPROVED
    assert "Straight through." in reader.get(PAGE).get_data(as_text=True)


def test_stored_pages_carry_a_fresh_comment_token(app, client, make_post):
    make_post("A post")
    first = form_token(client, "a-post")
    time.sleep(1.1)  # tokens name the second they were issued
    second = form_token(client, "a-post")
    assert first != second
    # The token of a stored page is valid: the comment goes through.
    writer = app.test_client()
    response = post_comment(writer, "a-post", token=second, body="Sent from a stored page.")
    assert response.status_code == 302


def test_scheduled_post_appears_on_time(app, client, make_post):
    make_post("Now", body="Already out.")
    make_post("Soon", body="Right on time.", published_at=utcnow() + timedelta(seconds=1.5))
    assert "Soon" not in client.get("/").get_data(as_text=True)
    assert client.get("/posts/soon/").status_code == 404
    time.sleep(1.6)
    assert "Soon" in client.get("/").get_data(as_text=True)
    assert client.get("/posts/soon/").status_code == 200


def test_comments_closing_by_age_show_on_time(app, client, make_post):
    set_site(app, close_comments_after_days=1)
    make_post("A post", published_at=utcnow() - timedelta(days=1) + timedelta(seconds=1.5))
    assert 'name="token"' in client.get(PAGE).get_data(as_text=True)
    time.sleep(1.6)
    assert 'name="token"' not in client.get(PAGE).get_data(as_text=True)


def test_only_pagination_is_cached_among_query_strings(app, client, make_post, renders):
    make_post("A post")
    for _ in range(2):
        tracked = client.get("/?utm_source=newsletter")
        paged = client.get("/?page=1")
    assert tracked.status_code == paged.status_code == 200
    assert "ETag" not in tracked.headers
    assert paged.headers["Cache-Control"] == "public, max-age=5"
    assert renders == ["/", "/", "/"]  # the tracked one twice, ?page=1 once


def test_pages_are_kept_per_host(app, make_post):
    make_post("A post")
    app.config["SERVER_NAME"] = None
    one = app.test_client().get(PAGE, base_url="http://one.test")
    other = app.test_client().get(PAGE, base_url="http://other.test")
    assert "http://one.test/posts/a-post/" in one.get_data(as_text=True)
    assert "http://other.test/posts/a-post/" in other.get_data(as_text=True)
    keys = page_cache(app).store.entries
    assert {key.split("/")[2] for key in keys} == {"one.test", "other.test"}


def test_writes_outside_the_flush_bump_the_version_too(app, make_post):
    post_id = make_post("A post")
    start = version(app)
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == post_id).values(title="Renamed"))
        db.session.commit()
    assert version(app) == start + 1
    with app.app_context():
        add_comment(app, post_id, "Held", "Not public.", status=PENDING)
    assert version(app) == start + 1  # a pending comment changes no public page


def test_cache_can_be_turned_off(tmp_path, make_post):
    app = make_app(tmp_path / "off", CACHE_PAGES=False)
    with app.app_context():
        from cms.models import Author

        db.session.add(Author(username="bob", display_name="Bob", password_hash="x"))
        db.session.commit()
    client = app.test_client()
    seen = []
    app.before_request(lambda: seen.append(1))
    client.get("/")
    client.get("/")
    assert len(seen) == 2
    with app.app_context():
        db.engine.dispose()


def test_login_still_works_from_a_stored_page(app, client, author):
    client.get("/")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Cache-Control"] == "private, no-store"


def test_a_rolled_back_change_bumps_nothing_and_a_long_one_bumps_once(app, make_post):
    make_post("Talk")
    start = version(app)
    with app.app_context():
        db.session.add(Post(title="Never", slug="never", body="x"))
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert version(app) == start
        for n in range(3):  # several flushes, one transaction
            db.session.add(Post(title=f"P{n}", slug=f"p{n}", body="x"))
            db.session.flush()
        db.session.commit()
    assert version(app) == start + 1


def test_a_long_transaction_locks_the_version_only_as_it_commits(app, make_post):
    """On PostgreSQL the bump locks the version's row until the commit: taken early, a long
    import held every commenter (and the workers readers wait for) for its whole length."""
    make_post("Talk")
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's write lock is the whole database's: writers wait in any case")
        start = version(app)
        db.session.add(Post(title="Long", slug="long", body="x"))
        db.session.flush()  # the long transaction, still open
        with db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '2s'")
            other.execute(update(ContentVersion).values(version=ContentVersion.version + 1))
            other.commit()
        db.session.commit()
    assert version(app) == start + 2
