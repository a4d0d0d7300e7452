"""SQLite schemas compared before a restore: the one a database file holds, and the one the
shipped migrations build at a given revision."""

from __future__ import annotations

import re
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from ..extensions import db
from .migrations import migration_extension

# Alembic's record of the revision: compared on its own (a database built from the models has
# none), never as part of the schema.
REVISION_TABLE = "alembic_version"

Schema = frozenset[tuple]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_of(connection: sqlite3.Connection, database: str = "main") -> Schema:
    """Every table (its columns, primary key, AUTOINCREMENT and CHECK constraints), index (with
    a partial index's condition), foreign key, trigger and view of `database` on `connection`,
    as comparable tuples. Column order, defaults and the SQL's spelling are left out:
    migrations add columns last, with server defaults, where the models list them in place."""
    master = f"{quoted(database)}.sqlite_master"
    objects = connection.execute(
        f"SELECT type, name, tbl_name, sql FROM {master} "  # noqa: S608 -- a schema name we chose  # nosec B608
        "WHERE substr(name, 1, 7) <> 'sqlite_' AND name <> ?",
        (REVISION_TABLE,),
    ).fetchall()
    described: set[tuple] = set()
    for kind, name, table, sql in objects:
        if kind in ("trigger", "view"):
            described.add((kind, name, table))
        elif kind == "table":
            described |= _table(connection, database, name, sql or "")
        # Indexes are described with their table, by what they cover.
    return frozenset(described)


def _table(connection: sqlite3.Connection, database: str, name: str, sql: str) -> set[tuple]:
    schema, table = quoted(database), quoted(name)
    columns = frozenset(
        (column, declared.upper(), bool(notnull), pk, hidden)
        for _cid, column, declared, notnull, _default, pk, hidden in connection.execute(
            f"PRAGMA {schema}.table_xinfo({table})"
        )
    )
    described: set[tuple] = {("table", name, columns, "AUTOINCREMENT" in sql.upper(), _checks(sql))}
    for _seq, index, unique, origin, partial in connection.execute(
        f"PRAGMA {schema}.index_list({table})"
    ):
        covered = tuple(
            (column, bool(descending), collation)
            for _rank, _cid, column, descending, collation, key in connection.execute(
                f"PRAGMA {schema}.index_xinfo({quoted(index)})"
            )
            if key
        )
        condition = None
        if partial:
            (index_sql,) = connection.execute(
                f"SELECT sql FROM {schema}.sqlite_master WHERE type = 'index' AND name = ?",  # noqa: S608  # nosec B608
                (index,),
            ).fetchone()
            condition = _spelled(re.split(r"\bWHERE\b", index_sql, maxsplit=1, flags=re.I)[1])
        # SQLite names the indexes behind UNIQUE and PRIMARY KEY constraints itself.
        label = index if origin == "c" else origin
        described.add(("index", name, label, bool(unique), condition, covered))
    for _id, _seq, target, source, column, _update, on_delete, _match in connection.execute(
        f"PRAGMA {schema}.foreign_key_list({table})"
    ):
        described.add(("foreign key", name, source, target, column, on_delete))
    return described


def _spelled(sql: str) -> str:
    """SQL with its spacing, case and identifier quotes evened out, to compare two spellings."""
    return " ".join(sql.replace('"', "").replace("`", "").lower().split())


def _checks(sql: str) -> frozenset[str]:
    """The CHECK constraints of a CREATE TABLE statement: each clause, spelled evenly. One the
    migrations do not create could refuse chosen comments once restored."""
    found = set()
    for match in re.finditer(r"\bCHECK\s*\(", sql, flags=re.I):
        depth, quote, end = 0, None, len(sql)
        for position in range(match.end() - 1, len(sql)):
            char = sql[position]
            if quote:
                quote = None if char == quote else quote
            elif char in "'\"`":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    end = position + 1
                    break
        found.add(_spelled(sql[match.start() : end]))
    return frozenset(found)


def describe_difference(found: Schema, expected: Schema) -> str | None:
    """None when the schemas are the same, else the first difference, in a few words."""
    tables = {item[1] for item in expected if item[0] == "table"}
    for kind, name, *_rest in sorted(found - expected, key=repr):
        if kind in ("trigger", "view"):
            return f"a {kind} {name!r} that Causerie does not create"
        if name not in tables:
            return f"a table {name!r} that Causerie does not create"
        return f"table {name!r} differs ({kind})"
    found_tables = {item[1] for item in found if item[0] == "table"}
    for kind, name, *_rest in sorted(expected - found, key=repr):
        if name not in found_tables:
            return f"no table {name!r}"
        return f"table {name!r} differs ({kind})"
    return None


def revision_of(path: Path) -> str | None:
    """The Alembic revision a database file records; None when it records none."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        has_table = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (REVISION_TABLE,)
        ).fetchone()
        if not has_table:
            return None
        row = connection.execute(f"SELECT version_num FROM {REVISION_TABLE}").fetchone()  # noqa: S608  # nosec B608
        return row[0] if row else None


def record_revision(path: Path, revision: str) -> None:
    """Write Alembic's record of `revision` into a database file that has none (one built
    from the models), as `flask db stamp` would."""
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            f"CREATE TABLE {REVISION_TABLE} (version_num VARCHAR(32) NOT NULL, "
            f"CONSTRAINT {REVISION_TABLE}_pkc PRIMARY KEY (version_num))"
        )
        connection.execute(f"INSERT INTO {REVISION_TABLE} VALUES (?)", (revision,))  # noqa: S608  # nosec B608


def known_revisions() -> tuple[set[str], str]:
    """(every revision of the shipped migrations, the newest)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def migrate_file(path: Path, destination: str) -> None:
    """Run the shipped migrations on the SQLite file at `path` up to revision `destination`
    (an empty file gets the whole schema). Foreign keys stay off, as in migrations/env.py: a
    rebuilt table must not cascade its drop."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    config = _config()
    script = ScriptDirectory.from_config(config)

    def steps(current, _context):
        return script._upgrade_revs(destination, current)

    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            with EnvironmentContext(config, script, fn=steps, destination_rev=destination) as env:
                env.configure(
                    connection=connection, target_metadata=db.metadata, render_as_batch=True
                )
                with env.begin_transaction():
                    env.run_migrations()
            connection.commit()
    finally:
        engine.dispose()


def migrated_schema(revision: str) -> Schema:
    """The schema the shipped migrations build at `revision`, on a new file of their own."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "migrated.sqlite3"
        migrate_file(path, revision)
        with closing(sqlite3.connect(path)) as connection:
            return schema_of(connection)


def _config():
    migrations = migration_extension()
    return migrations.migrate.get_config(migrations.directory)
