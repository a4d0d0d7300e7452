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
