"""Command-line tasks: init, create-author, set-password, comments, and every other module's commands."""

import contextlib
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from ..authors import PASSWORD_MIN_LENGTH, author_count, find_author, is_login_name
from ..comments.fields import EMAIL_RE
from ..comments.moderation import pending_count
from ..extensions import db
from ..kernel.settings import ensure_settings_row, site_settings
from ..models import COMMENT_EMAIL_MAX, DISPLAY_NAME_MAX, USERNAME_MAX, Author
from . import backup, health, json_export, media, migrations

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


def flask_command() -> str:
    """The command that runs this same `flask` from the current folder, as a user would paste it
    (`.venv/bin/flask --app app` in a checkout with its virtual environment)."""
    flask = Path(sys.executable).parent / "flask"
    with contextlib.suppress(ValueError):  # installed elsewhere: the full path
        flask = flask.relative_to(Path.cwd())
    return f"{flask} --app app"


def check_password_length(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(
            f"must be at least {PASSWORD_MIN_LENGTH} characters", param_hint="--password"
        )


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create instance/config.py if missing and bring the database to the latest schema."""
    if write_instance_config(current_app.instance_path):
        click.echo(f"Wrote {Path(current_app.instance_path) / 'config.py'} with a new secret key.")
    if backup.database_needs_backup_before_upgrade():
        archive = backup.make_backup(stem="before-upgrade")
        click.echo(f"Backed up the database before upgrading it: {archive}")
    migrations.upgrade()
    ensure_settings_row()
    db.session.commit()
    click.echo("Database is up to date.")
    if author_count() == 0:
        click.echo(f"No author yet. Create one with:  {flask_command()} create-author NAME")


@click.command("create-author")
@with_appcontext
@click.argument("username")
@click.option(
    "--display-name",
    default="",
    help="Name readers see on the posts (never USERNAME; else chosen later in the editor).",
)
@click.option("--email", default="", help="Filled in when the author comments (optional).")
@click.password_option(help="Asked twice when not given.")
def create_author_command(username: str, display_name: str, email: str, password: str) -> None:
    """Create an author who can log in to the editor."""
    username = username.strip()
    if not username or len(username) > USERNAME_MAX:
        raise click.BadParameter(f"must be 1 to {USERNAME_MAX} characters", param_hint="USERNAME")
    display_name = " ".join(display_name.split())
    if len(display_name) > DISPLAY_NAME_MAX:
        raise click.BadParameter(
            f"must be at most {DISPLAY_NAME_MAX} characters", param_hint="--display-name"
        )
    if display_name and is_login_name(display_name, username):
        # Shown on every post, the login name gives away half of what logs her in.
        raise click.BadParameter("must not be the login name", param_hint="--display-name")
    check_password_length(password)
    if find_author(username) is not None:
        raise click.ClickException(f"An author named {username!r} already exists.")
    email = email.strip().lower()
    if email and (len(email) > COMMENT_EMAIL_MAX or not EMAIL_RE.fullmatch(email)):
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    author = Author(username=username, display_name=display_name, email=email)
    author.set_password(password)
    db.session.add(author)
    db.session.commit()
    click.echo(f"Author {username!r} created. Log in at /login.")
    if not display_name:
        click.echo(
            "Posts show no author name until one is chosen in the editor, on the Account page."
        )


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.password_option(help="Asked twice when not given.")
def set_password_command(username: str, password: str) -> None:
    """Give an author a new password (imported authors have none they know)."""
    check_password_length(password)
    author = find_author(username)
    if author is None:
        raise click.ClickException(f"There is no author named {username!r}.")
    author.set_password(password)
    db.session.commit()
    click.echo(f"Password of {author.username!r} changed. Log in at /login.")


comments_group = AppGroup("comments", help="Open or close comments on the whole site.")


def _switch_comments(is_open: bool) -> None:
    settings = ensure_settings_row()
    settings.comments_open = is_open
    db.session.commit()


def _comments_state() -> str:
    return "open" if site_settings().comments_open else "closed"


@comments_group.command("open")
def comments_open_command() -> None:
    """Let posts that allow comments take new ones again (takes effect on the next request)."""
    _switch_comments(True)
    click.echo("Comments are open site-wide (posts that allow them and are not too old).")


@comments_group.command("close")
def comments_close_command() -> None:
    """Stop every post from taking new comments; approved ones stay visible."""
    _switch_comments(False)
    click.echo("Comments are closed site-wide.")


@comments_group.command("status")
def comments_status_command() -> None:
    """Say whether comments are open site-wide, and how many await moderation."""
    pending = pending_count()
    click.echo(f"Comments are {_comments_state()} site-wide.")
    click.echo(f"Awaiting moderation: {pending}.")


def init_app(app: Flask) -> None:
    migrations.init_app(app)
    app.cli.add_command(comments_group)
    app.cli.add_command(media.media_group)
    app.cli.add_command(init_command)
    app.cli.add_command(create_author_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(health.check_command)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(json_export.export_command)
    app.cli.add_command(json_export.import_json_command)
