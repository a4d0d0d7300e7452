"""Uploaded images and their narrower copies, served at /media/<name> as the images they were
checked to be."""

from __future__ import annotations

from flask import abort, send_from_directory

from ...media import CONTENT_TYPES, SERVED_NAME_RE, upload_folder
from . import bp

ONE_YEAR = 365 * 24 * 3600


@bp.get("/media/<name>")
def media_file(name: str):
    """The stored file, with the type of the format Pillow detected, never sniffed as anything
    else, and cached for long: a name is random and never reused for other content."""
    if not SERVED_NAME_RE.fullmatch(name):
        abort(404)
    response = send_from_directory(
        upload_folder(),
        name,
        mimetype=CONTENT_TYPES[name.rsplit(".", 1)[1]],
        max_age=ONE_YEAR,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
