"""Health: the `check` command's report for the site's owner (web/health.py answers monitors)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from ..config import DEV_SECRET_KEY
from ..extensions import db
from ..kernel.database import reading_only, write_problem
from ..kernel.storage import free_space, where_the_site_writes
from ..kernel.text import counted
from ..media import upload_folder
from ..media.reprocessing import count_to_reprocess
from ..models import PAGE, Post
from ..posts import is_reserved_page_slug
from .migrations import migration_revisions

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str  # OK, WARN or FAIL
    subject: str
    detail: str


def check_database() -> Finding:
    """Reachable, sound (SQLite's integrity check) and taking writes (the probe /healthz runs)."""
    engine = db.engine
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            if engine.dialect.name != "sqlite":
                connection.execute(text("SELECT 1"))
                problems = ["ok"]
            else:
                problems = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    except SQLAlchemyError as err:
        return Finding(FAIL, "database", f"cannot be reached ({where}): {err.__class__.__name__}")
    if problems != ["ok"]:
        return Finding(FAIL, "database", f"integrity check failed ({where}): {problems[0]}")
    if problem := write_problem():
        return Finding(FAIL, "database", f"{problem} ({where})")
    checked = ", integrity check ok" if engine.dialect.name == "sqlite" else ""
    return Finding(OK, "database", f"reachable{checked}, takes writes ({where})")


def check_migrations() -> Finding:
    try:
        current, head = migration_revisions()
    except SQLAlchemyError:
        return Finding(FAIL, "schema", "unknown: the database cannot be reached")
    if current == head:
        return Finding(OK, "schema", f"up to date (migration {head})")
    found = f"at migration {current}" if current else "no migration recorded"
    return Finding(FAIL, "schema", f"{found}, latest is {head}: run `flask --app app init`")


def check_instance_folder() -> Finding:
    folder = Path(current_app.instance_path)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        return Finding(FAIL, "instance folder", f"{folder} is not writable: {err.strerror}")
    return Finding(OK, "instance folder", f"{folder} is writable")


def check_secret_key() -> Finding:
    key = current_app.config.get("SECRET_KEY")
    if not key or key == DEV_SECRET_KEY:
        return Finding(FAIL, "secret key", "not set: run `flask --app app init`")
    if len(str(key)) < 16:
        return Finding(WARN, "secret key", "shorter than 16 characters: easy to guess")
    return Finding(OK, "secret key", "set")


def check_free_space() -> list[Finding]:
    """One finding per filesystem the site writes to, measured where each really is: FAIL under
    HEALTH_MIN_FREE_MB (/healthz answers 503 then), a warning under CHECK_MIN_FREE_MB."""
    failing = int(current_app.config["HEALTH_MIN_FREE_MB"])
    warning = int(current_app.config["CHECK_MIN_FREE_MB"])
    findings = []
    for space in free_space(where_the_site_writes(upload_folder())):
        where = f"{space.free_mb} MB free for the {space.holds} ({space.folder})"
        if space.free_mb < failing:
            findings.append(
                Finding(FAIL, "disk", f"only {where}, under {failing} MB: free some space")
            )
        elif space.free_mb < warning:
            findings.append(Finding(WARN, "disk", f"only {where} (under {warning} MB)"))
        else:
            findings.append(Finding(OK, "disk", where))
    return findings


def check_images() -> list[Finding]:
    """Whether images uploaded before they were prepared (migration 0007) wait for `media
    reprocess`; nothing when the database cannot say (the schema's finding tells why)."""
    try:
        waiting = count_to_reprocess()
    except SQLAlchemyError:
        return []
    finally:
        db.session.rollback()  # the check holds no transaction
    if not waiting:
        return [Finding(OK, "images", "every upload is without metadata, with its copies")]
    carry = "carries its" if waiting == 1 else "carry their"
    return [
        Finding(
            WARN,
            "images",
            f"{counted(waiting, 'image')} uploaded before this version still {carry} EXIF/GPS "
            "metadata and no smaller copies: run `flask --app app media reprocess`",
        )
    ]


def check_page_addresses() -> list[Finding]:
    """A warning for each page at an address the site itself uses (made before the site used
    it, or imported from JSON): readers reach the site's page there, never this one."""
    try:
        pages = db.session.execute(select(Post.slug, Post.title).where(Post.kind == PAGE)).all()
    except SQLAlchemyError:
        return []  # the database's finding says why
    finally:
        db.session.rollback()
    return [
        Finding(
            WARN,
            "pages",
            f"/{slug}/ (“{title}”) is hidden by the site's own address: give it another in "
            "the editor",
        )
        for slug, title in pages
        if is_reserved_page_slug(slug)
    ]


def run_checks() -> list[Finding]:
    with reading_only():
        return [
            check_database(),
            check_migrations(),
            check_instance_folder(),
            check_secret_key(),
            *check_free_space(),
            *check_images(),
            *check_page_addresses(),
        ]


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the installation: database, schema, instance folder, secret key, free disk, images,
    pages."""
    findings = run_checks()
    width = max(len(finding.subject) for finding in findings)
    for finding in findings:
        click.echo(f"  {finding.status:<5} {finding.subject:<{width}}  {finding.detail}")
    failures = sum(finding.status == FAIL for finding in findings)
    warnings = sum(finding.status == WARN for finding in findings)
    if failures:
        first = next(finding for finding in findings if finding.status == FAIL)
        raise click.ClickException(
            f"{counted(failures, 'problem')} to fix, first the {first.subject}: {first.detail}"
        )
    click.echo(f"All good, {counted(warnings, 'warning')}." if warnings else "All good.")
