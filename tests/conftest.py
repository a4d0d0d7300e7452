"""Shared fixtures: a fresh app and a fresh database per test (SQLite, or PostgreSQL when
CMS_TEST_DATABASE_URL is set, as scripts/with-postgres does), built by the real factory."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cms import create_app
from cms.clock import utcnow
from cms.extensions import db
from cms.kernel.settings import ensure_settings_row
from cms.models import PUBLISHED, Author, Post
from cms.posts import render, tags_named

PASSWORD = "correct horse battery"


# Set by scripts/with-postgres: every test then gets an empty schema of its own on that server.
TEST_DATABASE_URL = os.environ.get("CMS_TEST_DATABASE_URL")


def database_config(instance: Path) -> dict:
    """The configuration of one test's new, empty database."""
    if not TEST_DATABASE_URL:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'test.sqlite3'}"}
    schema = f"test_{uuid.uuid4().hex}"
    engine = create_engine(TEST_DATABASE_URL, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return {
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
    }


def drop_database(app) -> None:
    """Close the test's connections, and drop its PostgreSQL schema (SQLite files go with tmp_path)."""
    with app.app_context():
        db.engine.dispose()
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
        schema = options.get("options", "").removeprefix("-csearch_path=")
        if schema:
            try:
                with db.engine.begin() as connection:
                    # A connection a test left open may still hold a lock: never wait for it.
                    connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            except OperationalError:
                pass  # the schema goes with the throwaway server
            db.engine.dispose()


def make_app(tmp_path, **config):
    instance = tmp_path / "instance"
    database = {} if "SQLALCHEMY_DATABASE_URI" in config else database_config(instance)
    overrides = (
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "blog.test",
        }
        | database
        | config
    )
    app = create_app(overrides, instance_path=instance)
    with app.app_context():
        db.create_all()
        ensure_settings_row()  # as `flask init` does
        db.session.commit()
    _apps_to_close.append(app)
    return app


_apps_to_close: list = []


@pytest.fixture(autouse=True)
def _close_databases():
    """After each test, close the connections of every app make_app built (a connection left to
    the garbage collector is a ResourceWarning, which this suite treats as an error)."""
    yield
    while _apps_to_close:
        drop_database(_apps_to_close.pop())


def pytest_configure(config):
    if TEST_DATABASE_URL:
        # psycopg warns when a connection is garbage-collected while open, sqlite3 does not: a
        # test that disposes its engine while a session still holds a connection leaks one, and
        # the warning would fail whichever later test the collector happens to run in.
        config.addinivalue_line(
            "filterwarnings", "ignore:.*was deleted while still open:ResourceWarning"
        )


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def author(app) -> int:
    with app.app_context():
        alice = Author(username="alice", display_name="Alice Martin")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()
        return alice.id


@pytest.fixture
def logged_in(client, author):
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def make_post(app, author):
    """Store a post directly (arranging state); returns its id."""

    def make(
        title="A post",
        body="Some *text*.",
        status=PUBLISHED,
        published_at=None,
        ago=None,
        slug=None,
        tags=(),
        language="en",
        **fields,
    ) -> int:
        with app.app_context():
            if published_at is None and status == PUBLISHED:
                published_at = utcnow() - (ago or timedelta(hours=1))
            post = Post(
                title=title,
                slug=slug or title.lower().replace(" ", "-"),
                body=body,
                status=status,
                published_at=published_at,
                author_id=author,
                **fields,
            )
            post.tags = tags_named(list(tags))
            render(post, language)
            db.session.add(post)
            db.session.commit()
            return post.id

    return make


def get_post(app, **criteria) -> Post | None:
    with app.app_context():
        post = db.session.scalar(select(Post).filter_by(**criteria))
        if post is not None:
            db.session.expunge(post)
        return post
