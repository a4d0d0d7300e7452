"""A full disk: visitors and the author get a clear 503, nothing stored is damaged, and the site
takes writes again as soon as there is room.

The disk fills up for real inside SQLite: `PRAGMA max_page_count` caps the database at the size it
has, so the next page it needs fails with SQLITE_FULL, exactly as a full filesystem would.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import event, select

from cms.extensions import db
from cms.models import Comment, Post
from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_app
from tests.support.comments import add_comment, post_comment, set_site
from tests.web.test_hardening_access import seed_author_and_post

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's own page limit")


class Disk:
    """Fills and frees the database's disk: every connection opened while full is capped."""

    def __init__(self, app) -> None:
        self.app, self.full = app, False
        with app.app_context():
            event.listen(db.engine, "connect", self._cap)

    def _cap(self, dbapi_connection, _record) -> None:
        if self.full:
            (pages,) = dbapi_connection.execute("PRAGMA page_count").fetchone()
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def set_full(self, full: bool) -> None:
        self.full = full
        with self.app.app_context():
            db.engine.dispose()  # connections open before the change come back with the new cap


@pytest.fixture
def site(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    with app.app_context():
        post_id = seed_author_and_post(app)
    add_comment(app, post_id, "Ada", "Stored before the disk filled up.")
    set_site(app, moderate_first_comment=False)
    return app, Disk(app)


def integrity(app) -> str:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def comment_bodies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Comment.body).order_by(Comment.id)))


UNSAVED = "Your comment could not be saved: the site cannot store anything right now."


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_comment_on_a_full_disk_gets_a_503_with_its_text_kept_and_the_site_recovers(
    site, language
):
    app, disk = site
    set_site(app, language=language)
    visitor = app.test_client()
    long_body = "A long remark that needs new pages in the database. " * 90
    disk.set_full(True)
    response = post_comment(visitor, "target", body=long_body, name="Grace")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    # The post page again, its form holding what the visitor typed.
    assert f'<html lang="{language}">' in page and '<link rel="stylesheet"' in page
    assert long_body.strip() in page and 'value="Grace"' in page
    if language == "en":  # the French text comes with the catalogue
        assert UNSAVED in page
    assert "Traceback" not in page
    assert visitor.get("/posts/target/").status_code == 200  # reading goes on
    assert comment_bodies(app) == ["Stored before the disk filled up."]
    assert integrity(app) == "ok"

    disk.set_full(False)
    assert post_comment(visitor, "target", body=long_body).status_code == 302
    assert comment_bodies(app) == ["Stored before the disk filled up.", long_body.strip()]
    assert integrity(app) == "ok"


def test_the_authors_save_on_a_full_disk_changes_nothing_and_works_once_there_is_room(site):
    app, disk = site
    desk = app.test_client()
    desk.post("/login", data={"username": "alice", "password": PASSWORD})
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "target"))
        post_id, version = post.id, post.version
    form = {
        "title": "Target",
        "slug": "target",
        "body": "Rewritten at length. " * 400,
        "tags": "",
        "status": "published",
        "allow_comments": "y",
        "version": str(version),
    }
    disk.set_full(True)
    response = desk.post(f"/editor/posts/{post_id}/edit", data=form)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The site cannot save right now: the disk is full." in page
    assert form["body"].strip() in page  # the typed text comes back in the form
    with app.app_context():
        assert db.session.get(Post, post_id).body == "Text."
    assert integrity(app) == "ok"

    disk.set_full(False)
    response = desk.post(f"/editor/posts/{post_id}/edit", data=form)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Post, post_id).body == form["body"]
