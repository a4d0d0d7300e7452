"""Moving out and back in: the whole site as one JSON file (docs/export-format.md), and back."""

from __future__ import annotations

import json
import re
import reprlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import String, Table, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from ..clock import is_timezone, utcnow
from ..comments import thread
from ..extensions import db
from ..kernel.database import reading_only, writing
from ..kernel.settings import site_settings
from ..kernel.text import SLUG_PATTERN
from ..media import UPLOAD_NAME_RE, image_attributes
from ..models import (
    APPROVED,
    DRAFT,
    PAGE,
    PENDING,
    POST,
    PUBLISHED,
    SCHEDULED,
    SPAM,
    Comment,
    Post,
    Upload,
    body_fingerprint,
    unusable_password_hash,
)
from ..posts import render
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
    # password to replace, and a new token. Their last login was on the other site: here, the
    # first one is still to come.
    Exported("authors", frozenset({"password_hash", "session_token", "last_login_at"})),
    Exported("tags"),
    # A private preview link's key: links handed out before the move stop working. A form key
    # names a form this server served.
    Exported("posts", frozenset({"preview_key", "preview_issued_at", "form_key"})),
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

# An import trusts nothing in the file. What the site derives from a source (HTML, summaries,
# counts, fingerprints) is derived again with this site's renderer, whatever the file says.
DERIVED: dict[str, frozenset[str]] = {
    "posts": frozenset(
        {"body_html", "excerpt_html", "summary", "has_more", "word_count", "render_key"}
    ),
    "comments": frozenset({"body_html", "render_key", "fingerprint"}),
}
# Integers are those PostgreSQL's INTEGER holds, ids and references are positive, and these
# columns take what the site's own forms allow.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("site_settings", "id"): (1, 1),
    ("site_settings", "posts_per_page"): (1, 100),
    ("site_settings", "close_comments_after_days"): (0, 36500),
    ("site_settings", "max_links"): (0, 100),
    ("posts", "version"): (1, INT_MAX),
    ("uploads", "size"): (0, INT_MAX),
    ("uploads", "width"): (0, INT_MAX),
    ("uploads", "height"): (0, INT_MAX),
}
CHOICES: dict[tuple[str, str], frozenset[str]] = {
    ("posts", "status"): frozenset({DRAFT, PUBLISHED}),
    ("posts", "kind"): frozenset({POST, PAGE}),
    ("comments", "status"): frozenset({PENDING, APPROVED, SPAM}),
    ("autosaves", "kind"): frozenset({POST, PAGE}),
    ("revisions", "state"): frozenset({DRAFT, SCHEDULED, PUBLISHED}),
}
SLUGS = frozenset({("posts", "slug"), ("tags", "slug")})
# Text columns the site fills itself, in the form it writes them.
PATTERNS: dict[tuple[str, str], tuple[re.Pattern[str], str]] = {
    ("uploads", "name"): (UPLOAD_NAME_RE, "a name Causerie gives its uploads"),
    ("uploads", "sha256"): (re.compile(r"[0-9a-f]{64}"), "a SHA-256 in hexadecimal"),
    ("uploads", "variant_widths"): (
        re.compile(r"(?:[1-9][0-9]{0,4}(?: [1-9][0-9]{0,4})*)?"),
        "widths separated by spaces",
    ),
}
# Text columns without a length of their own: the editor's limit for a post's Markdown.
TEXT_MAX = 1_000_000
# A file larger than this is refused before it is read (it would be held in memory whole).
IMPORT_MAX_BYTES = 512 * 1024 * 1024
# Values quoted in messages are cut short: a message stays one line.
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 40


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
    """A JSON value as the column's Python value, checked as the site's own forms would check
    it; TransferError when it cannot be one."""
    column = table.c[name]
    where = f"{table.name}.{name}"
    if value is None:
        if column.nullable or column.primary_key:
            return None
        raise TransferError(f"{where} is null, and must have a value.")
    if isinstance(value, (dict, list)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise TransferError(f"{where} holds {kind}, which is not a value of a field.")
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime:
            return _as_utc(datetime.fromisoformat(value))
        if kind is date:
            return date.fromisoformat(value)
        if kind in (bool, int, str) and (
            not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        ):
            raise TypeError(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: year 1 at UTC+5
        raise TransferError(
            f"{where} holds {_SHORT.repr(value)}, which is not a {kind.__name__}."
        ) from None
    if kind is int:
        _check_range(table, column, where, value)
    elif kind is str:
        _check_text(table, column, where, value)
    return value


def _as_utc(value: datetime) -> datetime:
    """Times are stored as naive UTC: one written with its zone is brought to UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _check_range(table: Table, column, where: str, value: int) -> None:
    low, high = RANGES.get((table.name, column.name), (INT_MIN, INT_MAX))
    if column.primary_key or column.foreign_keys:
        low = max(low, 1)
    if not low <= value <= high:
        raise TransferError(
            f"{where} holds {_SHORT.repr(value)}, outside the {low} to {high} it may hold."
        )


def _check_text(table: Table, column, where: str, value: str) -> None:
    key = (table.name, column.name)
    limit = column.type.length if isinstance(column.type, String) and column.type.length else None
    limit = limit or TEXT_MAX
    if len(value) > limit:
        raise TransferError(f"{where} holds {len(value)} characters, more than its {limit}.")
    if "\x00" in value:
        raise TransferError(f"{where} holds a NUL character, which no text may hold.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise TransferError(
                f"{where} holds half of a character (a lone surrogate), which no text may hold."
            ) from None
    allowed = CHOICES.get(key)
    if key == ("site_settings", "language"):
        allowed = frozenset(current_app.config["LANGUAGES"])
    if allowed is not None and value not in allowed:
        raise TransferError(
            f"{where} holds {_SHORT.repr(value)}; this Causerie knows "
            + ", ".join(repr(choice) for choice in sorted(allowed))
            + "."
        )
    if key == ("site_settings", "timezone") and not is_timezone(value):
        raise TransferError(f"{where} holds {_SHORT.repr(value)}, which is not a time zone.")
    if key in PATTERNS and not PATTERNS[key][0].fullmatch(value):
        raise TransferError(f"{where} holds {_SHORT.repr(value)}, which is not {PATTERNS[key][1]}.")
    if key in SLUGS and not SLUG_PATTERN.match(value):
        raise TransferError(
            f"{where} holds {_SHORT.repr(value)}, which is not an address (lowercase letters, "
            "digits and single hyphens)."
        )


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
    write_seconds: float = 0.0


Progress = Callable[[Sequence[dict]], AbstractContextManager[Iterable[dict]]]


def _refuse_unless_empty() -> None:
    if clash := content_counts():
        found = ", ".join(f"{count} {table}" for table, count in clash.items())
        raise TransferError(
            f"This site is not empty ({found}): import-json only fills an empty site. "
            "Point CMS_SQLALCHEMY_DATABASE_URI at a new database, run `flask --app app init`, "
            "then import."
        )


def import_site(data: Any, *, progress: Progress = nullcontext) -> ImportResult:
    """Insert an export into this empty site, all or nothing.

    Nothing in the file is trusted: every value is checked first (types, ranges, lengths,
    languages...), and HTML, excerpts and fingerprints are made again from the Markdown and
    comment sources by this site's renderer (`progress` wraps the posts as they render), all
    before any lock; then one short transaction writes it. Row ids are kept, so every
    reference between rows survives. Authors get a random password. Needs a request context
    (comment @mentions link to their comment's address).
    """
    _check_header(data)
    with reading_only():
        try:
            _refuse_unless_empty()  # at once, rather than after checking a large file
            language = site_settings().language
        finally:
            db.session.rollback()
    tables: dict[str, list[dict[str, Any]]] = {}
    for spec in EXPORTED:
        records = data.get(spec.table, [])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TransferError(f'"{spec.table}" must be a list of objects.')
        tables[spec.table] = [_row_values(_table(spec.table), spec, r) for r in records]
    if len(tables["site_settings"]) > 1:
        raise TransferError('"site_settings" holds more than the one settings row.')
    for row in tables["site_settings"]:
        language = row.get("language") or language
    authors = [row["username"] for row in tables["authors"]]
    for row in tables["authors"]:
        row["password_hash"] = unusable_password_hash()
    # The imported posts' images get their srcset from the imported uploads (the files come
    # with instance/uploads/, copied along).
    images = image_attributes(Upload(**row) for row in tables["uploads"])
    with progress(tables["posts"]) as posts:
        for row in posts:
            _render_post(row, language, images)
    _render_comments(tables["comments"], language)

    started = time.monotonic()
    try:
        with writing():
            _refuse_unless_empty()  # again, holding the lock: nothing came in meanwhile
            for spec in EXPORTED:
                table = _table(spec.table)
                if spec.table in REPLACED_ON_IMPORT:
                    db.session.execute(table.delete())
                _insert(table, tables[spec.table])
            _reset_sequences()
            db.session.commit()
    except SQLAlchemyError as err:
        db.session.rollback()
        reason = " ".join(str(getattr(err, "orig", None) or err).split())
        raise TransferError(
            f"The import failed and was undone, nothing was saved: {reason}"
        ) from err
    except BaseException:
        db.session.rollback()
        raise
    rows = {spec.table: len(tables[spec.table]) for spec in EXPORTED}
    seconds = time.monotonic() - started
    return ImportResult(rows=rows, authors=authors, write_seconds=seconds)


def _row_values(table: Table, spec: Exported, record: dict[str, Any]) -> dict[str, Any]:
    retired = RETIRED.get(spec.table, frozenset())
    record = {name: value for name, value in record.items() if name not in retired}
    if unknown := set(record) - set(_columns(spec)):
        names = ", ".join(_SHORT.repr(name).strip("'") for name in sorted(unknown)[:5])
        raise TransferError(
            f"{spec.table} has fields this Causerie does not know ({names}): "
            "the export comes from a newer version. Upgrade Causerie, then import it."
        )
    derived = DERIVED.get(spec.table, frozenset())
    return {
        name: _from_json(table, name, value)
        for name, value in record.items()
        if name not in derived
    }


def _render_post(row: dict[str, Any], language: str, images: dict[str, dict[str, str]]) -> None:
    """The post's HTML, excerpt, summary and word count, by the posts feature's own rule (on a
    post that never enters the session)."""
    post = Post(body=row.get("body") or "")
    render(post, language, images)
    row.update({name: getattr(post, name) for name in DERIVED["posts"]})


def _render_comments(rows: list[dict[str, Any]], language: str) -> None:
    """Each comment's HTML and fingerprint, its opening @Name linked as the thread links it:
    to the latest approved comment of the same post before it bearing that name (or to the one
    it answers, when that one does)."""
    approved: dict[int, list[tuple[datetime, int, str]]] = {}  # post -> (created, id, name)
    for row in rows:
        if row.get("status") == APPROVED and row.get("id") is not None:
            created = row.get("created_at") or datetime.min
            approved.setdefault(row["post_id"], []).append((created, row["id"], row["author_name"]))
    for names in approved.values():
        names.sort(reverse=True)  # newest first, as the thread reads them
    for row in rows:
        body = row.get("body") or ""
        earlier: list[tuple[int, str]] = []
        parent = None
        if body.startswith("@"):  # only a comment opening with @Name needs the others
            names = approved.get(row.get("post_id"), [])
            place = (row.get("created_at") or datetime.max, row.get("id") or 0)
            earlier = [(cid, name) for created, cid, name in names if (created, cid) < place]
            parent = next(
                ((cid, name) for _, cid, name in names if cid == row.get("parent_id")), None
            )
        comment = Comment(body=body)
        thread.render(comment, language, earlier, parent)
        row.update(
            body_html=comment.body_html,
            render_key=comment.render_key,
            fingerprint=body_fingerprint(body),
        )


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


@contextmanager
def _progress_bar(posts: Sequence[dict]) -> Iterator[Iterator[dict]]:
    """A bar on the terminal (stderr) while posts render."""
    label = f"Rendering {len(posts)} posts and pages"
    with click.progressbar(posts, label=label, file=sys.stderr) as bar:
        yield bar


def read_export(file: Path) -> Any:
    """The JSON of an export file; TransferError, in one line, for one too large or too deeply
    nested to be an export, or not JSON at all."""
    size = file.stat().st_size
    if size > IMPORT_MAX_BYTES:
        raise TransferError(
            f"{file.name} is {size:,} bytes, larger than the {IMPORT_MAX_BYTES:,} bytes an "
            "export may be. Nothing was imported."
        )
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except RecursionError:
        # An export nests three levels deep (tables, rows, values); Python gives up near 1,000.
        raise TransferError(
            f"{file.name} is nested too deeply to be a Causerie export. Nothing was imported."
        ) from None
    except (UnicodeDecodeError, ValueError) as err:  # ValueError: JSON, or a 5,000-digit number
        reason = " ".join(str(err).split())
        raise TransferError(f"{file.name} is not valid JSON: {reason}") from err


@click.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_json_command(file: Path) -> None:
    """Restore a JSON export (from `flask --app app export`) into this empty site.

    Every value is checked and every page rendered again by this site before anything is
    written, then one short transaction writes it all (all or nothing)."""
    data = read_export(file)
    # Comment @mentions link with url_for, which needs a request outside of SERVER_NAME.
    with current_app.test_request_context():
        result = import_site(data, progress=_progress_bar)
    click.echo(
        f"Imported {file.name}: " + ", ".join(f"{n} {table}" for table, n in result.rows.items())
    )
    click.echo(f"Written in one transaction of {result.write_seconds:.2f} s.")
    if result.authors:
        click.echo(
            f"Authors ({', '.join(result.authors)}) need a new password before they can log in: "
            "flask --app app set-password NAME"
        )
