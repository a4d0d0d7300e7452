"""Metadata taken out of the files that are kept as they are, frame for frame: GIF, animated PNG
and animated WebP. Their pixels are copied, never decoded or re-encoded; what goes is what tells
about the author or the camera (comments, EXIF with its GPS position, XMP, text chunks).

Pure bytes in, bytes out. Each function raises ValueError on a file whose structure it cannot
follow (Pillow already accepted it, so that means a damaged or hostile one)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

# GIF application extensions that drive the animation or its colours: the rest (XMP among them)
# go with the comments.
_GIF_KEPT_APPLICATIONS = frozenset({b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"})
# PNG chunks that hold text or EXIF; every other chunk draws the image (or animates it).
_PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
# WebP chunks with metadata, and their flags in the VP8X header.
_WEBP_DROPPED = frozenset({b"EXIF", b"XMP "})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _gif_sub_blocks(data: bytes, at: int) -> int:
    """Where the run of sub-blocks starting at `at` ends (after its empty block)."""
    while True:
        size = data[at]
        at += 1 + size
        if size == 0:
            return at


def _gif_color_table(flags: int) -> int:
    return 3 * (2 << (flags & 0x07)) if flags & 0x80 else 0


def strip_gif(data: bytes) -> bytes:
    """The GIF without its comments, unknown application blocks and anything after its end."""
    try:
        if data[:6] not in (b"GIF87a", b"GIF89a"):
            raise ValueError("not a GIF")
        at = 13 + _gif_color_table(data[10])
        kept = [data[:at]]
        while True:
            introducer = data[at]
            if introducer == 0x3B:  # trailer
                kept.append(b"\x3b")
                return b"".join(kept)
            if introducer == 0x2C:  # an image: descriptor, colour table, LZW code size, data
                start = at
                at += 10 + _gif_color_table(data[at + 9]) + 1
                at = _gif_sub_blocks(data, at)
                kept.append(data[start:at])
            elif introducer == 0x21:
                start, label = at, data[at + 1]
                identifier = data[at + 3 : at + 14] if label == 0xFF else b""
                at = _gif_sub_blocks(data, at + 2)
                if label != 0xFE and (label != 0xFF or identifier in _GIF_KEPT_APPLICATIONS):
                    kept.append(data[start:at])
            else:
                raise ValueError(f"unknown GIF block {introducer:#x}")
    except IndexError:
        raise ValueError("truncated GIF") from None


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, whole chunk with its length and CRC) for each chunk, up to IEND."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            break
        yield kind, data[at:end]
        if kind == b"IEND":
            return
        at = end
    raise ValueError("truncated PNG")


def strip_png(data: bytes) -> bytes:
    """The PNG (animated or not) without its text, EXIF and time chunks."""
    kept = [chunk for kind, chunk in _png_chunks(data) if kind not in _PNG_DROPPED]
    return data[:8] + b"".join(kept)


def webp_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(FourCC, payload) for each chunk of a WebP file."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    at = 12
    while at < len(data):
        if at + 8 > len(data):
            raise ValueError("truncated WebP")
        kind = data[at : at + 4]
        (size,) = struct.unpack("<I", data[at + 4 : at + 8])
        payload = data[at + 8 : at + 8 + size]
        if len(payload) != size:
            raise ValueError("truncated WebP")
        yield kind, payload
        at += 8 + size + (size & 1)


def strip_webp(data: bytes) -> bytes:
    """The WebP (animated or not) without its EXIF and XMP chunks, its header saying so."""
    out = []
    for kind, payload in webp_chunks(data):
        if kind in _WEBP_DROPPED:
            continue
        if kind == b"VP8X" and payload:
            payload = bytes([payload[0] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF]) + payload[1:]
        out.append(kind + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1))
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body
