"""Uploaded images: checked by their content, stored under instance/uploads with random names,
once per file, with their description and narrower copies for the readers' srcset.

A feature with no HTTP; imports only the root leaves (extensions, models). The Pillow work is in
images.py (and metadata.py for the files kept frame for frame)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import ALT_TEXT_MAX, Post, Upload
from .images import (
    FORMATS,
    MAX_SIDE,
    VARIANT_WIDTHS,
    CheckedImage,
    PreparedImage,
    UploadRefused,
    check_image,
    prepare_image,
)

__all__ = [
    "ALT_TEXT_MAX",
    "CONTENT_TYPES",
    "MAX_SIDE",
    "SERVED_NAME_RE",
    "UPLOAD_NAME_RE",
    "VARIANT_WIDTHS",
    "CheckedImage",
    "PreparedImage",
    "StoredUpload",
    "UploadRefused",
    "alt_text",
    "check_image",
    "delete_upload_file",
    "describe",
    "human_size",
    "image_attributes",
    "image_markdown",
    "posts_using",
    "prepare_image",
    "store_upload",
    "thumbnail_name",
    "upload_folder",
    "uploads_in",
    "variant_name",
]

CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}
# What /media/ serves: the names store_upload gives (16 URL-safe characters and one of the
# extensions above), and those of their narrower copies ("<16 characters>-640.jpg").
SERVED_NAME_RE = re.compile(r"[A-Za-z0-9_-]{16}(?:-[1-9][0-9]{1,4})?\.(?:jpg|png|gif|webp)")
# An upload's own name, as store_upload gives it: a plain file name, never a path. Names read
# from an import or a restored archive must match before a file is served or deleted by it.
UPLOAD_NAME_RE = re.compile(r"[A-Za-z0-9_-]{16}\.(?:jpg|png|gif|webp)")
# Finds the uploads a post's Markdown refers to ("![a cat](/media/NAME)", or an <img src>).
MEDIA_REFERENCE_RE = re.compile(r"/media/(" + UPLOAD_NAME_RE.pattern + ")")
# How wide the theme shows an image in a post, for the browser to pick a copy: the text column
# of static/css/site.css, the screen less its gutters on a phone, 52ch of the body font (about
# 31em, 494 px in Chromium) from a tablet up.
IMAGE_SIZES = "(min-width: 33em) 31em, calc(100vw - 2rem)"


@dataclass(frozen=True)
class StoredUpload:
    """What an upload gave: the image, and whether the same file was already there."""

    upload: Upload
    already_stored: bool = False


def upload_folder() -> Path:
    return Path(current_app.instance_path) / "uploads"


def human_size(size: int) -> str:
    """'850 KB' / '1.2 MB' in the site's language (French writes '850 ko', '1,2 Mo')."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def alt_text(value: str | None) -> str:
    """A description as stored: on one line, its spaces collapsed. Raises UploadRefused when
    it is longer than ALT_TEXT_MAX."""
    text = " ".join((value or "").split())
    if len(text) > ALT_TEXT_MAX:
        raise UploadRefused(
            _(
                "The description is too long: up to %(max)s characters are accepted.",
                max=format_decimal(ALT_TEXT_MAX),
            )
        )
    return text


def variant_name(name: str, width: int) -> str:
    """The file name of the copy `width` pixels wide of the upload named `name`."""
    stem, extension = name.rsplit(".", 1)
    return f"{stem}-{width}.{extension}"


def thumbnail_name(upload: Upload) -> str:
    """The lightest file showing the whole image: its narrowest copy, or itself."""
    widths = upload.widths
    return variant_name(upload.name, widths[0]) if widths else upload.name


def store_upload(file: FileStorage | None, author_id: int | None, alt: str = "") -> StoredUpload:
    """Check an uploaded file and keep it as readers will get it (images.prepare_image): the
    image and its copies written to the uploads folder, the row added to the session (the
    caller commits). The same bytes uploaded again give the image already stored, whose
    description is filled in when it had none (a description given is never lost, and never
    replaces one the author wrote: the media page changes it). Raises UploadRefused, with
    nothing written, when it is refused."""
    if file is None or not file.filename:
        raise UploadRefused(_("Choose an image file to upload."))
    alt = alt_text(alt)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            _("This file is too large: images up to %(size)s are accepted.", size=human_size(limit))
        )
    if not data:
        raise UploadRefused(_("This file is empty."))
    digest = hashlib.sha256(data).hexdigest()
    if (existing := _uploaded_as(digest)) is not None:
        return _again(existing, alt)
    prepared = prepare_image(data, check_image(data))
    extension, content_type = FORMATS[prepared.format]
    upload = Upload(
        name=f"{secrets.token_urlsafe(12)}.{extension}",
        original_name=Path(file.filename.replace("\\", "/")).name[:200],
        content_type=content_type,
        size=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        author_id=author_id,
        alt=alt,
        sha256=digest,
        variant_widths=" ".join(str(width) for width in sorted(prepared.variants)),
    )
    _write_files(upload, prepared)
    try:
        with db.session.begin_nested():  # the same file, sent twice at once, is stored once
            db.session.add(upload)
    except IntegrityError:
        delete_upload_file(upload)
        if (existing := _uploaded_as(digest)) is None:
            raise
        return _again(existing, alt)
    return StoredUpload(upload)


def _uploaded_as(digest: str) -> Upload | None:
    return db.session.scalar(select(Upload).where(Upload.sha256 == digest))


def _again(upload: Upload, alt: str) -> StoredUpload:
    if alt and not upload.alt:
        upload.alt = alt
    return StoredUpload(upload, already_stored=True)


def _write_files(upload: Upload, prepared: PreparedImage) -> None:
    """Write the image and its copies; none of them is left behind when one cannot be."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    files = {upload.name: prepared.data}
    files |= {variant_name(upload.name, width): data for width, data in prepared.variants.items()}
    try:
        for name, data in files.items():
            with (folder / name).open("xb") as out:  # "x": a name is never reused, even by chance
                out.write(data)
    except OSError:
        delete_upload_file(upload)
        raise


def describe(upload: Upload, alt: str) -> None:
    """Set the image's description (the caller commits). Raises UploadRefused when too long."""
    upload.alt = alt_text(alt)


def delete_upload_file(upload: Upload) -> None:
    """Remove the stored file and its copies (the caller deletes the row); a file already gone
    is fine."""
    if not UPLOAD_NAME_RE.fullmatch(upload.name):
        return  # not a name the site gave: never a path to delete by
    folder = upload_folder()
    # Every width the site makes, recorded or not: a reprocessing stopped half-way (see
    # reprocessing.py) may have written copies its row does not name yet.
    widths = {*upload.widths, *VARIANT_WIDTHS}
    for name in (upload.name, *(variant_name(upload.name, width) for width in widths)):
        (folder / name).unlink(missing_ok=True)


def image_markdown(upload: Upload, alt: str = "") -> str:
    """The Markdown that shows the upload, with `alt` (or else the upload's own description)
    escaped for Markdown."""
    text = " ".join((alt or upload.alt or "").split())
    for special in ("\\", "[", "]"):
        text = text.replace(special, "\\" + special)
    return f"![{text}](/media/{upload.name})"


def uploads_in(body: str) -> list[Upload]:
    """The uploads the text refers to, in one query (none when it names none)."""
    names = set(MEDIA_REFERENCE_RE.findall(body))
    if not names:
        return []
    with db.session.no_autoflush:  # called while a post is being saved, half-filled
        return list(db.session.scalars(select(Upload).where(Upload.name.in_(names))))


def image_attributes(uploads: Iterable[Upload]) -> dict[str, dict[str, str]]:
    """For each upload's address, what its <img> in a post gets: its size (no jump when it
    loads) and, when it has narrower copies, the srcset that lets a phone take one."""
    attributes = {}
    for upload in uploads:
        url = f"/media/{upload.name}"
        found = {"width": str(upload.width), "height": str(upload.height)}
        if widths := upload.widths:
            candidates = [f"/media/{variant_name(upload.name, width)} {width}w" for width in widths]
            candidates.append(f"{url} {upload.width}w")
            found |= {"srcset": ", ".join(candidates), "sizes": IMAGE_SIZES}
        attributes[url] = found
    return attributes


def posts_using(names: list[str]) -> dict[str, list[tuple[int, str]]]:
    """For each upload name, the posts (id, title) whose Markdown refers to it.

    One query for every post whose body mentions /media/, then a search in Python: the cost does
    not grow with the number of uploads.
    """
    wanted = set(names)
    usage: dict[str, list[tuple[int, str]]] = {name: [] for name in names}
    rows = db.session.execute(
        select(Post.id, Post.title, Post.body)
        .where(Post.body.contains("/media/"))
        .order_by(Post.title)
    )
    for post_id, title, body in rows:
        for name in dict.fromkeys(MEDIA_REFERENCE_RE.findall(body)):
            if name in wanted:
                usage[name].append((post_id, title))
    return usage
