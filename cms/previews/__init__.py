"""Private preview links for drafts: signed, expiring, and revoked by changing the post's key.

A feature with no HTTP; imports only the root leaves (clock, extensions, models)."""

from __future__ import annotations

import calendar
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from ..clock import utcnow
from ..extensions import db
from ..models import Post

SALT = "post-preview"


class _IssuedAtSigner(TimestampSigner):
    """Signs with a given time instead of now, so a link keeps the date it was created on
    however often the editor shows it (and so expires on time)."""

    def __init__(self, *args, issued_at: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued_at = issued_at

    def get_timestamp(self) -> int:
        return self.issued_at if self.issued_at is not None else super().get_timestamp()


def _serializer(issued_at: datetime | None = None) -> URLSafeTimedSerializer:
    timestamp = calendar.timegm(issued_at.timetuple()) if issued_at else None
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=SALT,
        signer=_IssuedAtSigner,
        signer_kwargs={"issued_at": timestamp},
    )


def create_link(post: Post) -> None:
    """Give the post a new preview key (the caller commits): links given out before stop working."""
    post.preview_key = secrets.token_urlsafe(16)
    post.preview_issued_at = utcnow().replace(microsecond=0)


def revoke_link(post: Post) -> None:
    """Forget the post's key (the caller commits): no link to it works any more."""
    post.preview_key = None
    post.preview_issued_at = None


def preview_token(post: Post) -> str | None:
    """The token of the post's current link, or None when it has none."""
    if not post.preview_key or post.preview_issued_at is None:
        return None
    return _serializer(post.preview_issued_at).dumps([post.id, post.preview_key])


def link_expires_at(post: Post) -> datetime | None:
    if post.preview_issued_at is None:
        return None
    return post.preview_issued_at + timedelta(seconds=current_app.config["PREVIEW_LINK_MAX_AGE"])


def link_has_expired(post: Post) -> bool:
    expires = link_expires_at(post)
    return expires is not None and expires < utcnow()


def post_for_token(token: str) -> Post | None:
    """The post a preview token opens, or None when it is forged, expired or revoked."""
    try:
        post_id, key = _serializer().loads(
            token, max_age=current_app.config["PREVIEW_LINK_MAX_AGE"]
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(post_id, int) or not isinstance(key, str):
        return None
    post = db.session.get(Post, post_id)
    if post is None or not post.preview_key:
        return None
    return post if hmac.compare_digest(post.preview_key, key) else None


def preview_url(post: Post) -> str | None:
    """The full address of the post's private link, or None when it has none or it expired."""
    token = preview_token(post)
    if token is None or link_has_expired(post):
        return None
    return url_for("blog.preview", token=token, _external=True)
