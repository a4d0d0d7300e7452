"""Causerie: the application factory, which reads like a table of contents of the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    overrides: dict[str, Any] | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Build the app. Configuration: cms/config.py, then instance/config.py, then CMS_* environment
    variables; tests pass `overrides` instead of the last two, so no local setting leaks in."""
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path or PROJECT_ROOT / "instance").resolve()),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object("cms.config")
    if overrides is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("CMS")
    else:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import (
        auth,
        blog,
        cache,
        cli,
        comments,
        database,
        editor,
        errors,
        health,
        pages,
        security,
        site,
        wordpress,
    )
    from .extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=site.select_locale, timezone_selector=site.select_timezone)
    auth.init_login(login_manager, app)
    cache.init_app(app)  # before security: inside ProxyFix, its after_request runs last
    security.init_app(app)
    site.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    wordpress.init_app(app)

    app.register_blueprint(blog.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(editor.bp, url_prefix="/editor")
    # Last: the page address /<slug>/ takes no word that another route's address starts with.
    app.register_blueprint(pages.bp)
    return app
