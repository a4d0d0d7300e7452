"""Uploaded images: checked by their content, stored under instance/uploads with random names.

A feature with no HTTP; imports only the root leaves (extensions, models)."""

from __future__ import annotations

import re
import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Post, Upload

# Pillow's format name -> (extension, Content-Type). Only these four are ever stored or served.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}
# What store_upload generates: 16 URL-safe characters and one of the extensions above.
NAME_RE = re.compile(r"[A-Za-z0-9_-]{16}\.(?:jpg|png|gif|webp)")
# Finds the uploads a post's Markdown refers to ("![a cat](/media/NAME)", or an <img src>).
MEDIA_REFERENCE_RE = re.compile(r"/media/([A-Za-z0-9_-]{16}\.(?:jpg|png|gif|webp))")


class UploadRefused(ValueError):
    """The file is not an image this site accepts; the message says why, for the author."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int


def upload_folder() -> Path:
    return Path(current_app.instance_path) / "uploads"


def human_size(size: int) -> str:
    """'850 KB' / '1.2 MB' in the site's language (French writes '850 ko', '1,2 Mo')."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def check_image(data: bytes) -> CheckedImage:
    """What the bytes hold, when they are a whole JPEG, PNG, GIF or WebP image.

    Raises UploadRefused for anything else (whatever its name or declared type says): a script
    behind an image signature, SVG, text, a truncated or corrupt image, a decompression bomb.
    """
    # Imported here: only the editor's upload needs Pillow, not the workers serving pages.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                detected, (width, height) = image.format, image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise UploadRefused(
            _("This file is not an image this site accepts: use JPEG, PNG, GIF or WebP.")
        ) from None
    if detected not in FORMATS:
        raise UploadRefused(
            _("This file is not an image this site accepts: use JPEG, PNG, GIF or WebP.")
        )
    if width * height > current_app.config["UPLOAD_MAX_PIXELS"]:
        raise too_many_pixels()
    return CheckedImage(detected, width, height)


def too_many_pixels() -> UploadRefused:
    megapixels = current_app.config["UPLOAD_MAX_PIXELS"] / 1_000_000
    return UploadRefused(
        _(
            "This image has too many pixels: up to %(megapixels)s megapixels are accepted.",
            megapixels=format_decimal(round(megapixels, 1)),
        )
    )


def store_upload(file: FileStorage | None, author_id: int | None) -> Upload:
    """Check an uploaded file and keep it: written to the uploads folder, added to the session
    (the caller commits). Raises UploadRefused, with nothing written, when it is refused."""
    if file is None or not file.filename:
        raise UploadRefused(_("Choose an image file to upload."))
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            _("This file is too large: images up to %(size)s are accepted.", size=human_size(limit))
        )
    if not data:
        raise UploadRefused(_("This file is empty."))
    image = check_image(data)
    extension, content_type = FORMATS[image.format]
    name = f"{secrets.token_urlsafe(12)}.{extension}"
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("xb") as out:  # "x": a name is never reused, even by chance
        out.write(data)
    upload = Upload(
        name=name,
        original_name=Path(file.filename.replace("\\", "/")).name[:200],
        content_type=content_type,
        size=len(data),
        width=image.width,
        height=image.height,
        author_id=author_id,
    )
    db.session.add(upload)
    return upload


def delete_upload_file(upload: Upload) -> None:
    """Remove the stored file (the caller deletes the row); a file already gone is fine."""
    (upload_folder() / upload.name).unlink(missing_ok=True)


def image_markdown(upload: Upload, alt: str) -> str:
    """The Markdown that shows the upload, with the alt text escaped for Markdown."""
    text = " ".join(alt.split())
    for special in ("\\", "[", "]"):
        text = text.replace(special, "\\" + special)
    return f"![{text}](/media/{upload.name})"


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
