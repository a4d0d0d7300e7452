"""In-process figures: CPU per request (time.process_time around one WSGI call, the median of
the requests) and SQL statements per request, for Causerie and the lean reference side by side.

Both run in this process on their own copy of the bench site, so that what they write (the
comment POSTs) never reaches the pages the servers are loaded with. Their requests alternate,
one each in turn, so that a busy moment on a shared machine weighs on both alike; CPU time counts
this process alone, which is why it survives a busy machine better than latency does.
"""

from __future__ import annotations

import difflib
import re
import runpy
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.test import EnvironBuilder

from cms import create_app
from cms.clock import utcnow
from cms.comments.tokens import refresher
from cms.extensions import db
from cms.models import Post

from . import lean
from .sitebuilder import Site

TOKEN_RE = re.compile(rb'(name="token" type="hidden" value=")([^"]*)(")')
# The current time a query compares with changes from one request to the next: masked, so that
# the same read at another moment counts as the same statement.
NOW_RE = re.compile(r"'\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?'")
TABLE_RE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
WHERE_RE = re.compile(
    r"\bWHERE\s+(?:(?:\w+\.)?([a-z_]\w*)\s*(?:=|<|>|IN\b|IS\b)|\S+\s*=\s*(?:\w+\.)?([a-z_]\w*))",
    re.IGNORECASE,
)
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "END")
# The read that tells whether the content changed: it runs on every request by design.
VERSION_CHECK = "content_version"
SPAM_OFF = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": 0}


# --- requests ----------------------------------------------------------------------------------


def environ(path: str, *, form: dict[str, str] | None = None) -> dict:
    """A WSGI environ for a GET of `path` (with its query), or a POST of `form`, from 127.0.0.1
    with no cookie: an anonymous reader, as the load generators are."""
    return EnvironBuilder(
        path=path,
        base_url="http://localhost",
        method="POST" if form is not None else "GET",
        data=form,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    ).get_environ()


def call(app: Flask, env: dict) -> tuple[int, bytes]:
    """One request through the whole WSGI stack (middleware included): (status, body)."""
    answer: list[str] = []

    def start_response(status: str, _headers, _exc_info=None):
        answer.append(status)
        return lambda _data: None

    iterable = app(env, start_response)
    try:
        body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return int(answer[0].split()[0]), body


def timed(app: Flask, env: dict) -> tuple[float, int, bytes]:
    """(CPU milliseconds, status, body) of one request; the environ is built before the clock."""
    began = time.process_time()
    status, body = call(app, env)
    return (time.process_time() - began) * 1000, status, body


@dataclass
class Subject:
    """Something to time: an app and how to make each request's environ."""

    app: Flask
    make: Callable[[int], dict]  # the request number gives its environ
    expect: tuple[int, ...] = (200,)
    before: Callable[[int], None] | None = None  # untimed, before each request (a change)
    times: list[float] = field(default_factory=list)
    body: bytes = b""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times)


def alternate(subjects: list[Subject], rounds: int, warm: int) -> None:
    """Time each subject `rounds` times, taking them in turn, after `warm` untimed rounds."""
    for n in range(warm + rounds):
        for subject in subjects:
            if subject.before is not None:
                subject.before(n)
            ms, status, body = timed(subject.app, subject.make(n))
            if status not in subject.expect:
                raise RuntimeError(f"in-process request answered {status}: {body[:300]!r}")
            if n >= warm:
                subject.times.append(ms)
            subject.body = body


# --- statements --------------------------------------------------------------------------------


class Statements:
    """The statements SQLite runs on some connections while recording (sqlite3's trace
    callback, which sees every statement, the raw reads of the page cache's version included).
    Off while timing: a callback per statement would count in the CPU figures."""

    def __init__(self) -> None:
        self.connections: list = []
        self.seen: list[str] = []

    def watch_engine(self, app: Flask) -> None:
        """Watch every connection the app's engine opens (a SQLAlchemy connect listener); the
        pool is emptied so that none opened before escapes."""
        with app.app_context():
            engine = db.engine
            event.listen(engine, "connect", lambda dbapi, _record: self.connections.append(dbapi))
            engine.dispose()

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.seen = []
        for connection in self.connections:
            connection.set_trace_callback(self.seen.append)
        try:
            yield self.seen
        finally:
            for connection in self.connections:
                connection.set_trace_callback(None)


def statement_key(sql: str) -> str:
    return NOW_RE.sub("'<now>'", " ".join(sql.split()))


def is_control(sql: str) -> bool:
    return sql.lstrip().split(" ", 1)[0].upper() in CONTROL


def label(sql: str) -> str:
    """A short name for a statement: 'SELECT posts by slug', 'SELECT count comments by post_id',
    'INSERT comments': its verb, the table and the first column it selects on, read outside
    any subquery (a count over a subquery takes them from the subquery)."""
    verb = sql.lstrip().split(" ", 1)[0].upper()
    outer = sql
    # Every parenthesis, innermost first, becomes a mark no name pattern matches.
    while (inner := re.sub(r"\([^()]*\)", " ¤ ", outer)) != outer:
        outer = inner
    table = TABLE_RE.search(outer) or TABLE_RE.search(sql)
    count = " count" if "count ¤" in outer.lower() else ""
    where = WHERE_RE.search(outer) or WHERE_RE.search(sql)
    by = f" by {where.group(1) or where.group(2)}" if where else ""
    return f"{verb}{count} {table.group(1) if table else '?'}{by}"


@dataclass
class Counted:
    """The statements of one request: data statements, transactions begun, and the labels of
    those repeated within the content version."""

    statements: int
    transactions: int
    repeated: list[str]
    labels: list[str]


def count_sequence(app: Flask, statements: Statements, paths: list[str]) -> dict[str, Counted]:
    """The statements of each page of `paths`, requested in turn within one content version,
    after the same sequence once untraced (the worker's state warm, as under load). A statement
    is repeated when the same SQL with the same arguments (the current time aside) runs more
    than once in the sequence: an answer that could not change in the meantime. The read of
    the content version itself is never counted as a repeat."""
    for path in paths:
        call(app, environ(path))
    traced: dict[str, list[str]] = {}
    for path in paths:
        with statements.recording() as seen:
            status, _body = call(app, environ(path))
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        traced[path] = list(seen)
    keys = Counter(
        statement_key(sql)
        for seen in traced.values()
        for sql in seen
        if not is_control(sql) and VERSION_CHECK not in sql
    )
    return {path: _counted(seen, keys) for path, seen in traced.items()}


def count_one(app: Flask, statements: Statements, env: dict) -> Counted:
    with statements.recording() as seen:
        call(app, env)
    return _counted(list(seen), Counter(statement_key(s) for s in seen if not is_control(s)))


def _counted(seen: list[str], keys: Counter) -> Counted:
    data = [sql for sql in seen if not is_control(sql)]
    repeated = [
        label(sql) for sql in data if VERSION_CHECK not in sql and keys[statement_key(sql)] > 1
    ]
    begun = sum(1 for sql in seen if sql.lstrip().upper().startswith("BEGIN"))
    return Counted(len(data), begun, repeated, [label(sql) for sql in data])


# --- the apps ----------------------------------------------------------------------------------


def copy_site(site: Site, folder: Path) -> Path:
    """A copy of the site's instance (its key, its database, and the reference's copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_bytes((Path(site.instance) / "config.py").read_bytes())
    lean.copy_database(site.database, str(folder / "bench.sqlite3"))
    lean.copy_database(site.database, str(folder / "lean.sqlite3"))
    return folder


def causerie(instance: Path, **config) -> Flask:
    """Causerie as production builds it, on the copy in `instance`, with `config` on top."""
    secret = runpy.run_path(str(instance / "config.py"))["SECRET_KEY"]
    base = {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.sqlite3'}",
    }
    return create_app(base | SPAM_OFF | config, instance_path=instance)


def same_markup(ours: bytes, theirs: bytes) -> str:
    """How close two pages are, their comment-form tokens aside: 'identical' or what differs."""
    a, b = (TOKEN_RE.sub(rb"\1\3", page).decode("utf-8", "replace") for page in (ours, theirs))
    if a == b:
        return "identical"
    differing = sum(
        1 for line in difflib.unified_diff(a.splitlines(), b.splitlines(), n=0, lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )  # fmt: skip
    return f"{differing} lines differ"


# --- the figures -------------------------------------------------------------------------------


def measure(site: Site, folder: Path, *, rounds: int, warm: int) -> dict:
    """Every in-process figure the bench prints: per page, Causerie's CPU (page cache off and
    on) beside the reference's, the statements, the first request after a content change, and
    the comment POST. Returns the rows and the derived figures as plain data (for the JSON)."""
    instance = copy_site(site, folder)
    post_path = f"/posts/{site.model_slug}/"
    pages = {
        "post page": post_path,
        "home page": "/",
        "tag page": f"/tags/{site.tag_slug}/",
        "feed": "/feed.xml",
    }
    uncached = causerie(instance, CACHE_PAGES=False)
    uncached_50 = causerie(instance, CACHE_PAGES=False, COMMENTS_PER_PAGE=50)
    cached = causerie(instance, CACHE_PAGES=True)
    writer = causerie(instance, CACHE_PAGES=True)
    reference = lean.from_instance(instance)
    reference_50 = lean.from_instance(instance, comments_per_page=50)
    counters = {}
    for name, app in (("uncached", uncached), ("uncached_50", uncached_50), ("cached", cached)):
        counters[name] = Statements()
        counters[name].watch_engine(app)
    lean_statements = Statements()
    rows: list[dict] = []

    def get(path: str) -> Callable[[int], dict]:
        return lambda _n: environ(path)

    def row(name: str, ours: Subject, theirs: Subject, **extra) -> dict:
        entry = {
            "page": name,
            "causerie_ms": ours.median_ms,
            "lean_ms": theirs.median_ms,
            "ratio": ours.median_ms / theirs.median_ms,
            "requests": len(ours.times),
            "causerie_bytes": len(ours.body),
            "lean_bytes": len(theirs.body),
        } | extra
        rows.append(entry)
        print(f"  {name}: {entry['causerie_ms']:.2f} ms against {entry['lean_ms']:.2f} ms "
              f"(×{entry['ratio']:.1f})", flush=True)  # fmt: skip
        return entry

    # Uncached renders: every page, and the post page with 50 comments shown.
    sequence = [pages["home page"], pages["tag page"], pages["feed"], post_path + "?page=2",
                post_path]  # fmt: skip
    counted = count_sequence(uncached, counters["uncached"], sequence)
    # The post page with 20 and with 50 comments shown, all four in one alternation: the cost
    # of a comment is their difference, which a drift of the machine between two would swamp.
    shown = {20: (uncached, reference), 50: (uncached_50, reference_50)}
    post_subjects = {n: (Subject(a, get(post_path)), Subject(b, get(post_path)))
                     for n, (a, b) in shown.items()}  # fmt: skip
    alternate([s for pair in post_subjects.values() for s in pair], rounds, warm)
    for name, path in pages.items():
        if path == post_path:
            ours, theirs = post_subjects[20]
        else:
            ours, theirs = Subject(uncached, get(path)), Subject(reference, get(path))
            alternate([ours, theirs], rounds, warm)
        c = counted[path]
        lean_count = _lean_count(reference, lean_statements, path)
        row(f"{name}, uncached", ours, theirs, statements=c.statements, labels=c.labels,
            transactions=c.transactions, repeated=c.repeated, lean_statements=lean_count,
            markup=same_markup(ours.body, theirs.body), wrk=name)  # fmt: skip
    ours, theirs = post_subjects[50]
    c50 = count_one(uncached_50, counters["uncached_50"], environ(post_path))
    row("post page, 50 comments shown, uncached", ours, theirs, statements=c50.statements,
        labels=c50.labels, transactions=c50.transactions, repeated=c50.repeated,
        lean_statements=_lean_count(reference_50, lean_statements, post_path),
        markup=same_markup(ours.body, theirs.body))  # fmt: skip

    # The page cache on: what a reader of a stored page costs, against the reference's render.
    for name, path in pages.items():
        ours, theirs = Subject(cached, get(path)), Subject(reference, get(path))
        alternate([ours, theirs], rounds, warm)
        c = count_one(cached, counters["cached"], environ(path))
        row(f"{name}, page cache on", ours, theirs, statements=c.statements, labels=c.labels,
            transactions=c.transactions, repeated=[], wrk=name)  # fmt: skip

    # First request after a content change (another post's date, committed by another app,
    # as another worker would), against the uncached render of the same page.
    other = _other_post_id(writer, site)

    def change(_n: int) -> None:
        with writer.app_context():
            db.session.get(Post, other).updated_at = utcnow()
            db.session.commit()

    first = Subject(cached, get(post_path), before=change)
    steady = Subject(uncached, get(post_path))
    alternate([first, steady], rounds, warm)
    change(0)
    c_first = count_one(cached, counters["cached"], environ(post_path))
    after_change = {
        "first_ms": first.median_ms,
        "uncached_ms": steady.median_ms,
        "over_ms": first.median_ms - steady.median_ms,
        "statements": c_first.statements,
        "transactions": c_first.transactions,
        "labels": c_first.labels,
        "repeated": c_first.repeated,  # within the request itself
    }
    print(f"  first request after a content change: {first.median_ms:.2f} ms against "
          f"{steady.median_ms:.2f} ms uncached", flush=True)  # fmt: skip

    # The comment POST: the same form (a fresh token and words of its own each time) to both.
    page_token = TOKEN_RE.search(call(cached, environ(post_path))[1]).group(2).decode()
    secret = runpy.run_path(str(instance / "config.py"))["SECRET_KEY"]
    fresh = refresher(secret)
    action = f"{post_path}comments"

    def comment(who: str) -> Callable[[int], dict]:
        def make(n: int) -> dict:
            return environ(action, form={
                "token": fresh(page_token), "parent_id": "", "subject": "",
                "name": "Lectrice du banc", "email": "banc@example.org", "website": "",
                "body": f"Commentaire {who} n° {n} : merci pour ce billet, j'ai enfin réussi "
                        "ma première miche ! La *croûte* chante en refroidissant.",
            })  # fmt: skip

        return make

    ours = Subject(cached, comment("causerie"), expect=(302, 303))
    theirs = Subject(reference, comment("lean"), expect=(302, 303))
    alternate([ours, theirs], rounds, warm)
    c_post = count_one(cached, counters["cached"], comment("causerie")(10**6))
    post = row("comment POST", ours, theirs, statements=c_post.statements,
               labels=c_post.labels, transactions=c_post.transactions, repeated=[],
               lean_statements=_lean_count(reference, lean_statements, action,
                                           comment("lean")(10**6)))  # fmt: skip

    by_name = {r["page"]: r for r in rows}
    twenty, fifty = (
        by_name["post page, uncached"],
        by_name["post page, 50 comments shown, uncached"],
    )
    shown = 30  # the model post has 50 comments: 20 or 50 of them on its first page
    per_comment = {
        "causerie_ms": (fifty["causerie_ms"] - twenty["causerie_ms"]) / shown,
        "lean_ms": (fifty["lean_ms"] - twenty["lean_ms"]) / shown,
    }
    per_comment["ratio"] = (
        per_comment["causerie_ms"] / per_comment["lean_ms"] if per_comment["lean_ms"] > 0 else None
    )
    for app in (uncached, uncached_50, cached, writer):
        with app.app_context():
            db.engine.dispose()
    return {
        "rows": rows,
        "per_comment": per_comment,
        "after_change": after_change,
        "post": post,
        "sequence": sequence,
        "rounds": rounds,
    }


def _lean_count(app: Flask, statements: Statements, path: str, env: dict | None = None) -> int:
    """The reference's statements for one request (its one connection, traced)."""
    reference: lean.Lean = app.extensions["lean"]
    connection = reference.db()
    if connection not in statements.connections:
        statements.connections.append(connection)
    with statements.recording() as seen:
        call(app, env or environ(path))
    return sum(1 for sql in seen if not is_control(sql))


def _other_post_id(app: Flask, site: Site) -> int:
    """A public post other than the model post: changing it changes the content version only."""
    with app.app_context():
        return db.session.scalar(
            db.select(Post.id).where(Post.id != site.model_post_id).order_by(Post.id.desc())
        )
