"""Shared fixtures: a fresh app and a fresh SQLite database per test, built by the real factory."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import create_app
from cms.clock import utcnow
from cms.extensions import db
from cms.models import PUBLISHED, Author, Post
from cms.posts import render, tags_named

PASSWORD = "correct horse battery"


def make_app(tmp_path, **config):
    instance = tmp_path / "instance"
    overrides = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'test.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "blog.test",
    } | config
    app = create_app(overrides, instance_path=instance)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


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

    def make(title="A post", body="Some *text*.", status=PUBLISHED, published_at=None, ago=None,
             slug=None, tags=(), language="en", **fields) -> int:
        with app.app_context():
            if published_at is None and status == PUBLISHED:
                published_at = utcnow() - (ago or timedelta(hours=1))
            post = Post(title=title, slug=slug or title.lower().replace(" ", "-"), body=body,
                        status=status, published_at=published_at, author_id=author, **fields)
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
