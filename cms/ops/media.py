"""The `media` commands: `reprocess` makes the images uploaded before this version (stored as
sent, EXIF and GPS included, without narrower copies) what an upload makes today."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..kernel.database import reading_only
from ..kernel.settings import site_settings
from ..kernel.text import counted, one_line
from ..media import delete_upload_file
from ..media.reprocessing import (
    AlreadyRunning,
    NotReprocessed,
    Rewritten,
    clear_leftovers,
    forget_original,
    one_run_at_a_time,
    record,
    reprocess_files,
    uploads_to_reprocess,
)
from ..models import Upload
from ..posts import render_posts_showing

media_group = AppGroup("media", help="Work on the uploaded images.")


@media_group.command("reprocess")
def reprocess_command() -> None:
    """Strip EXIF/GPS from the images uploaded before this version and make their smaller
    copies. Once is enough; safe to stop (even kill -9) and to run again."""
    try:
        with one_run_at_a_time():
            _reprocess_all()
    except AlreadyRunning:
        raise click.ClickException("Another `media reprocess` is running: let it finish.") from None


def _reprocess_all() -> None:
    # The reads and the image work hold no lock: only each upload's short write does, so the
    # site's own writers (comments, saves) wait at most that long.
    with reading_only():
        clear_leftovers()
        done = db.session.scalar(select(func.count(Upload.id)).where(Upload.sha256.is_not(None)))
        waiting = db.session.execute(
            uploads_to_reprocess().with_only_columns(Upload.id, Upload.name, Upload.original_name)
        ).all()
        language = site_settings().language
        db.session.rollback()
    if not waiting:
        click.echo(f"Nothing to reprocess: {done} already done.")
        return
    click.echo(f"Reprocessing {counted(len(waiting), 'image')} uploaded before this version.")
    reprocessed, posts, kept = 0, 0, []
    for number, (upload_id, name, original_name) in enumerate(waiting, 1):
        label = f"{name} ({one_line(original_name)})"  # the sender's name: no escape codes
        try:
            rewritten = reprocess_files(name)
        except NotReprocessed as reason:
            click.echo(f"  [{number}/{len(waiting)}] {label}: kept as it was: {reason}")
            kept.append(label)
            continue
        except OSError as error:
            raise click.ClickException(
                f"Stopped at {name}, left as it was: {error.strerror} ({error.filename}). "
                "Run the command again once that is fixed."
            ) from None
        shown = _record(upload_id, rewritten, language)
        if shown is None:
            click.echo(f"  [{number}/{len(waiting)}] {label}: deleted meanwhile, with its files")
            continue
        reprocessed += 1
        posts += shown
        copies = len(rewritten.prepared.variants)
        made = (
            counted(copies, "smaller copy", "smaller copies")
            if copies
            else "no smaller copy needed"
        )
        click.echo(f"  [{number}/{len(waiting)}] {label}: metadata removed, {made}")
    click.echo(
        f"Done: {reprocessed} reprocessed, {done} already done, {len(kept)} unreadable"
        + (f" (kept as they were): {', '.join(kept)}." if kept else ".")
    )
    if kept:
        click.echo(
            "Delete or replace those from the editor's media page: `flask check` counts them "
            "until then."
        )
    if posts:
        shows = "shows" if posts == 1 else "show"
        click.echo(f"{counted(posts, 'post')} {shows} the new copies.")


def _record(
    upload_id: int, rewritten: Rewritten, language: str, *, first_try: bool = True
) -> int | None:
    """Record the rewritten files in the upload's row and render again the posts showing it,
    in one commit; then forget the original kept aside. The posts written, or None when the
    upload was deleted meanwhile (its files are then deleted too)."""
    try:
        upload = db.session.get(Upload, upload_id)
        if upload is None:
            db.session.rollback()
            delete_upload_file(Upload(name=rewritten.name))
            forget_original(rewritten.name)
            return None
        record(upload, rewritten)
        shown = render_posts_showing(upload.name, language)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if not first_try:
            raise
        # The same file, uploaded at this very moment, took the hash: once more, which then
        # finds it taken.
        return _record(upload_id, rewritten, language, first_try=False)
    except BaseException:
        db.session.rollback()
        raise
    forget_original(rewritten.name)
    return shown
