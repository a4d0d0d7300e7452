"""SQLite connections: durable commits by default, NORMAL only when chosen, and a writer kept
waiting past the busy timeout answered with a 503 rather than a 500."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from cms import create_app
from cms.extensions import db
from cms.kernel import database
from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_app
from tests.web.test_hardening_access import seed_author_and_post

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's own pragmas and lock")

# PRAGMA synchronous answers with a number.
LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def synchronous(app) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return LEVELS[connection.exec_driver_sql("PRAGMA synchronous").scalar()]


def test_commits_are_synced_to_the_disk_by_default(tmp_path):
    """FULL: in WAL mode, NORMAL lets a commit the visitor was told about roll back after a
    power cut (https://www.sqlite.org/pragma.html#pragma_synchronous)."""
    assert synchronous(make_app(tmp_path)) == "FULL"


def test_normal_is_there_for_whoever_chooses_it(tmp_path):
    assert synchronous(make_app(tmp_path, SQLITE_SYNCHRONOUS="normal")) == "NORMAL"


def test_an_unknown_level_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS is 'fast': use FULL"):
        create_app(
            {"TESTING": True, "SECRET_KEY": "test-secret", "SQLITE_SYNCHRONOUS": "fast",
             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.sqlite3'}"},
            instance_path=tmp_path / "instance",
        )  # fmt: skip


def test_a_write_kept_waiting_past_the_busy_timeout_gets_the_styled_503(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    app = make_app(tmp_path)
    with app.app_context():
        seed_author_and_post(app)
        path = db.engine.url.database
    with closing(sqlite3.connect(path, isolation_level=None)) as other_writer:
        other_writer.execute("BEGIN IMMEDIATE")
        # Logging in counts the attempt: a write.
        response = app.test_client().post(
            "/login", data={"username": "alice", "password": PASSWORD}
        )
        other_writer.execute("ROLLBACK")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "The site cannot save anything right now." in page and '<link rel="stylesheet"' in page
    assert (
        app.test_client()
        .post("/login", data={"username": "alice", "password": PASSWORD})
        .status_code
        == 302
    )
