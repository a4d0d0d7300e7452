"""What an uploaded file becomes before it is stored: checked by its content, turned upright,
stripped of what it says about its author (EXIF with the GPS position, XMP, comments; the colour
profile stays), no larger than MAX_SIDE, and narrower copies of it for the readers' srcset.

No HTTP and no database: bytes in, bytes out (the pixel limit and the messages come from the app)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from . import metadata

if TYPE_CHECKING:
    from PIL import Image as PILImage

# Pillow's format name -> (extension, Content-Type). Only these four are ever stored or served.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
# The longest side of the image readers get: twice the widest the theme shows it (its text
# column, static/css/site.css, is at most about 600 CSS pixels) with room for a 4:3 portrait.
MAX_SIDE = 2400
# The narrower copies made for srcset, each when narrower than the image: the column on a phone,
# on a laptop, and both on screens of two or three device pixels per CSS pixel.
VARIANT_WIDTHS = (640, 960, 1280, 1920)
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class UploadRefused(ValueError):
    """The file is not an image this site accepts; the message says why, for the author."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class PreparedImage:
    """The image as it is stored and served, and its narrower copies (width -> bytes)."""

    format: str
    data: bytes
    width: int
    height: int
    variants: dict[int, bytes] = field(default_factory=dict)


def not_accepted() -> UploadRefused:
    return UploadRefused(
        _("This file is not an image this site accepts: use JPEG, PNG, GIF or WebP.")
    )


def too_many_pixels() -> UploadRefused:
    megapixels = current_app.config["UPLOAD_MAX_PIXELS"] / 1_000_000
    return UploadRefused(
        _(
            "This image has too many pixels: up to %(megapixels)s megapixels are accepted.",
            megapixels=format_decimal(round(megapixels, 1)),
        )
    )


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
        raise not_accepted() from None
    if detected == "MPO":  # a phone's JPEG with a second picture (a depth map, a preview)
        detected = "JPEG"
    if detected not in FORMATS:
        raise not_accepted()
    if width * height > current_app.config["UPLOAD_MAX_PIXELS"]:
        raise too_many_pixels()
    return CheckedImage(detected, width, height)


def prepare_image(data: bytes, checked: CheckedImage) -> PreparedImage:
    """The checked image as readers get it. Raises UploadRefused when it cannot be read after all.

    Still images are decoded, turned as their EXIF orientation says, made no larger than
    MAX_SIDE, and written again without metadata, with narrower copies. GIFs and animated PNG
    and WebP keep every frame as it came (no decoding: the cost stays that of reading the
    file) and lose only their metadata; they get no copies.
    """
    from PIL import Image, UnidentifiedImageError

    fmt = checked.format
    try:
        if fmt == "GIF":
            return PreparedImage(fmt, metadata.strip_gif(data), checked.width, checked.height)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as source:
                # A JPEG's further pictures (MPO) are not frames of an animation: only the
                # first, the photo, is kept.
                if fmt != "JPEG" and getattr(source, "is_animated", False):
                    strip = metadata.strip_png if fmt == "PNG" else metadata.strip_webp
                    return PreparedImage(fmt, strip(data), *source.size)
                return _prepare_still(source, fmt, data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise not_accepted() from None


def _prepare_still(source: PILImage.Image, fmt: str, data: bytes) -> PreparedImage:
    from PIL import Image, ImageOps

    if fmt == "JPEG":
        # A large JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size, still at least
        # MAX_SIDE on its longest side: a fraction of the memory and time of the whole.
        source.draft(source.mode, (MAX_SIDE, MAX_SIDE))
    icc = source.info.get("icc_profile")
    lossless = fmt == "WEBP" and _is_lossless_webp(data)
    was_palette = source.mode in ("P", "PA")
    image = ImageOps.exif_transpose(source)  # a copy, upright, and loaded
    # Nothing of the original's metadata goes along, but what draws the pixels.
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    smooth = _resamplable(image)
    if max(image.size) > MAX_SIDE:
        smooth = smooth.resize(
            _fit(image.size, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0
        )
        image = _palette_again(smooth) if was_palette else smooth
    original = _encode(image, fmt, icc, lossless)
    variants = {}
    # Widest first, each from the one before: every resampling reads fewer pixels.
    for width in sorted((w for w in VARIANT_WIDTHS if w < image.width), reverse=True):
        size = (width, max(1, round(image.height * width / image.width)))
        smooth = smooth.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        encoded = _encode(_palette_again(smooth) if was_palette else smooth, fmt, icc, lossless)
        if len(encoded) < len(original):  # a copy no lighter than the image serves no one
            variants[width] = encoded
    return PreparedImage(fmt, original, image.width, image.height, dict(sorted(variants.items())))


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resamplable(image: PILImage.Image) -> PILImage.Image:
    """The image in a mode Pillow resamples smoothly: palette and bilevel ones would be resized
    pixel by pixel (jagged), and a transparent colour blurred into its neighbours would no
    longer be transparent, so those are resized in full colour (or grey)."""
    if image.mode in ("P", "PA") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    return image


def _palette_again(image: PILImage.Image) -> PILImage.Image:
    """Back to 256 colours, for an image that came with a palette: a diagram stays as light."""
    from PIL import Image

    return image.quantize(256, method=Image.Quantize.FASTOCTREE)


def _encode(image: PILImage.Image, fmt: str, icc: bytes | None, lossless: bool) -> bytes:
    options: dict = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        options |= {"quality": JPEG_QUALITY, "optimize": True, "progressive": True}
    elif fmt == "WEBP":
        options |= {"lossless": True} if lossless else {"quality": WEBP_QUALITY}
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _is_lossless_webp(data: bytes) -> bool:
    """Whether a still WebP holds lossless pixels (a VP8L chunk): it is written lossless again."""
    return any(kind == b"VP8L" for kind, _payload in metadata.webp_chunks(data))
