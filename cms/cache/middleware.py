"""The WSGI middleware: answers from the store, or with a 304, before Flask is even called."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from flask import Flask
from werkzeug.http import http_date, parse_date, parse_etags

from .. import clock
from ..extensions import db
from .entries import Entry, _cut, _Store
from .epochs import Epoch, load_epoch

ENVIRON_KEY = "cms.page_cache"


def public_cache_control(app: Flask) -> str:
    return f"public, max-age={int(app.config['PAGE_MAX_AGE'])}"


@dataclass
class _Pending:
    key: str
    epoch: Epoch
    etag: str
    store: bool = False
    headers: dict = field(default_factory=dict)


class PageCache:
    """WSGI middleware in front of the Flask app. A request that could see a public page
    (GET or HEAD, no cookie, no credentials, only pagination in the query string) costs one
    read of the content version; then it gets a 304, the stored bytes, or the app's answer,
    which is stored when the app marked it public. `refresh_token(old)` gives a stored page's
    comment-form token anew, for each visitor."""

    def __init__(self, app: Flask, wsgi_app, refresh_token: Callable[[str], str]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.refresh_token = refresh_token
        self.enabled = bool(app.config["CACHE_PAGES"])
        self.query_args = frozenset(app.config["PAGE_CACHE_QUERY_ARGS"])
        self.static_prefix = (app.static_url_path or "/static") + "/"
        self.store = _Store(int(app.config["PAGE_CACHE_MAX_BYTES"]))
        self.epoch: Epoch | None = None
        self.lock = threading.Lock()
        self._engine = None
        self.counts: dict[str, int] = {}
        self.failing = False  # logged once, not on every request while it lasts

    # Requests ---------------------------------------------------------------------------------

    def key(self, environ: dict) -> str | None:
        """The cache key of a request that may be served a public page, else None."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ:
            return None
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(self.static_prefix):
            return None
        query = environ.get("QUERY_STRING", "")
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            names = [name for name, _ in pairs]
            if not set(names) <= self.query_args or len(set(names)) != len(names):
                return None
            query = urlencode(sorted(pairs))
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}{path}?{query}"

    def __call__(self, environ: dict, start_response):
        key = self.key(environ)
        epoch = self.current_epoch() if key is not None else None
        if key is None or epoch is None:
            return self.wsgi_app(environ, start_response)
        etag = epoch.etag(key)
        if self.not_modified(environ, etag, epoch):
            start_response("304 Not Modified", self.validators(etag, epoch))
            return []
        head = environ["REQUEST_METHOD"] == "HEAD"
        entry = self.store.get(key, epoch) if self.enabled else None
        if entry is not None:
            body = entry.body(self.fresh_tokens)
            headers = [
                (k, str(len(body)) if k == "Content-Length" else v) for k, v in entry.headers
            ]
            start_response(entry.status, headers)
            return [] if head else [body]

        pending = environ[ENVIRON_KEY] = _Pending(key, epoch, etag)
        answer: dict = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        iterable = self.wsgi_app(environ, capture)
        headers = answer.get("headers", [])
        if not (
            self.enabled
            and pending.store
            and not head
            and answer.get("status", "").startswith("200")
            and not any(k.lower() == "set-cookie" for k, _ in headers)
        ):
            return iterable
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        parts = _cut(body)
        self.store.put(key, Entry(epoch, answer["status"], list(headers), parts, len(body)))
        return [body]

    def not_modified(self, environ: dict, etag: str, epoch: Epoch) -> bool:
        """Whether the browser's copy is current: If-None-Match first, else If-Modified-Since."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            return parse_etags(if_none_match).contains_weak(etag.removeprefix("W/").strip('"'))
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        return (
            since is not None and epoch.last_modified is not None and since >= epoch.last_modified
        )

    def validators(self, etag: str, epoch: Epoch) -> list[tuple[str, str]]:
        headers = [
            ("ETag", etag),
            ("Cache-Control", public_cache_control(self.app)),
            ("Vary", "Cookie"),
        ]
        if epoch.last_modified is not None:
            headers.append(("Last-Modified", http_date(epoch.last_modified)))
        return headers

    # The content version --------------------------------------------------------------------

    @property
    def engine(self):
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def read_version(self) -> int:
        """The one read every cacheable request makes: the content version's counter."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT version FROM content_version WHERE id = 1")
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        return row[0] if row else 0

    def current_epoch(self) -> Epoch | None:
        """The epoch in force, read again when the version moved or a time-based change came;
        None when the database cannot say (the app then answers without the cache)."""
        try:
            version = self.read_version()
            epoch = self.epoch
            if epoch is not None and epoch.version == version and clock.utcnow() < epoch.ends:
                return epoch
            with self.app.app_context():
                epoch = load_epoch(self.app.config["BABEL_DEFAULT_LOCALE"])
        except Exception:  # no table yet, database down: pages are still served, uncached
            if not self.failing:
                self.app.logger.exception("page cache: cannot read the content version")
            self.failing = True
            return None
        self.failing = False
        with self.lock:
            if self.epoch != epoch:
                self.epoch = epoch
                self.store.clear()
                self.counts.clear()
        return epoch

    def fresh_tokens(self, old: list[str]) -> list[str]:
        """New comment-form tokens for a stored page: each visitor gets forms of their own."""
        return [self.refresh_token(value) for value in old]
