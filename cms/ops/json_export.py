"""Moving out and back in: the whole site as one JSON file (docs/export-format.md), and back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from ..clock import utcnow
from ..extensions import db
from ..kernel.database import reading_only
from ..models import unusable_password_hash
from .migrations import migration_revisions

FORMAT = "causerie-export"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Exported:
    """One table in the export: every column except those left out, and why they are."""

    table: str
    leave_out: frozenset[str] = field(default_factory=frozenset)


# In an order that inserts every row after the rows it points to. A new table is one line here
# (tests/ops/test_transfer.py fails until every table is either here or in NOT_EXPORTED).
EXPORTED = (
    Exported("site_settings"),
    # Password hashes and session tokens never leave the site: imported authors get a random
    # password to replace, and a new token.
    Exported("authors", frozenset({"password_hash", "session_token"})),
    Exported("tags"),
    # A private preview link's key: links handed out before the move stop working.
    Exported("posts", frozenset({"preview_key", "preview_issued_at"})),
    Exported("post_tags"),
    # A form key names a form this server signed: it means nothing elsewhere.
    Exported("comments", frozenset({"form_key"})),
    Exported("redirects"),
    Exported("revisions"),
    Exported("autosaves"),
    Exported("uploads"),
    Exported("comment_events"),
)
# Tables that describe this server's state rather than the site: rate-limit counts, the page
# cache's version counter, the schema's migration.
NOT_EXPORTED = frozenset({"throttle_events", "content_version", "alembic_version"})
# Fields an older Causerie exported and this one no longer has: an import drops them, so an old
# export still loads (a field nobody ever wrote is refused as coming from a newer version).
RETIRED: dict[str, frozenset[str]] = {
    "comment_events": frozenset({"decision"}),  # always "refused"; dropped by migration 0003
}
# Tables that may hold rows in an "empty" site: `flask init` creates the settings row.
REPLACED_ON_IMPORT = frozenset({"site_settings"})


class TransferError(click.ClickException):
    """An export file that cannot be imported, or a site that cannot receive it."""


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _columns(spec: Exported) -> list[str]:
    return [
        column.name for column in _table(spec.table).columns if column.name not in spec.leave_out
    ]


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_site() -> dict[str, Any]:
    """Everything the site holds, as JSON-ready data (see docs/export-format.md)."""
    with reading_only():
        current, _head = migration_revisions()
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
            "schema": current,
        }
        for spec in EXPORTED:
            table = _table(spec.table)
            columns = _columns(spec)
            query = select(*(table.c[name] for name in columns)).order_by(*table.primary_key)
            data[spec.table] = [
                {name: _to_json(value) for name, value in row._mapping.items()}
                for row in db.session.execute(query)
            ]
        db.session.rollback()
    return data


def write_export(stream: IO[str]) -> dict[str, int]:
    """Write the export as indented JSON; returns the number of rows per table."""
    data = export_site()
    json.dump(data, stream, ensure_ascii=False, indent=1)
    stream.write("\n")
    return {spec.table: len(data[spec.table]) for spec in EXPORTED}


def _from_json(table: Table, name: str, value: Any) -> Any:
    """A JSON value as the column's Python value; TransferError when it cannot be one."""
    if value is None:
        return None
    column = table.c[name]
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is bool:
            if not isinstance(value, bool):
                raise TypeError(value)
            return value
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(value)
            return value
        if kind is str and not isinstance(value, str):
            raise TypeError(value)
    except (TypeError, ValueError):
        raise TransferError(
            f"{table.name}.{name} holds {value!r}, which is not a {kind.__name__}."
        ) from None
    return value


def content_counts() -> dict[str, int]:
    """Rows per exported table that an import would clash with."""
    counts = {}
    for spec in EXPORTED:
        if spec.table in REPLACED_ON_IMPORT:
            continue
        count = db.session.scalar(select(func.count()).select_from(_table(spec.table)))
        if count:
            counts[spec.table] = count
    return counts


def _check_header(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError('This file is not a Causerie export (no "format": "causerie-export").')
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise TransferError(
            f"This export is in format version {version!r}; this Causerie reads version "
            f"{FORMAT_VERSION}. Upgrade Causerie, then import it."
        )


@dataclass
class ImportResult:
    rows: dict[str, int]
    authors: list[str]


def import_site(data: Any) -> ImportResult:
    """Insert an export into this empty site, in one transaction (rolled back on any error).

    Row ids are kept, so every reference between rows survives. Authors get a random password.
    """
    _check_header(data)
    if clash := content_counts():
        found = ", ".join(f"{count} {table}" for table, count in clash.items())
        raise TransferError(
            f"This site is not empty ({found}): import-json only fills an empty site. "
            "Point CMS_SQLALCHEMY_DATABASE_URI at a new database, run `flask --app app init`, "
            "then import."
        )
    rows: dict[str, int] = {}
    authors: list[str] = []
    try:
        for spec in EXPORTED:
            records = data.get(spec.table, [])
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise TransferError(f'"{spec.table}" must be a list of objects.')
            table = _table(spec.table)
            if spec.table in REPLACED_ON_IMPORT:
                db.session.execute(table.delete())
            values = [_row_values(table, spec, record) for record in records]
            if spec.table == "authors":
                authors = [row["username"] for row in values]
                for row in values:
                    row["password_hash"] = unusable_password_hash()
            _insert(table, values)
            rows[spec.table] = len(values)
        _reset_sequences()
        db.session.commit()
    except SQLAlchemyError as err:
        db.session.rollback()
        raise TransferError(
            f"The import failed and was undone, nothing was saved: {getattr(err, 'orig', err)}"
        ) from err
    except BaseException:
        db.session.rollback()
        raise
    return ImportResult(rows=rows, authors=authors)


def _row_values(table: Table, spec: Exported, record: dict[str, Any]) -> dict[str, Any]:
    retired = RETIRED.get(spec.table, frozenset())
    record = {name: value for name, value in record.items() if name not in retired}
    if unknown := set(record) - set(_columns(spec)):
        raise TransferError(
            f"{spec.table} has fields this Causerie does not know ({', '.join(sorted(unknown))}): "
            "the export comes from a newer version. Upgrade Causerie, then import it."
        )
    return {name: _from_json(table, name, value) for name, value in record.items()}


def _insert(table: Table, values: list[dict[str, Any]]) -> None:
    """Insert rows; a column pointing at its own table (comment replies) is filled in after
    every row exists, since a reply may have a smaller id than the comment it answers."""
    if not values:
        return
    own = [
        column.name
        for column in table.columns
        if any(key.column.table is table for key in column.foreign_keys)
    ]
    later = [{name: row.pop(name, None) for name in own} for row in values]
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in values:  # rows with the same fields go in one executemany
        by_keys.setdefault(tuple(sorted(row)), []).append(row)
    for group in by_keys.values():
        db.session.execute(table.insert(), group)
    for row, refs in zip(values, later, strict=True):
        if any(value is not None for value in refs.values()):
            db.session.execute(update(table).where(table.c.id == row["id"]).values(**refs))


def _reset_sequences() -> None:
    """PostgreSQL hands out ids from sequences, which rows inserted with their own ids skip."""
    if db.engine.dialect.name != "postgresql":
        return
    for spec in EXPORTED:
        table = _table(spec.table)
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 -- a model table name  # nosec B608
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
            )
        )


@click.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(file: Path | None) -> None:
    """Write the whole site to a JSON FILE (default: causerie-export-DATE.json here)."""
    file = file or Path(f"causerie-export-{utcnow():%Y%m%d-%H%M%S}.json")
    partial = file.with_name(file.name + ".partial")
    with partial.open("w", encoding="utf-8") as stream:
        counts = write_export(stream)
    partial.chmod(0o600)  # readers' e-mail addresses
    partial.replace(file)
    click.echo(f"Wrote {file}: " + ", ".join(f"{count} {table}" for table, count in counts.items()))


@click.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_json_command(file: Path) -> None:
    """Restore a JSON export (from `flask --app app export`) into this empty site."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TransferError(f"{file.name} is not valid JSON: {err}") from err
    result = import_site(data)
    click.echo(
        f"Imported {file.name}: " + ", ".join(f"{n} {table}" for table, n in result.rows.items())
    )
    if result.authors:
        click.echo(
            f"Authors ({', '.join(result.authors)}) need a new password before they can log in: "
            "flask --app app set-password NAME"
        )
