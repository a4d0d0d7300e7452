"""Command-line tasks: init, create-author."""

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .extensions import db
from .models import Author
from .site import site_settings

INSTANCE_CONFIG = """\
# Written by `flask --app app init`. Keep this file secret: the key signs sessions and forms.
SECRET_KEY = {key!r}
"""


def write_instance_config(instance_path: str) -> bool:
    """Create instance/config.py with a random secret key; False when it already exists."""
    path = Path(instance_path) / "config.py"
    if path.exists():
        return False
    path.write_text(INSTANCE_CONFIG.format(key=secrets.token_hex(32)), encoding="utf-8")
    path.chmod(0o600)
    return True


def author_count() -> int:
    return db.session.scalar(select(func.count(Author.id)))


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create instance/config.py if missing and bring the database to the latest schema."""
    if write_instance_config(current_app.instance_path):
        click.echo(f"Wrote {Path(current_app.instance_path) / 'config.py'} with a new secret key.")
    upgrade()
    site_settings()
    click.echo("Database is up to date.")
    if author_count() == 0:
        click.echo("No author yet. Create one with:  flask --app app create-author NAME")


@click.command("create-author")
@with_appcontext
@click.argument("username")
@click.option("--display-name", help="Name shown on posts (defaults to USERNAME).")
@click.password_option(help="Asked twice when not given.")
def create_author_command(username: str, display_name: str | None, password: str) -> None:
    """Create an author who can log in to the editor."""
    username = username.strip()
    if not username or len(username) > 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="USERNAME")
    if len(password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--password")
    if db.session.scalar(select(Author.id).where(func.lower(Author.username) == username.lower())):
        raise click.ClickException(f"An author named {username!r} already exists.")
    author = Author(username=username, display_name=display_name or username)
    author.set_password(password)
    db.session.add(author)
    db.session.commit()
    click.echo(f"Author {username!r} created. Log in at /login.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(create_author_command)
