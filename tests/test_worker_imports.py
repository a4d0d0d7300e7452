"""A web worker loads what serving needs: migration machinery stays out until a command asks."""

import subprocess
import sys

from cms import PROJECT_ROOT

SERVE_AND_LIST_MODULES = """
import sys
from cms import create_app
from cms.extensions import db
app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
with app.app_context():
    db.create_all()
client = app.test_client()
assert client.get("/").status_code == 200
assert client.get("/no-such-page/").status_code == 404
print(" ".join(sorted(sys.modules)))
"""


def test_serving_pages_imports_no_migration_machinery():
    served = subprocess.run(
        [sys.executable, "-c", SERVE_AND_LIST_MODULES],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(served.stdout.split())
    assert "cms" in modules
    assert not modules & {"alembic", "flask_migrate", "mako"}


LIST_COMMANDS_AND_MODULES = """
import sys
from click.testing import CliRunner
from flask.cli import FlaskGroup
from cms import create_app
config = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
listed = CliRunner().invoke(FlaskGroup(create_app=lambda: create_app(config)), ["--help"])
assert listed.exit_code == 0, listed.output
print(listed.output)
print(" ".join(sorted(sys.modules)))
"""


def test_listing_the_commands_imports_no_migration_machinery():
    listed = subprocess.run(
        [sys.executable, "-c", LIST_COMMANDS_AND_MODULES],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    *help_lines, modules = listed.stdout.splitlines()
    assert "db" in " ".join(help_lines).split()
    assert not set(modules.split()) & {"alembic", "flask_migrate", "mako"}


def test_the_db_command_group_is_listed_and_runs(tmp_path):
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    listed = subprocess.run(
        [*flask, "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert "db" in listed.stdout.split()
    heads = subprocess.run(
        [*flask, "db", "heads"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert "(head)" in heads.stdout
