"""The comment form's signed token: which post it was served for, and when (for the time trap)."""

# It stands in for the session CSRF token, so that serving a post page sets no cookie and the
# page can be cached.

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

# A form older than this is refused with "this form is too old" (the visitor's text is kept).
MAX_AGE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class FormToken:
    post_id: int
    issued_at: int

    @property
    def age(self) -> float:
        return time.time() - self.issued_at


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="comment-form")


def issue(post_id: int, *, issued_at: int | None = None) -> str:
    """A token for the comment form of post `post_id`, issued now (or at `issued_at`)."""
    return _serializer().dumps([post_id, int(time.time()) if issued_at is None else issued_at])


def read(token: str | None) -> FormToken | None:
    """The token's post and issue time, or None when it is missing, altered or malformed."""
    if not token:
        return None
    try:
        payload = _serializer().loads(token)
    except BadData:
        return None
    match payload:
        case [int(post_id), int(issued_at)]:
            return FormToken(post_id, issued_at)
    return None


def refresh(old: str) -> str:
    """A token for the same post as `old`, issued now; `old` itself when it is not a valid token."""
    issued = read(old)
    return issue(issued.post_id) if issued else old
