"""The site's runtime settings (language, title, comments switch...): read once per request, never written here."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context

from ..extensions import db
from ..models import SiteSettings


def default_settings() -> SiteSettings:
    """The settings a site has before its row exists: every column's default, not added to the
    session (nothing is written by reading)."""
    settings = SiteSettings(id=1, language=current_app.config["BABEL_DEFAULT_LOCALE"])
    for column in SiteSettings.__table__.columns:
        default = column.default
        if default is not None and default.is_scalar and getattr(settings, column.key) is None:
            setattr(settings, column.key, default.arg)
    return settings


def site_settings() -> SiteSettings:
    """The settings row, read once per request (never cached across requests, so a change made
    by any worker process shows on the very next request everywhere). Only reads: `flask init`
    creates the row, and a view that changes settings calls `ensure_settings_row()`."""
    if "site" not in g:
        g.site = db.session.get(SiteSettings, 1) or default_settings()
    return g.site


def ensure_settings_row() -> SiteSettings:
    """The settings row, added to the session when it is missing; the caller commits."""
    settings = db.session.get(SiteSettings, 1)
    if settings is None:
        settings = default_settings()
        db.session.add(settings)
    g.site = settings
    return settings


def init_app(app: Flask) -> None:
    @app.context_processor
    def site_context() -> dict:
        if not has_request_context():
            return {}
        return {"site": site_settings()}
