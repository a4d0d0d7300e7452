"""Old addresses of posts (imported permalinks, "/?p=123") answered with a permanent redirect.

A feature with no HTTP: it reads the request it is given and imports the root leaves and posts
(for addresses). create_app hands moved_to to the 404 handler, so the plumbing never imports it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Request
from sqlalchemy import select

from ..extensions import db
from ..models import Post, Redirect
from ..posts import post_url

# WordPress's plain permalinks: /?p=123 for any post, /?page_id=123 for a page.
QUERY_IDS = ("p", "page_id")
_SLASHES = re.compile(r"/{2,}")


def normalise_path(path: str, args: Mapping[str, str] | None = None) -> str:
    """The key an old address is stored and looked up under.

    The decoded path without its trailing slash ("/" for the root), runs of slashes collapsed;
    a numeric ?p= or ?page_id= is kept ("/?p=123"), any other query argument is not.
    """
    path = _SLASHES.sub("/", unquote(path)).rstrip("/") or "/"
    for name in QUERY_IDS:
        value = (args or {}).get(name, "")
        if value.isascii() and value.isdigit():  # "²" and "٣" are digits to Python too
            return f"{path}?{name}={int(value)}"
    return path


def path_of_url(url: str) -> str:
    """normalise_path for an absolute or relative URL, such as a WordPress <link>."""
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return normalise_path(parts.path, query)


def moved_to(request: Request) -> str | None:
    """Where the post that used to live at this request's address is now, if a visitor may see
    it: an old address never reveals a draft's or a scheduled post's slug."""
    if request.method not in ("GET", "HEAD"):
        return None
    key = normalise_path(request.path, request.args)
    if "\x00" in key:  # never stored (PostgreSQL text cannot hold it): nothing to look up
        return None
    post = db.session.scalar(
        select(Post).join(Redirect).where(Redirect.old_path == key, Post.is_public)
    )
    return post_url(post) if post is not None else None
