"""Images uploaded before they were prepared: until migration 0007 a file was stored as sent, its
EXIF (GPS position included) with it, and without narrower copies. Each is made, once, what
store_upload makes of a file today, in a way that a run stopped at any moment (kill -9 too)
neither loses nor half-writes, and that a run started again finishes.

Every file is written beside its final name and renamed over it. The original as it was sent is
kept aside, in instance/reprocessing/ (nginx serves the uploads folder, not this one), until the
row that says it is done is committed: a run stopped before that starts again from it, so the
row gets the hash of the file as uploaded and the image is encoded from it once."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import Upload
from . import FORMATS, UPLOAD_NAME_RE, UploadRefused, upload_folder, variant_name
from .images import PreparedImage, check_image, prepare_image

# What a run writes before renaming (".<final name>.tmp"), in either folder.
_TEMPORARY_RE = re.compile(r"\.[A-Za-z0-9_-]{16}(?:-[0-9]+)?\.(?:jpg|png|gif|webp)\.tmp")


class NotReprocessed(Exception):
    """The upload's file was left as it was; the message says why."""


class AlreadyRunning(Exception):
    """Another run is working on the uploads folder."""


def uploads_to_reprocess() -> Select[tuple[Upload]]:
    """The uploads stored before they were prepared (no hash yet), oldest first."""
    return select(Upload).where(Upload.sha256.is_(None)).order_by(Upload.id)


def count_to_reprocess() -> int:
    return db.session.scalar(select(func.count()).select_from(uploads_to_reprocess().subquery()))


def _aside_folder() -> Path:
    return Path(current_app.instance_path) / "reprocessing"


@contextlib.contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Hold the uploads for one run: raises AlreadyRunning while another holds them. The lock
    goes with the process, however it ends."""
    folder = _aside_folder()
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning from None
        yield
        with contextlib.suppress(OSError):  # only when empty: an original still kept stays
            folder.rmdir()
    finally:
        os.close(descriptor)


def clear_leftovers() -> None:
    """Remove what a stopped run left and no longer needs: the originals kept aside for
    uploads done or deleted since, and half-written temporary files."""
    waiting = set(db.session.scalars(select(Upload.name).where(Upload.sha256.is_(None))))
    aside = _aside_folder()
    if aside.is_dir():
        for path in aside.iterdir():
            if path.name not in waiting:
                path.unlink()
    uploads = upload_folder()
    if uploads.is_dir():
        for path in uploads.iterdir():
            if _TEMPORARY_RE.fullmatch(path.name):
                path.unlink()


@dataclass(frozen=True)
class Rewritten:
    """An upload's files as reprocess_files() left them, for record() to say in its row."""

    name: str
    prepared: PreparedImage
    digest: str  # SHA-256 of the file as it was uploaded
    digest_of_a_copy: str  # for a second row of the same file (see record)


def reprocess_files(name: str) -> Rewritten:
    """Make the stored file `name` what an upload makes today (images.prepare_image: upright,
    without metadata, no larger than MAX_SIDE) and write its narrower copies. No database:
    the caller records the result in the row (record), commits, then calls forget_original.

    Raises NotReprocessed, with no file changed, when the file is missing or is not an image
    the site accepts; OSError when a file cannot be written (the stored one is then as it was).
    """
    if not UPLOAD_NAME_RE.fullmatch(name):
        raise NotReprocessed("not a name the site gives its uploads")
    folder = upload_folder()
    stored, aside = folder / name, _aside_folder() / name
    try:
        data = (aside if aside.exists() else stored).read_bytes()
    except FileNotFoundError:
        raise NotReprocessed("the file is missing") from None
    try:
        prepared = prepare_image(data, check_image(data))
    except UploadRefused as refused:
        raise NotReprocessed(str(refused)) from None
    extension = FORMATS[prepared.format][0]
    if not name.endswith(f".{extension}"):
        raise NotReprocessed(f"its content is {prepared.format}, not what its name says")
    if not aside.exists():
        _write_replacing(aside, data)
    copies = []
    try:
        for width, copy in prepared.variants.items():
            copies.append(folder / variant_name(name, width))
            _write_replacing(copies[-1], copy)
    except OSError:
        for path in copies:
            path.unlink(missing_ok=True)
        raise
    _write_replacing(stored, prepared.data)
    return Rewritten(
        name,
        prepared,
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(data + b"\0" + name.encode()).hexdigest(),
    )


def record(upload: Upload, rewritten: Rewritten) -> None:
    """Say in the upload's row what its files now are: size, dimensions, copies, and the hash
    of the file as uploaded, which finds this image when the file is sent again (the caller
    commits). A file uploaded twice before files were stored once: the first row takes its
    hash, the others one that no upload matches, so that they too are marked done."""
    prepared = rewritten.prepared
    taken = select(Upload.id).where(Upload.sha256 == rewritten.digest, Upload.id != upload.id)
    upload.sha256 = rewritten.digest_of_a_copy if db.session.scalar(taken) else rewritten.digest
    upload.content_type = FORMATS[prepared.format][1]
    upload.size = len(prepared.data)
    upload.width, upload.height = prepared.width, prepared.height
    upload.variant_widths = " ".join(str(width) for width in sorted(prepared.variants))


def forget_original(name: str) -> None:
    """Delete the original kept aside (with its metadata), once the row saying the upload is
    done is committed, or the upload is deleted."""
    (_aside_folder() / name).unlink(missing_ok=True)


def _write_replacing(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a temporary file beside it, flushed to the disk, then
    renamed over it (readers see the old file or the new one, never half of one)."""
    partial = path.with_name(f".{path.name}.tmp")
    try:
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the rename too, before anything counts on it
    finally:
        os.close(descriptor)
