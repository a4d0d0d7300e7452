"""Flask extension objects, created unbound here and initialised in create_app (imports nothing from cms)."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class _OnFirstUse:
    """Stands for an object that is built the first time one of its attributes is read."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self.__dict__["_build"], self.__dict__["_real"] = build, None

    def __getattr__(self, name: str) -> Any:
        if self.__dict__["_real"] is None:
            self.__dict__["_real"] = self.__dict__["_build"]()
        return getattr(self.__dict__["_real"], name)


class Migrate:
    """Flask-Migrate, imported the first time something migrates (`flask db ...`, `flask init`,
    the schema check). Alembic, with the Mako and Pygments it imports, would otherwise cost every
    web worker 10 MiB of memory and a quarter of a second at start, for commands it never runs."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def init_app(self, app: Flask, db: SQLAlchemy, **kwargs: Any) -> None:
        loaded: dict[str, Any] = {}

        def load() -> Any:
            if not loaded:
                from flask_migrate import Migrate as FlaskMigrate

                # Replaces both stand-ins below with the real extension and `db` command group.
                FlaskMigrate(**self.options).init_app(app, db, **kwargs)
                loaded["config"] = app.extensions["migrate"]
            return loaded["config"]

        def commands() -> Any:
            load()
            from flask_migrate.cli import db as db_commands

            return db_commands

        app.extensions["migrate"] = _OnFirstUse(load)
        app.cli.add_command(_OnFirstUse(commands), name="db")  # type: ignore[arg-type]


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # batch mode: SQLite cannot ALTER most columns in place
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
