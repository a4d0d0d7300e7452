"""Database connection settings: SQLite gets foreign keys, WAL and a busy timeout on every connection."""

from flask import Flask
from sqlalchemy import event

from .extensions import db


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA busy_timeout=10000")  # a writer waits its turn instead of failing
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
