"""Styled error pages in the site's language: 400, 403, 404, 405, 413, 429, 500, 503 (full disk,
database locked too long, database not yet upgraded) and a stale form."""

from collections.abc import Callable

from flask import Flask, Request, current_app, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Forbidden"), _l("You are not allowed to do that.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    429: (_l("Too many requests"), _l("Please slow down and try again in a few minutes.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again later.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The site cannot save anything right now. Please try again later."),
    ),
}


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    message = message or default_message
    try:
        page = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # the page itself failed (say the database is gone): plain HTML still answers
        current_app.logger.exception("error page %s could not be rendered", code)
        page = (
            f"<!doctype html><title>{code}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        )
    return page, code


def init_app(app: Flask, *, moved_to: Callable[[Request], str | None]) -> None:
    """Wire the error pages; `moved_to(request)` names the new address of an old one (a feature
    above this layer, passed in by create_app), looked up only when a page is not found."""

    @app.errorhandler(CSRFError)
    def stale_form(error: CSRFError):
        return render_error(
            400,
            _l(
                "This form has expired or was sent from elsewhere. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # Old addresses (imported permalinks) are looked up only here, so other pages pay nothing.
        if error.code == 404 and (target := moved_to(request)):
            return redirect(target, 301)
        # A view may pass its own user-facing message: abort(403, description=...).
        custom = error.description if error.description != type(error).description else None
        return render_error(error.code, custom)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()  # a failed transaction must not break the error page's own queries
        return render_error(500)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        if is_disk_full(error):
            current_app.logger.error("cannot save: the disk is full (%s)", error.orig)
        elif is_locked(error):
            # Logged whole: a lock held that long is news (an import, a restore, or a bug).
            current_app.logger.error("cannot save: the database stayed locked", exc_info=error)
        elif is_schema_behind(error):
            return schema_error(error)
        else:
            raise error  # any other database failure is a 500, logged with its traceback
        db.session.rollback()
        # Nothing was written (the database rolled the transaction back): try again later.
        page, code = render_error(503)
        return page, code, {"Retry-After": RETRY_AFTER_SECONDS}

    @app.errorhandler(ProgrammingError)
    def schema_error(error: ProgrammingError | OperationalError):
        if not is_schema_behind(error):
            raise error
        # This version's code on a database its migrations have not reached yet: the moment
        # when a worker started on new code before `flask db upgrade` ran (README, Upgrade).
        current_app.logger.error(
            "the database is behind this version: run `flask --app app db upgrade` (%s)",
            error.orig,
        )
        db.session.rollback()
        page, code = render_error(
            503, _l("The site is being upgraded. Please try again in a minute.")
        )
        return page, code, {"Retry-After": RETRY_AFTER_SECONDS}


# What a 503 for want of room or of the write lock tells clients to wait, in seconds.
RETRY_AFTER_SECONDS = "60"


def is_disk_full(error: OperationalError) -> bool:
    """Whether the database refused a write for want of space (SQLite's SQLITE_FULL, or
    PostgreSQL's disk_full, SQLSTATE 53100)."""
    message = str(error.orig).lower()
    return (
        "database or disk is full" in message
        or getattr(error.orig, "sqlstate", None) == "53100"
        or "no space left on device" in message
    )


def is_locked(error: OperationalError) -> bool:
    """Whether another writer held the lock past the wait allowed (SQLite's "database is
    locked" after its busy timeout, PostgreSQL's lock_not_available, SQLSTATE 55P03)."""
    return (
        "database is locked" in str(error.orig).lower()
        or getattr(error.orig, "sqlstate", None) == "55P03"
    )


def is_schema_behind(error: OperationalError | ProgrammingError) -> bool:
    """Whether a statement named a column or table the database does not have (SQLite's "no
    such column/table", PostgreSQL's undefined_column 42703 and undefined_table 42P01)."""
    message = str(error.orig).lower()
    return message.startswith(("no such column", "no such table")) or getattr(
        error.orig, "sqlstate", None
    ) in ("42703", "42P01")


def cannot_write_now(error: OperationalError) -> bool:
    """Whether a write failed for a reason that passes (a full disk, a lock held too long):
    nothing was stored, and the same request may succeed later."""
    return is_disk_full(error) or is_locked(error)
