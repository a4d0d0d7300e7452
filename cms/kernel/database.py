"""Database connections: SQLite pragmas and up-front write locks; PostgreSQL as it comes; the
write probe health checks run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import click
from flask import Flask, after_this_request, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, event, inspect, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db

# Requests that change nothing; any other method is a write and takes the write lock up front.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# How SQLite makes a commit durable (SQLITE_SYNCHRONOUS in cms/config.py). In WAL mode, FULL
# syncs the WAL to the disk at every commit, so an acknowledged commit survives a power cut.
# NORMAL syncs only at checkpoints: a process that crashes loses nothing, but the last commits
# before a power cut or an OS crash may roll back (https://www.sqlite.org/pragma.html#pragma_synchronous).
SYNCHRONOUS_LEVELS = ("EXTRA", "FULL", "NORMAL")
BUSY_TIMEOUT_MS = 10_000  # a writer waits its turn instead of failing
# How long the write probe waits for the lock: a health check answers within seconds, and a
# lock held longer already makes the site's writers wait.
PROBE_WAIT_MS = 2_000

_write_intent: ContextVar[bool | None] = ContextVar("write_intent", default=None)


@contextmanager
def reading_only() -> Iterator[None]:
    """Start SQLite transactions deferred inside this block, even outside a request.

    For command-line work that only reads (export, check), so that it never holds the write
    lock the site's own writers need.
    """
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """Start SQLite transactions with the write lock inside this block, even inside a request.

    For a bulk write (an import) that reads what it is about to write over: its reads and its
    writes are one transaction, and it waits its turn (busy_timeout) instead of failing.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def wants_write_lock() -> bool:
    """Whether a transaction starting now should take SQLite's write lock at once.

    Requests decide by their method. A command-line task takes it (most that open a
    transaction write), unless the transaction runs inside reading_only(). Anything else (code
    around a request, such as the page cache reading its version) only reads: it never waits.
    """
    intent = _write_intent.get()
    if intent is not None:
        return intent
    if has_request_context():
        return request.method not in SAFE_METHODS
    return click.get_current_context(silent=True) is not None


def _sqlite_settings(synchronous: str):
    """The "connect" listener that sets every new SQLite connection up."""

    def configure(dbapi_connection, _record) -> None:
        # Without pysqlite's own transaction handling, which would send a plain BEGIN just
        # before the first write, the "begin" listener below decides how every transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return configure


def _begin_sqlite(connection: Connection) -> None:
    # A deferred transaction that reads and then writes cannot wait for the lock: if another
    # process wrote in between, SQLite answers "database is locked" at once, whatever the busy
    # timeout. BEGIN IMMEDIATE waits (busy_timeout) for the write lock before reading anything.
    if _write_intent.get() is None and has_request_context():
        # A request, reading or writing: its reads run on their own and _lock_at_first_write
        # begins the transaction, so the lock is held from the first write to the commit, not
        # while the request checks a form or renders a comment (with the lock held from the
        # first read, 32 commenters queue behind each other's whole requests), and a GET that
        # saves re-rendered HTML waits for the lock like any writer.
        pass
    elif wants_write_lock():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def _lock_at_first_write(connection: Connection, cursor, statement: str, *_args) -> None:
    """BEGIN IMMEDIATE just before a writing request's first write (nothing else is open yet,
    so it waits for the lock rather than failing). Reads before it saw committed data, as
    between two requests; what the write depends on is read again inside its transaction."""
    if connection.connection.dbapi_connection.in_transaction:
        return
    if statement.lstrip()[:9].upper().startswith(_WRITES):
        cursor.execute("BEGIN IMMEDIATE")


def write_unless_changed(record, guard: InstrumentedAttribute) -> bool:
    """Write the changes made in memory to `record` unless `guard` (one of its columns) changed
    in the database since the record was read: HTML rendered from what a request read never
    overwrites a save made meanwhile. The record then holds its new values as if loaded with
    them. Whether the row was written."""
    state = inspect(record)
    columns = (state.attrs[column.key] for column in state.mapper.column_attrs)
    changes = {attr.key: attr.value for attr in columns if attr.history.added}
    if not changes:
        return False
    model = type(record)
    (key,) = state.mapper.primary_key
    statement = (
        update(model)
        .where(key == state.identity[0], guard == getattr(record, guard.key))
        .values(changes)
        .execution_options(synchronize_session=False)
    )
    with db.session.no_autoflush:
        written = db.session.execute(statement).rowcount == 1
    for name, value in changes.items():
        set_committed_value(record, name, value)
    return written


def commit_after_response() -> None:
    """Commit once the response is built, for a reading request that wrote on its way (stale
    HTML rendered again): its template reads the records as they are, not expired by a commit.
    Failing costs only the saving, never the page: the next request renders again."""
    if g.get("commit_after_response"):
        return
    g.commit_after_response = True

    @after_this_request
    def commit(response):
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("Re-rendered HTML not saved", exc_info=True)
        return response


def configure_engine(engine: Engine, *, synchronous: str = "FULL") -> None:
    """Attach the connection settings to an engine that has not connected yet; `synchronous` is
    one of SYNCHRONOUS_LEVELS (RuntimeError otherwise, naming the setting)."""
    if engine.dialect.name != "sqlite":
        return
    level = str(synchronous).upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise RuntimeError(
            f"SQLITE_SYNCHRONOUS is {synchronous!r}: use FULL (the default: a commit survives a "
            "power cut) or NORMAL (faster; the last commits before a power cut may be lost)."
        )
    event.listen(engine, "connect", _sqlite_settings(level))
    event.listen(engine, "begin", _begin_sqlite)
    event.listen(engine, "before_cursor_execute", _lock_at_first_write)


def sqlite_database_file() -> Path | None:
    """The app's SQLite file (its -wal and -shm files sit beside it); None for another database
    or one in memory."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a URI filename (?uri=true): its path part
        return Path(urlsplit(url.database).path).resolve()
    return Path(url.database).resolve()


class WriteProblem(NamedTuple):
    """Why the database takes no write: `summary` for anyone ("cannot be reached", "refuses
    writes"), `detail` the driver's own words, for the site's owner."""

    summary: str
    detail: str

    def __str__(self) -> str:
        return f"{self.summary}: {self.detail}"


def write_problem() -> WriteProblem | None:
    """None when the database takes a write now, else why not.

    The probe takes the write lock (waiting PROBE_WAIT_MS at most) and runs an UPDATE that
    matches no row, then rolls back: it proves the lock, a writable file and a read-write
    server, and costs no disk write. It does not prove room to grow: on a full disk a SQLite
    write that fits the WAL's last block still succeeds, so callers measure free space too.
    """
    sqlite = db.engine.dialect.name == "sqlite"
    dbapi_error = db.engine.dialect.loaded_dbapi.Error
    try:
        connection = db.engine.raw_connection()  # the driver's own errors, not SQLAlchemy's
    except (dbapi_error, SQLAlchemyError) as err:
        return WriteProblem("cannot be reached", _first_line(err))
    try:
        cursor = connection.cursor()
        if sqlite:
            cursor.execute(f"PRAGMA busy_timeout={PROBE_WAIT_MS}")
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute(f"SET LOCAL lock_timeout = {PROBE_WAIT_MS}")
            cursor.execute(f"SET LOCAL statement_timeout = {PROBE_WAIT_MS}")
        cursor.execute("UPDATE content_version SET id = id WHERE 1 = 0")
    except dbapi_error as err:
        return WriteProblem("refuses writes", _first_line(err))
    finally:
        try:
            connection.rollback()
            if sqlite:
                connection.cursor().execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except dbapi_error:
            connection.invalidate()  # a connection in an unknown state is not given out again
        connection.close()
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def init_app(app: Flask) -> None:
    with app.app_context():
        configure_engine(db.engine, synchronous=app.config.get("SQLITE_SYNCHRONOUS", "FULL"))
