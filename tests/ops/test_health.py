"""The `check` command's report and the /healthz endpoint, on real databases."""

from __future__ import annotations

import pytest

from cms.config import DEV_SECRET_KEY
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
