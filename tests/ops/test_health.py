"""The `check` command's report and the /healthz endpoint, on real databases."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import text

from cms.config import DEV_SECRET_KEY
from cms.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_app

sqlite_only = pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="SQLite files: the integrity check and a damaged file"
)


def test_healthz_answers_ok_without_session_or_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert client.head("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    broken = make_unreachable_app(tmp_path)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert "database unavailable" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def make_unreachable_app(tmp_path):
    """An app whose SQLite file sits in a folder that does not exist: every connection fails."""
    from cms import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'nowhere' / 'site.sqlite3'}",
        },
        instance_path=tmp_path / "instance",
    )


def migrated_app(tmp_path, **config):
    """An app whose database was built by the migrations, as `flask init` builds it."""
    app = make_app(tmp_path, **config)
    result = app.test_cli_runner().invoke(args=["db", "stamp", "head"])
    assert result.exit_code == 0, result.output
    return app


def test_check_reports_a_healthy_site(tmp_path):
    app = migrated_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    for subject in ("database", "schema", "instance folder", "secret key", "disk"):
        assert subject in result.output
    assert "FAIL" not in result.output
    assert "All good" in result.output
    if not TEST_DATABASE_URL:
        assert "integrity check ok" in result.output


def test_check_fails_on_a_database_behind_the_migrations(tmp_path):
    app = make_app(tmp_path)  # tables made by create_all: no migration recorded
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "FAIL  schema" in result.output
    assert "flask --app app init" in result.output


def test_check_fails_on_the_development_secret_key(tmp_path):
    app = migrated_app(tmp_path, SECRET_KEY=DEV_SECRET_KEY)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "FAIL  secret key" in result.output


def test_check_warns_when_disk_space_runs_low(tmp_path):
    app = migrated_app(tmp_path, CHECK_MIN_FREE_MB=10**12)  # more than any disk has
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "warn  disk" in result.output and "under" in result.output


def test_check_fails_when_the_database_cannot_be_reached(tmp_path):
    broken = make_unreachable_app(tmp_path)
    result = broken.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "FAIL  database" in result.output and "cannot be reached" in result.output


@sqlite_only
def test_check_fails_on_a_damaged_database(tmp_path):
    app = migrated_app(tmp_path)
    database = tmp_path / "instance" / "test.sqlite3"
    with app.app_context():
        from cms.extensions import db

        db.engine.dispose()
    data = bytearray(database.read_bytes())
    # Overwrite the second page (the first table's root page) with garbage.
    data[4096:8192] = b"\xff" * 4096
    database.write_bytes(bytes(data))
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "FAIL  database" in result.output


@contextmanager
def read_only_twin(app, tmp_path):
    """A second app on `app`'s database that may only read it: a read-only SQLite file (opened
    with mode=ro), or PostgreSQL sessions whose transactions are read-only."""
    from cms import create_app

    with app.app_context():
        url = db.engine.url
    config = {"TESTING": True, "SECRET_KEY": "test-secret"}
    if url.get_backend_name() == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///file:{url.database}?mode=ro&uri=true"
    else:
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
        config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"{options} -cdefault_transaction_read_only=on"}
        }
    twin = create_app(config, instance_path=tmp_path / "instance")
    try:
        yield twin
    finally:
        with twin.app_context():
            db.engine.dispose()  # its schema is dropped with `app`'s


def test_a_database_that_refuses_writes_is_unhealthy(tmp_path):
    app = migrated_app(tmp_path)
    with read_only_twin(app, tmp_path) as reader:
        response = reader.test_client().get("/healthz")
        result = reader.test_cli_runner().invoke(args=["check"])
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable: refuses writes\n"
    assert result.exit_code == 1
    assert "FAIL  database" in result.output and "refuses writes: " in result.output
    assert "read-only" in result.output or "readonly" in result.output  # the driver's words
    assert app.test_client().get("/healthz").status_code == 200  # the database itself is fine


@contextmanager
def writers_held(app):
    """Another connection keeps writers out (SQLite's write lock; on PostgreSQL a SHARE lock on
    a table, as a CREATE INDEX takes), while readers go on."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(url.database, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            yield
            other.execute("ROLLBACK")
        return
    with app.app_context(), db.engine.connect() as other:
        other.execute(text("LOCK TABLE content_version IN SHARE MODE"))
        yield
        other.rollback()


def test_a_lock_that_keeps_writers_out_makes_healthz_503_within_seconds(tmp_path):
    app = migrated_app(tmp_path)
    with writers_held(app):
        began = time.monotonic()
        response = app.test_client().get("/healthz")
        waited = time.monotonic() - began
        result = app.test_cli_runner().invoke(args=["check"])
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable: refuses writes\n"
    assert waited < 5  # the probe's own wait (2 s), not the writers' busy timeout (10 s)
    assert result.exit_code == 1 and "FAIL  database" in result.output
    assert "lock" in result.output
    assert app.test_client().get("/healthz").status_code == 200


def test_check_names_each_filesystem_it_measured(tmp_path):
    app = migrated_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["check"])
    instance = tmp_path / "instance"
    if TEST_DATABASE_URL:  # the server's disk is not the app's to measure
        assert f"MB free for the uploads ({instance})" in result.output
    else:
        assert f"MB free for the database and uploads ({instance})" in result.output
