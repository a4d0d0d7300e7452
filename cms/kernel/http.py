"""Small HTTP rules every part of the web layer may ask: where a redirect may lead, whose form it is."""

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, None for anything that could lead elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def origin_is_foreign() -> bool:
    """Whether the request names an Origin other than this site (a missing Origin is allowed:
    older browsers and privacy tools leave it out)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    return (
        f"{parts.scheme}://{parts.netloc}".lower() != f"{request.scheme}://{request.host}".lower()
    )


# The largest id a database column holds (SQLite and PostgreSQL BIGINT alike).
MAX_ID = 2**63 - 1


def record_id(value: object) -> int | None:
    """A row id sent by a form or a script, or None when it cannot be one (not a whole number
    written in ASCII digits, zero, or beyond any column): never an overflow in the driver."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None
