"""The comment form's signed token: which post it was served for, and when (for the time trap).

It stands in for the session CSRF token, so that serving a post page sets no cookie and the
page can be cached. Each token is new (a random part), so that it names one form: a comment is
accepted once per form (see form_key). It is signed with a plain HMAC, cheap enough to sign
anew for every page the cache serves."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
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


@functools.lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"causerie comment-form\0" + secret.encode()).digest()


def _signature(secret: str, message: str) -> str:
    digest = hmac.new(_key(secret), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _sign(secret: str, post_id: int, issued_at: int) -> str:
    message = f"{post_id}.{issued_at}.{secrets.token_urlsafe(6)}"
    return f"{message}.{_signature(secret, message)}"


def _read(secret: str, token: str) -> FormToken | None:
    message, _dot, signature = token.rpartition(".")
    post_id, _dot, rest = message.partition(".")
    issued_at, _dot, _nonce = rest.partition(".")
    if not (
        post_id.isascii() and post_id.isdigit() and issued_at.isascii() and issued_at.isdigit()
    ):
        return None
    if len(token) > 200 or not hmac.compare_digest(signature, _signature(secret, message)):
        return None
    return FormToken(int(post_id), int(issued_at))


def _read_older(secret: str, token: str) -> FormToken | None:
    """A token from before the HMAC ones (a page opened before an upgrade)."""
    try:
        payload = URLSafeSerializer(secret, salt="comment-form").loads(token)
    except BadData:
        return None
    match payload:
        case [int(post_id), int(issued_at)]:
            return FormToken(post_id, issued_at)
    return None


def issue(post_id: int, *, issued_at: int | None = None) -> str:
    """A new token for the comment form of post `post_id`, issued now (or at `issued_at`)."""
    issued_at = int(time.time()) if issued_at is None else issued_at
    return _sign(current_app.config["SECRET_KEY"], post_id, issued_at)


def read(token: str | None) -> FormToken | None:
    """The token's post and issue time, or None when it is missing, altered or malformed."""
    if not token:
        return None
    secret = current_app.config["SECRET_KEY"]
    return _read(secret, token) or _read_older(secret, token)


def refresher(secret: str) -> Callable[[str], str]:
    """For the page cache, outside any app context: a new token for the same post as `old`,
    issued now; `old` itself when it is not a valid token."""

    def refresh(old: str) -> str:
        issued = _read(secret, old) or _read_older(secret, old)
        return _sign(secret, issued.post_id, int(time.time())) if issued else old

    return refresh


def form_key(token: str, network: str) -> str:
    """What names one sent form: its token and the sender's network. One comment is accepted per
    key, so a second click or a retry finds the first."""
    return hashlib.sha256(f"{network}\0{token}".encode()).hexdigest()
