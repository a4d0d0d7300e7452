"""/healthz, for uptime monitors: whether the database answers."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 "ok" when the database answers, 503 otherwise: cheap enough to poll every few seconds."""
    try:
        db.session.execute(text("SELECT 1"))
        status, body = 200, "ok\n"
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: the database does not answer")
        status, body = 503, "database unavailable\n"
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
