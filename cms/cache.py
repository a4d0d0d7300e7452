"""The page cache: anonymous public pages kept as bytes, valid while the content version holds."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import Connection, Select, event, func, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from werkzeug.http import http_date, parse_date, parse_etags

from . import PROJECT_ROOT, clock
from .extensions import db
from .models import APPROVED, PUBLISHED, Comment, ContentVersion, Post, SiteSettings

# Rows that never show on a public page: writing them leaves every cached page valid.
PRIVATE_TABLES = frozenset(
    {"throttle_events", "comment_events", "autosaves", "revisions", "content_version"}
)
# What the page cache and browsers may keep: pages, feeds, sitemaps and robots.txt, not media.
CACHEABLE_TYPES = frozenset({"text/html", "application/atom+xml", "application/xml", "text/plain"})
ENVIRON_KEY = "cms.page_cache"

# --- The content version: what changes public pages bumps it, in the same transaction ----------


def _bump(connection: Connection) -> None:
    """Add one to the site-wide content version (creating its row the first time)."""
    now = clock.utcnow()
    table = ContentVersion.__table__
    bumped = connection.execute(
        update(table).where(table.c.id == 1).values(version=table.c.version + 1, changed_at=now)
    )
    if bumped.rowcount == 0:
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # Two first writers at once: the second one bumps the row the first created.
        connection.execute(
            insert(table)
            .values(id=1, version=1, changed_at=now)
            .on_conflict_do_update(
                index_elements=[table.c.id],
                set_={"version": table.c.version + 1, "changed_at": now},
            )
        )


def _comment_is_public(comment: Comment) -> bool:
    """Whether a change to this comment can show: it is, or was, approved."""
    history = inspect(comment).attrs.status.history
    states = {*history.added, *history.deleted, *history.unchanged, comment.status}
    return APPROVED in states


def _changes_public_pages(session: Session) -> bool:
    for obj in session.new:
        if isinstance(obj, Comment):
            if obj.status == APPROVED:
                return True
        elif obj.__table__.name not in PRIVATE_TABLES:
            return True
    for obj in session.deleted:
        if isinstance(obj, Comment):
            if _comment_is_public(obj):
                return True
        elif obj.__table__.name not in PRIVATE_TABLES:
            return True
    for obj in session.dirty:
        if obj.__table__.name in PRIVATE_TABLES or not session.is_modified(obj):
            continue
        if isinstance(obj, Comment):
            if _comment_is_public(obj):
                return True
            continue
        changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        # A pending comment added to post.comments leaves the post's own columns as they were.
        if changed - {"comments"}:
            return True
    return False


def _before_flush(session: Session, _context, _instances) -> None:
    if _changes_public_pages(session):
        session.info["cms.bump_version"] = True


def _after_flush(session: Session, _context) -> None:
    if session.info.pop("cms.bump_version", False):
        _bump(session.connection())


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """UPDATE/DELETE/INSERT statements sent through the session skip the flush: bump here."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in PRIVATE_TABLES:
        return
    _bump(state.session.connection())


def listen_for_changes() -> None:
    """Install the rule, once per process: every session that changes public rows bumps the
    content version in the same transaction, so no view can forget it."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)


# --- Epochs: a content version plus the time-based changes around it ---------------------------


@dataclass(frozen=True)
class Epoch:
    """A span of time in which every public page stays the same: one content version, between
    two time-based changes (a scheduled post appearing, comments closing by age, midnight UTC,
    when the comment form's token ages)."""

    version: int
    language: str
    starts: datetime  # naive UTC: the last change, so the pages' Last-Modified
    ends: datetime  # naive UTC: the next time-based change

    @functools.cached_property
    def name(self) -> str:
        return f"{release()}|{self.version}|{self.starts.isoformat()}|{self.language}"

    def etag(self, key: str) -> str:
        digest = hashlib.blake2b(f"{self.name}|{key}".encode(), digest_size=10).hexdigest()
        return f'W/"{digest}"'

    @functools.cached_property
    def last_modified(self) -> datetime | None:
        """Last-Modified, in whole seconds, rounded up: None while still in that second, since
        a change later in the same second would leave it unchanged."""
        moment = datetime.fromtimestamp(math.ceil(self.starts.replace(tzinfo=UTC).timestamp()), UTC)
        return moment if moment <= datetime.now(UTC) else None


@functools.cache
def release() -> str:
    """Names the code that renders pages (newest template or module), so a deployment changes
    every ETag even when the content did not."""
    newest = 0.0
    for folder in ("templates", "cms"):
        for path in (PROJECT_ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".xml", ".py", ".mo", ".txt"):
                newest = max(newest, path.stat().st_mtime)
    return str(int(newest))


def _time_bounds(now: datetime, close_after_days: int) -> tuple[datetime, datetime]:
    """(latest, next) time-based change around `now`: scheduled publications, comments closing
    by age, and midnight UTC (which also renews the comment forms' tokens)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    latest, upcoming = [midnight], [midnight + timedelta(days=1)]
    published = Post.status == PUBLISHED
    moments = [(now, timedelta(0))]
    if close_after_days > 0:
        age = timedelta(days=close_after_days)
        moments.append((now - age, age))
    for point, offset in moments:
        before = db.session.scalar(
            select(func.max(Post.published_at)).where(published, Post.published_at <= point)
        )
        after = db.session.scalar(
            select(func.min(Post.published_at)).where(published, Post.published_at > point)
        )
        if before is not None:
            latest.append(before + offset)
        if after is not None:
            upcoming.append(after + offset)
    return max(latest), min(upcoming)


def load_epoch(default_language: str) -> Epoch:
    """Read the epoch now in force (inside an app context, without taking a write lock)."""
    from .kernel.database import reading_only

    now = clock.utcnow()
    with reading_only():
        row = db.session.execute(
            select(ContentVersion.version, ContentVersion.changed_at).where(ContentVersion.id == 1)
        ).first()
        settings = db.session.get(SiteSettings, 1)
        days = settings.close_comments_after_days if settings else 0
        latest, upcoming = _time_bounds(now, days or 0)
        db.session.rollback()
    version, changed_at = row if row else (0, datetime(2000, 1, 1))
    return Epoch(
        version=version,
        language=settings.language if settings else default_language,
        starts=max(changed_at, min(latest, now)),
        ends=upcoming,
    )


# --- Fresh values inside cached bytes -----------------------------------------------------------

# A value a page must not share between visitors (the comment form's signed, timed token): found
# in the bytes when a page is stored, and given anew each time the page is served.
_TOKEN_INPUT = re.compile(rb'<input\b[^>]*\bname="token"[^>]*\bvalue="([^"]*)"')


def _fresh_comment_token(old: str) -> str:
    from .comments import tokens

    issued = tokens.read(old)
    return tokens.issue(issued.post_id) if issued else old


@dataclass
class Entry:
    """A stored response: status, headers and the body cut around its per-visitor values."""

    epoch: Epoch
    status: str
    headers: list[tuple[str, str]]
    parts: list[bytes]  # text, value, text, value, ..., text
    size: int

    def body(self, refresh: Callable[[list[str]], list[str]]) -> bytes:
        if len(self.parts) == 1:
            return self.parts[0]
        values = refresh([v.decode() for v in self.parts[1::2]])
        pieces = list(self.parts)
        pieces[1::2] = [v.encode() for v in values]
        return b"".join(pieces)


def _cut(body: bytes) -> list[bytes]:
    parts, position = [], 0
    for match in _TOKEN_INPUT.finditer(body):
        parts += [body[position : match.start(1)], match.group(1)]
        position = match.end(1)
    return [*parts, body[position:]]


class _Store:
    """Least recently used entries, up to a byte budget (per worker process)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str, epoch: Epoch) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.epoch != epoch:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old.size
            self.entries[key] = entry
            self.size += entry.size
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= evicted.size

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


# --- The middleware: answers from the store before Flask is even called -----------------------


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
    which is stored when the app marked it public."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.enabled = bool(app.config["CACHE_PAGES"])
        self.query_args = frozenset(app.config["PAGE_CACHE_QUERY_ARGS"])
        self.static_prefix = (app.static_url_path or "/static") + "/"
        self.store = _Store(int(app.config["PAGE_CACHE_MAX_BYTES"]))
        self.epoch: Epoch | None = None
        self.lock = threading.Lock()
        self._engine = None
        self._tokens: dict[tuple[str, int], str] = {}
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
                self._tokens.clear()
                self.counts.clear()
        return epoch

    def fresh_tokens(self, old: list[str]) -> list[str]:
        """New comment-form tokens for a stored page: one per form and second, shared."""
        second = int(time.time())
        fresh = []
        for value in old:
            token = self._tokens.get((value, second))
            if token is None:
                with self.app.app_context():
                    token = _fresh_comment_token(value)
                if len(self._tokens) > 1000:
                    self._tokens.clear()
                self._tokens[(value, second)] = token
            fresh.append(token)
        return fresh


# --- Inside Flask: which answers are public, which are personal --------------------------------


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


def public_cache_control(app: Flask) -> str:
    return f"public, max-age={int(app.config['PAGE_MAX_AGE'])}"


def _is_personal() -> bool:
    return bool(request.cookies) or session.modified or current_user.is_authenticated


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


def init_app(app: Flask) -> None:
    """Install the version rule and the middleware. Call before security.init_app, so that the
    cache sits inside ProxyFix (its keys use the client's real scheme and host) and its
    after_request runs last (the stored headers include every other one)."""
    listen_for_changes()
    app.after_request(_mark_response)
    app.wsgi_app = PageCache(app, app.wsgi_app)


def page_cache(app: Flask) -> PageCache | None:
    """The app's page cache middleware, wherever it sits among the WSGI wrappers."""
    layer = app.wsgi_app
    while layer is not None and not isinstance(layer, PageCache):
        layer = getattr(layer, "app", None)
    return layer
