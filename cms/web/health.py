"""/healthz, for uptime monitors: whether the site can store what visitors send."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..kernel.database import write_problem
from ..kernel.storage import free_space, short_of_space, where_the_site_writes
from ..media import upload_folder

bp = Blueprint("health", __name__)


def unhealthy_reason() -> str | None:
    """None when the database takes a write and every filesystem the site writes to has
    HEALTH_MIN_FREE_MB free; else one line saying which is not so (no paths: it is public)."""
    if problem := write_problem():
        current_app.logger.error("health check: the database %s", problem)
        return f"database unavailable: {problem.summary}"
    minimum = int(current_app.config["HEALTH_MIN_FREE_MB"])
    short = short_of_space(free_space(where_the_site_writes(upload_folder())), minimum)
    if short:
        where = ", ".join(f"{space.free_mb} MB free for the {space.holds}" for space in short)
        current_app.logger.error("health check: disk nearly full: %s", where)
        return f"disk nearly full: {where} (minimum {minimum} MB)"
    return None


@bp.get("/healthz")
def healthz() -> Response:
    """200 "ok", or 503 and the reason in one line. Cheap enough to poll every few seconds: a
    write that is rolled back before it reaches the disk, and one statvfs per filesystem."""
    reason = unhealthy_reason()
    status, body = (503, f"{reason}\n") if reason else (200, "ok\n")
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
