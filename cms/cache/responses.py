"""Inside Flask: which answers are public (stored, with validators) and which are personal, the
per-epoch counts, and init_app, which installs the whole cache."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import Select, func, select
from werkzeug.http import http_date

from ..extensions import db
from .content_version import listen_for_changes
from .middleware import ENVIRON_KEY, PageCache, _Pending, public_cache_control

# What the page cache and browsers may keep: pages, feeds, sitemaps and robots.txt, not media.
CACHEABLE_TYPES = frozenset({"text/html", "application/atom+xml", "application/xml", "text/plain"})


def count_once_per_epoch(key: str, query: Select) -> int:
    """How many rows `query` selects, counted once per epoch in this worker under `key` (a name
    for what the query lists: the page's path). Counting 100,000 posts for the pagination takes
    15 ms; within an epoch the answer cannot change."""
    cache = page_cache(current_app)
    pending: _Pending | None = request.environ.get(ENVIRON_KEY)
    epoch = pending.epoch if pending else (cache.current_epoch() if cache else None)
    if cache is None or epoch is None or cache.epoch != epoch:
        return _count(query)
    total = cache.counts.get(key)
    if total is None:
        total = cache.counts[key] = _count(query)
    return total


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _is_personal() -> bool:
    return bool(request.cookies) or session.modified or current_user.is_authenticated


def keep_out_of_cache() -> None:
    """Serve this answer but do not store it: it shows work left for a later request (stale
    HTML beyond what one request renders again), which a stored copy would keep showing."""
    g.keep_out_of_cache = True


def _mark_response(response: Response) -> Response:
    """Headers for every answer: public pages get validators and a short public lifetime and
    are stored; anything personal is private and never stored."""
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return response
    pending: _Pending | None = request.environ.get(ENVIRON_KEY)
    if _is_personal():
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if (
        pending is None
        or g.get("keep_out_of_cache")
        or response.status_code != 200
        or response.mimetype not in CACHEABLE_TYPES
        or response.is_streamed
    ):
        return response
    response.headers["Cache-Control"] = public_cache_control(current_app)
    response.headers["ETag"] = pending.etag
    if pending.epoch.last_modified is not None:
        response.headers["Last-Modified"] = http_date(pending.epoch.last_modified)
    response.vary.add("Cookie")
    pending.store = True
    return response


def init_app(app: Flask, *, refresh_token: Callable[[str], str]) -> None:
    """Install the version rule and the middleware. Call before security.init_app, so that the
    cache sits inside ProxyFix (its keys use the client's real scheme and host) and its
    after_request runs last (the stored headers include every other one). `refresh_token(old)`
    returns a new comment-form token for the one a stored page holds, so that no two visitors
    share one; it runs inside an app context."""
    listen_for_changes()
    app.after_request(_mark_response)
    app.wsgi_app = PageCache(app, app.wsgi_app, refresh_token)


def page_cache(app: Flask) -> PageCache | None:
    """The app's page cache middleware, wherever it sits among the WSGI wrappers."""
    layer = app.wsgi_app
    while layer is not None and not isinstance(layer, PageCache):
        layer = getattr(layer, "app", None)
    return layer
