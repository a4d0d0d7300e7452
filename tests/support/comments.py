"""Helpers shared by the comment tests: post through the real form, arrange settings and rows."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cms.comments.thread import earlier_names, render
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.models import APPROVED, Comment

TOKEN_RE = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def form_token(client: FlaskClient, slug: str, **args) -> str:
    """Fetch the post page as a visitor would and read the comment form's token."""
    response = client.get(f"/posts/{slug}/", query_string=args)
    assert response.status_code == 200
    match = TOKEN_RE.search(response.get_data(as_text=True))
    assert match, "the post page has no comment form"
    return match.group(1)


def post_comment(
    client: FlaskClient, slug: str, *, token: str | None = None, headers=None, **fields
):
    """Fill in and send the public comment form (fetching the page first unless given a token)."""
    data = {"name": "Reader", "email": "", "website": "", "body": "A thoughtful remark."} | fields
    data["token"] = token if token is not None else form_token(client, slug)
    return client.post(f"/posts/{slug}/comments", data=data, headers=headers or {})


def set_site(app: Flask, **values) -> None:
    """Change the site settings row, as the settings page would."""
    with app.test_request_context():
        settings = site_settings()
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.commit()


def add_comment(
    app: Flask,
    post_id: int,
    name: str,
    body: str,
    *,
    status: str = APPROVED,
    created_at: datetime | None = None,
    language: str = "en",
    **fields,
) -> int:
    """Store a comment directly (arranging state), rendered as posting would; returns its id."""
    with app.test_request_context():
        comment = Comment(post_id=post_id, author_name=name, body=body, status=status, **fields)
        if created_at is not None:
            comment.created_at = created_at
        earlier = [(cid, cname) for cid, cname, _ in earlier_names(post_id)]
        mention = render(comment, language, earlier)
        if comment.parent_id is None and mention is not None:
            comment.parent_id = mention.comment_id
        db.session.add(comment)
        db.session.commit()
        return comment.id


def stored_comments(app: Flask, **criteria) -> list[Comment]:
    with app.app_context():
        comments = db.session.scalars(
            select(Comment).filter_by(**criteria).order_by(Comment.id)
        ).all()
        for comment in comments:
            db.session.expunge(comment)
        return list(comments)


def comment_count(app: Flask) -> int:
    return len(stored_comments(app))


def numbered_names(page: str) -> list[tuple[int, str]]:
    """(number, author) of each numbered comment on a post page, in page order."""
    pairs = re.findall(
        r'<a class="comment-number" href="#comment-\d+">(\d+)</a>\s*<span class="comment-author">'
        r"(?:<a [^>]*>)?([^<]*)",
        page,
    )
    return [(int(number), name) for number, name in pairs]


def section(page: str, start: str, end: str | None = None) -> str:
    """The part of a page from `start` up to `end` (or the end)."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)] if end else page[begin:]
