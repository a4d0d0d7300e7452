"""Backups: one archive with a consistent copy of the SQLite database and the uploads; restore."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from ..clock import utcnow
from ..extensions import db
from ..kernel.database import reading_only
from ..kernel.storage import free_space
from ..media import UPLOAD_NAME_RE, upload_folder
from . import schema
from .migrations import migration_revisions

DATABASE_NAME = "causerie.sqlite3"
UPLOADS_NAME = "uploads"
MANIFEST_NAME = "backup.json"
# Tables whose rows make a database worth a backup before an upgrade touches it.
CONTENT_TABLES = ("authors", "posts", "comments")
# How long a restore waits for the site's writers in flight to commit before it takes the lock.
WRITERS_WAIT = 30


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead; the message tells the user why and what to do."""


def sqlite_file() -> Path:
    """The SQLite database file of the app; BackupError for any other kind of database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"The database is {url.get_backend_name()}, not SQLite: back it up with its own "
            "tools (for PostgreSQL: pg_dump --format=custom), and copy the instance folder's "
            "uploads/ with it."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("The database lives in memory: there is nothing to back up.")
    return Path(url.database)


def default_backup_folder() -> Path:
    return Path(current_app.instance_path) / "backups"


def copy_database(source: Path, target: Path) -> None:
    """Copy a live SQLite database with SQLite's online backup API: a consistent snapshot,
    taken while other processes keep reading and writing it."""
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        # A copy of a WAL database is one too: make it a plain file that opens anywhere.
        dst.execute("PRAGMA journal_mode=DELETE")


def integrity_problem(path: Path) -> str | None:
    """None when `path` is a sound SQLite database, else what is wrong with it."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as err:
        return str(err)
    if result != ["ok"]:
        return "; ".join(result[:3])
    if "posts" not in tables:
        return "it holds no Causerie tables"
    return None


def scratch_folder(parent: Path):
    """A temporary folder in `parent` for a backup's or a restore's copies (the size of the
    database: /tmp may be a small tmpfs), removed afterwards. Its name carries this process's
    id, so the folders of a process killed on the way are found and removed by the next one."""
    parent.mkdir(parents=True, exist_ok=True)
    for left in parent.glob(".scratch-*-*"):
        pid = left.name.split("-")[1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return tempfile.TemporaryDirectory(dir=parent, prefix=f".scratch-{os.getpid()}-")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _archive_path(folder: Path, stem: str) -> Path:
    """A new file in folder named after the time, never one that exists already."""
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"{stem}-{stamp}.tar.gz", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{stamp}-{n}.tar.gz"
    return path


def make_backup(folder: Path | None = None, *, stem: str = "causerie-backup") -> Path:
    """Write one timestamped tar.gz: the database (online backup), uploads/ and a manifest.

    instance/config.py (the secret key) is left out on purpose: an archive copied to another
    machine then opens no session; keep that file separately. A disk that fills up is a
    BackupError, and leaves no partial archive behind.
    """
    database = sqlite_file()
    if not database.exists():
        raise BackupError(f"There is no database at {database} yet: run `flask --app app init`.")
    folder = Path(folder or default_backup_folder())
    try:
        return _write_backup(database, folder, stem)
    except (OSError, sqlite3.Error) as err:
        if not _out_of_space(err):
            raise
        (space,) = free_space({"backups": folder})
        # The scratch folder, partial archive included, is gone with the with-block.
        raise BackupError(
            f"No room for a backup in {space.folder} ({space.free_mb} MB free): nothing was "
            "kept. Free some space, or write it elsewhere: flask --app app backup DEST"
        ) from err


def _out_of_space(error: OSError | sqlite3.Error) -> bool:
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return "database or disk is full" in str(error)


def _write_backup(database: Path, folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    archive = _archive_path(folder, stem)
    current, _head = migration_revisions()
    with scratch_folder(folder) as scratch:
        copy = Path(scratch) / DATABASE_NAME
        copy_database(database, copy)
        if problem := integrity_problem(copy):
            raise BackupError(f"The database copy failed its integrity check: {problem}")
        manifest = Path(scratch) / MANIFEST_NAME
        manifest.write_text(
            json.dumps(
                {"created_at": utcnow().isoformat(timespec="seconds") + "Z", "schema": current}
            ),
            encoding="utf-8",
        )
        partial = Path(scratch) / archive.name
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(manifest, MANIFEST_NAME)
            tar.add(copy, DATABASE_NAME)
            uploads = upload_folder()
            if uploads.is_dir():
                tar.add(uploads, UPLOADS_NAME)
        partial.chmod(0o600)  # it holds readers' e-mail addresses
        partial.replace(archive)  # a half-written archive never carries the final name
    return archive


def database_needs_backup_before_upgrade() -> bool:
    """Whether the database exists, holds content and is behind the newest migration."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or not Path(url.database).exists():
        return False
    current, head = migration_revisions()
    if current is None or current == head:
        return False
    with reading_only(), db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        return any(
            connection.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first()  # noqa: S608 -- names from CONTENT_TABLES  # nosec B608
            for table in CONTENT_TABLES
            if table in tables
        )


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's members, when they are only the database, the manifest and uploads/."""
    members = tar.getmembers()
    for member in members:
        top = member.name.split("/", 1)[0]
        if top not in (DATABASE_NAME, MANIFEST_NAME, UPLOADS_NAME) or not (
            member.isfile() or member.isdir()
        ):
            raise BackupError(f"The archive holds {member.name!r}: it is not a Causerie backup.")
    if DATABASE_NAME not in {member.name for member in members}:
        raise BackupError(f"The archive has no {DATABASE_NAME}: it is not a Causerie backup.")
    return members


def unpack(archive: Path, into: Path) -> Path:
    """Extract a backup into a folder after checking it; returns the extracted database."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, members=_safe_members(tar), filter="data")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise BackupError(f"{archive.name} cannot be read as a backup archive: {err}") from err
    database = into / DATABASE_NAME
    if problem := integrity_problem(database):
        raise BackupError(
            f"The database in {archive.name} is damaged ({problem}): nothing was changed."
        )
    return database


def check_archive_schema(restored: Path) -> str | None:
    """The revision the archive's database records (None when it records none) once its schema
    is the one the shipped migrations build at that revision (the newest when it records none);
    BackupError otherwise. A trigger or a view in an archive would run inside the site (one can
    rewrite every password hash on the next comment): only what the migrations create passes."""
    revision = schema.revision_of(restored)
    revisions, head = schema.known_revisions()
    if revision is not None and revision not in revisions:
        raise BackupError(
            f"The archive's database is at schema {revision}, which this version of Causerie "
            "does not know (a newer one made it?): nothing was changed."
        )
    with closing(sqlite3.connect(restored)) as connection:
        found = schema.schema_of(connection)
    if difference := schema.describe_difference(found, schema.migrated_schema(revision or head)):
        raise BackupError(
            f"The archive's database is not one Causerie built ({difference}): nothing was changed."
        )
    return revision


def check_archive_uploads(restored: Path) -> None:
    """BackupError unless every upload the archive's database names is a name the site gives:
    the desk deletes an image's file by its name, and '../config.py' would be the secret key."""
    with closing(sqlite3.connect(restored)) as connection:
        names = [name for (name,) in connection.execute("SELECT name FROM uploads")]
    for name in names:
        if not UPLOAD_NAME_RE.fullmatch(name or ""):
            raise BackupError(
                f"The archive's database names an upload {name!r}, which is not a name Causerie "
                "gives its files: nothing was changed."
            )


def _highest_ids(connection: sqlite3.Connection) -> dict[str, int]:
    """The highest id each table of the live database has given: its largest rowid (the id of
    a table with an INTEGER PRIMARY KEY), or what sqlite_sequence remembers of rows deleted
    since."""
    highest: dict[str, int] = {}
    for name, sql in connection.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'table'"
        " AND substr(name, 1, 7) <> 'sqlite_'"
    ).fetchall():
        if "WITHOUT ROWID" not in (sql or "").upper():
            table = schema.quoted(name)
            (largest,) = connection.execute(f"SELECT max(rowid) FROM main.{table}").fetchone()  # noqa: S608  # nosec B608
            highest[name] = largest or 0
    if "sqlite_sequence" in _names(connection, "main"):
        for name, seq in connection.execute("SELECT name, seq FROM main.sqlite_sequence"):
            highest[name] = max(highest.get(name, 0), seq or 0)
    return highest


def _names(connection: sqlite3.Connection, database: str) -> set[str]:
    return {
        name
        for (name,) in connection.execute(f"SELECT name FROM {database}.sqlite_master")  # noqa: S608  # nosec B608
    }


def _content_version(connection: sqlite3.Connection, database: str) -> int:
    if "content_version" not in _names(connection, database):
        return 0
    row = connection.execute(
        f"SELECT version FROM {database}.content_version WHERE id = 1"  # noqa: S608  # nosec B608
    ).fetchone()
    return row[0] if row else 0


def _replace_content(connection: sqlite3.Connection) -> None:
    """Inside the caller's transaction: drop every table, index, trigger and view of the live
    database and build them again from the attached `reference` (the schema the migrations
    build), filled with the attached archive's rows. The archive's own SQL never runs: its
    schema was compared with the reference, and anything a comparison can miss (a clause, a
    condition) stays out. Foreign keys are off on this connection, so no drop cascades."""
    for kind in ("trigger", "view", "table"):
        for (name,) in connection.execute(
            "SELECT name FROM main.sqlite_master WHERE type = ? AND substr(name, 1, 7) <> 'sqlite_'",
            (kind,),
        ).fetchall():
            connection.execute(f"DROP {kind.upper()} main.{schema.quoted(name)}")
    if "sqlite_sequence" in _names(connection, "main"):
        connection.execute("DELETE FROM main.sqlite_sequence")
    objects = connection.execute(
        "SELECT type, name, sql FROM reference.sqlite_master"
        " WHERE sql IS NOT NULL AND substr(name, 1, 7) <> 'sqlite_'"
        " ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END"
    ).fetchall()
    for kind, name, sql in objects:
        connection.execute(sql)  # unqualified: CREATE goes to main, the first database
        if kind == "table":
            table = schema.quoted(name)
            columns = ", ".join(
                schema.quoted(column)
                for _cid, column, *_rest in connection.execute(
                    f"PRAGMA reference.table_info({table})"
                )
            )
            connection.execute(
                f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM archive.{table}"  # noqa: S608  # nosec B608
            )


def _move_on(connection: sqlite3.Connection, highest: dict[str, int], version: int) -> None:
    """Inside the caller's transaction: no table gives again an id the live database gave
    before the restore, and the content version goes past the one before, so no worker's page
    cache serves a page of the old content."""
    archived = {}
    if "sqlite_sequence" in _names(connection, "archive"):
        archived = dict(connection.execute("SELECT name, seq FROM archive.sqlite_sequence"))
    for name, sql in connection.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'table'"
    ).fetchall():
        if "AUTOINCREMENT" not in (sql or "").upper():
            continue
        table = schema.quoted(name)
        (largest,) = connection.execute(f"SELECT max(rowid) FROM main.{table}").fetchone()  # noqa: S608  # nosec B608
        seq = max(largest or 0, archived.get(name) or 0, highest.get(name, 0))
        # sqlite_sequence has no key: a table with no row yet has no line in it.
        if not connection.execute(
            "UPDATE main.sqlite_sequence SET seq = ? WHERE name = ?", (seq, name)
        ).rowcount:
            connection.execute(
                "INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq)
            )
    bumped = max(version, _content_version(connection, "main")) + 1
    connection.execute(
        "INSERT INTO main.content_version (id, version, changed_at) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET version = excluded.version,"
        " changed_at = excluded.changed_at",
        (bumped, utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")),
    )


def restore_backup(archive: Path) -> Path | None:
    """Replace the database and uploads with the archive's; returns the safety copy's path
    (None when there was no database to keep).

    The archive is checked before anything changes: sound, and with the schema the migrations
    build (an older one is brought to the newest first, on its own copy). Then the site's
    writers are held, by SQLite's write lock, from the start of the safety copy to the end of
    the swap: every write they were told is saved is in the safety copy or, if it waited,
    lands in the restored database after it. The swap is one transaction, so readers see the
    old content or the new, and a crash leaves the old.
    """
    database = sqlite_file()
    instance = Path(current_app.instance_path)
    with scratch_folder(instance) as scratch:
        restored = unpack(archive, Path(scratch))
        revision = check_archive_schema(restored)
        _revisions, head = schema.known_revisions()
        if revision is None:
            schema.record_revision(restored, head)  # its schema is the newest one: checked
        elif revision != head:
            schema.migrate_file(restored, head)
        check_archive_uploads(restored)
        reference = Path(scratch) / "reference.sqlite3"
        schema.migrate_file(reference, head)
        db.session.remove()
        db.engine.dispose()  # no connection of this process keeps a view of the old content
        existed = database.exists() and database.stat().st_size > 0
        # isolation_level=None: the transaction is the one begun below, not pysqlite's.
        with closing(
            sqlite3.connect(database, timeout=WRITERS_WAIT, isolation_level=None)
        ) as connection:
            connection.execute("ATTACH DATABASE ? AS archive", (str(restored),))
            connection.execute("ATTACH DATABASE ? AS reference", (str(reference),))
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise BackupError(
                    f"The site kept the database busy for {WRITERS_WAIT} s ({err}): nothing "
                    "was changed; try again."
                ) from err
            try:
                highest = _highest_ids(connection)
                version = _content_version(connection, "main")
                # Read while the lock holds: no writer can commit between the copy and the swap.
                safety = make_backup(stem="before-restore") if existed else None
                _replace_content(connection)
                _move_on(connection, highest, version)
                _swap_uploads(Path(scratch))
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
    return safety


def _swap_uploads(scratch: Path) -> None:
    uploads = upload_folder()
    if uploads.exists():
        # Moved into the scratch folder, deleted with it once the new uploads are in place.
        uploads.rename(scratch / "previous-uploads")
    if (scratch / UPLOADS_NAME).is_dir():
        shutil.move(scratch / UPLOADS_NAME, uploads)


def describe(archive: Path) -> str:
    """When the backup was taken, read from its manifest; "" when it has none."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST_NAME)
            manifest = json.load(member) if member else {}
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError):
        return ""
    created = manifest.get("created_at", "")
    try:
        return datetime.fromisoformat(created.rstrip("Z")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return ""


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path | None) -> None:
    """Write a backup archive (database and uploads) into DEST (default: instance/backups)."""
    click.echo(make_backup(dest))


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database and uploads with those of a backup ARCHIVE."""
    database = sqlite_file()
    taken = describe(archive)
    if not yes:
        click.confirm(
            f"Replace the database {database} and its uploads with the content of {archive.name}"
            + (f" (taken {taken})" if taken else "")
            + "? A safety copy of the current ones is kept first.",
            abort=True,
        )
    safety = restore_backup(archive)
    if safety:
        click.echo(f"Safety copy of the previous content: {safety}")
    click.echo(f"Restored {archive.name}.")
