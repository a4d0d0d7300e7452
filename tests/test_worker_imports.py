"""A web worker loads what serving needs: migration machinery and the commands stay out until a
command asks."""

import subprocess
import sys

from cms import PROJECT_ROOT

MIGRATION_MACHINERY = {"alembic", "flask_migrate", "mako"}
COMMAND_MODULES = ("cms.ops", "cms.wordpress")  # the commands and what only they use


def run_python(script: str) -> list[str]:
    """The lines a fresh interpreter prints running `script` in the project."""
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return ran.stdout.splitlines()


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
    (modules,) = run_python(SERVE_AND_LIST_MODULES)
    assert "cms" in modules.split()
    assert not set(modules.split()) & MIGRATION_MACHINERY
    assert [name for name in modules.split() if name.startswith(COMMAND_MODULES)] == []


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
    *help_lines, modules = run_python(LIST_COMMANDS_AND_MODULES)
    assert "db" in " ".join(help_lines).split()
    assert not set(modules.split()) & MIGRATION_MACHINERY


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
