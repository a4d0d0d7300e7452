"""Migrations: Flask-Migrate's extension and its `flask db …` commands, loaded on first use.

Alembic, with the Mako and Pygments it imports, costs a web worker 10 MiB and a quarter of a
second at start, for commands a worker never runs: so nothing here imports it until a command,
`flask init` or the schema check asks.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, current_app

from ..extensions import db
from ..kernel.database import reading_only
from ..kernel.paths import PROJECT_ROOT

DIRECTORY = PROJECT_ROOT / "migrations"


def migration_extension(app: Flask | None = None) -> Any:
    """Flask-Migrate's state for `app` (the current one by default), `app.extensions["migrate"]`,
    registered the first time it is asked for."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        # Also registers Flask-Migrate's own `db` group over MigrationCommands: the same commands.
        # Batch mode: SQLite cannot ALTER most columns in place.
        Migrate(app, db, directory=str(DIRECTORY), render_as_batch=True)
    return app.extensions["migrate"]


class MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's `db` group, imported when `db` or one of its commands is
    parsed, listed or run; `flask --help` reads only the help text below."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        # Its own app, not current_app: app.test_cli_runner() resolves sub-commands outside
        # any app context (the `flask` command pushes one first).
        self.app = app

    def _commands(self) -> click.Group:
        migration_extension(self.app)
        from flask_migrate.cli import db as commands

        return commands

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The group's own options (--directory, -x) and its callback, which hands them to the
        # commands through flask.g, are Flask-Migrate's: taken before the arguments are read.
        commands = self._commands()
        self.params, self.callback = commands.params, commands.callback
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get_command(ctx, cmd_name)


def migration_revisions() -> tuple[str | None, str | None]:
    """(the database's Alembic revision, the newest shipped migration); None when unknown."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrations = migration_extension()
    config = migrations.migrate.get_config(migrations.directory)
    head = ScriptDirectory.from_config(config).get_current_head()
    # A connection of its own, which only reads: it never waits for a transaction the caller
    # may hold open on the session, even one holding SQLite's write lock.
    with reading_only(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def upgrade() -> None:
    """Bring the database to the newest shipped migration."""
    from flask_migrate import upgrade

    upgrade(migration_extension().directory)


def init_app(app: Flask) -> None:
    app.cli.add_command(MigrationCommands(app))
