"""Causerie: the application factory, which reads like a table of contents of the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from .kernel.paths import PROJECT_ROOT


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

    from . import cache
    from .comments import tokens
    from .extensions import babel, csrf, db, login_manager
    from .kernel import database, errors, i18n, security, settings
    from .redirects import moved_to
    from .web import auth, desk, health, public, templating
    from .web.public import comments as public_comments
    from .web.public import pages

    db.init_app(app)
    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    auth.init_login(login_manager, app)
    # Before security: inside ProxyFix, its after_request runs last. The one thing the cache needs
    # from a feature, a fresh comment-form token per visitor of a stored page, is passed in.
    cache.init_app(app, refresh_token=tokens.refresher(app.config["SECRET_KEY"]))
    security.init_app(app)
    settings.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app, moved_to=moved_to)  # a 404 looks up the old address first
    app.cli = Commands(app)

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(public_comments.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(desk.bp, url_prefix="/editor")
    # Last: the page address /<slug>/ takes no word that another route's address starts with.
    app.register_blueprint(pages.bp)
    return app


class Commands(AppGroup):
    """The app's `flask` commands, registered the first time a command line looks one up or lists
    them: a web worker never runs them, so it never imports the operations and the WordPress
    importer behind them (28 modules, about 1.4 MiB of memory per worker)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app, self.loaded = app, False

    def load(self) -> None:
        if not self.loaded:
            self.loaded = True
            from . import wordpress
            from .ops import cli

            cli.init_app(self.app)
            wordpress.init_app(self.app)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self.load()
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load()
        return super().list_commands(ctx)
