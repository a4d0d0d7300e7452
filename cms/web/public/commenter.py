"""What a commenter's browser keeps: "remember me" details and the ids of their own comments."""

from __future__ import annotations

from flask import Response, current_app, request, session
from itsdangerous import BadData, URLSafeSerializer

from ...comments.fields import EMAIL_MAX, NAME_MAX, WEBSITE_MAX

COOKIE = "commenter"
COOKIE_MAX_AGE = 365 * 24 * 3600
_FIELDS = {"name": NAME_MAX, "email": EMAIL_MAX, "website": WEBSITE_MAX}

OWN_COMMENTS = "own_comments"
# The session cookie stays small: only the latest comments are remembered.
OWN_COMMENTS_MAX = 20


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="commenter")


def remembered_details() -> dict[str, str]:
    """The name, e-mail and website this browser asked to remember; {} when none (or altered)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer().loads(raw)
    except BadData:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: str(data.get(key) or "")[:limit] for key, limit in _FIELDS.items()}


def remember_details(response: Response, name: str, email: str, website: str) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"name": name, "email": email, "website": website}),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def forget_details(response: Response) -> None:
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, httponly=True, samesite="Lax", secure=request.is_secure)


def own_comment_ids() -> list[int]:
    """Ids of the comments this browser posted (latest OWN_COMMENTS_MAX)."""
    ids = session.get(OWN_COMMENTS)
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def add_own_comment(comment_id: int) -> None:
    session[OWN_COMMENTS] = [*own_comment_ids(), comment_id][-OWN_COMMENTS_MAX:]
