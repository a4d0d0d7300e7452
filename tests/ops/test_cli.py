"""Command-line tasks through Flask's CLI runner, on a real database."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, inspect, select

from cms import create_app
from cms.extensions import db
from cms.models import Author, Post
from tests.support import WXR_EXPORT


def cli_app(tmp_path):
    instance = tmp_path / "instance"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'site.sqlite3'}",
            "SECRET_KEY": "cli-test",
        },
        instance_path=instance,
    )


def test_init_writes_secret_key_and_migrates_idempotently(tmp_path):
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    config = (tmp_path / "instance" / "config.py").read_text()
    assert "SECRET_KEY = '" in config
    assert "No author yet" in first.output and "create-author" in first.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"posts", "authors", "tags", "comments", "site_settings", "alembic_version"} <= tables
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0
    assert (tmp_path / "instance" / "config.py").read_text() == config  # key kept
    with app.app_context():
        db.engine.dispose()


def test_instance_config_and_environment_layers(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-file'\nFEED_SIZE = 5\n")
    monkeypatch.setenv("CMS_FEED_SIZE", "7")
    app = create_app(instance_path=instance)
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["FEED_SIZE"] == 7  # the environment wins over the file


def test_create_author_with_password_option(tmp_path):
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init"])
    result = runner.invoke(args=["create-author", "bob", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        bob = db.session.scalar(select(Author).where(Author.username == "bob"))
        assert bob.check_password("long enough pw")
        db.engine.dispose()
    again = runner.invoke(args=["create-author", "BOB", "--password", "long enough pw"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_author_never_makes_the_login_name_the_byline(tmp_path):
    """Without --display-name the byline used to be the login name: half of the credentials."""
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init"])
    result = runner.invoke(args=["create-author", "bob", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    assert "Account page" in result.output  # where she chooses the name readers see
    same = ["create-author", "eve", "--display-name", "EVE", "--password", "long enough pw"]
    refused = runner.invoke(args=same)
    assert refused.exit_code != 0 and "the login name" in refused.output
    named = runner.invoke(args=[*same[:3], "Eve Martin", *same[4:]])
    assert named.exit_code == 0, named.output
    assert "Account page" not in named.output
    with app.app_context():
        names = dict(db.session.execute(select(Author.username, Author.display_name)).all())
        assert names == {"bob": "", "eve": "Eve Martin"}
        db.engine.dispose()


def test_create_author_with_an_email(tmp_path):
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init"])
    wrong = ["create-author", "eve", "--email", "not-an-address", "--password", "long enough pw"]
    refused = runner.invoke(args=wrong)
    assert refused.exit_code != 0 and "not an e-mail address" in refused.output
    result = runner.invoke(args=[*wrong[:3], " Eve@Example.org ", *wrong[4:]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Author.email)) == "eve@example.org"
        db.engine.dispose()


def test_create_author_prompts_twice(tmp_path):
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init"])
    mismatch = runner.invoke(
        args=["create-author", "carol"],
        input="password-one\npassword-two\npassword-one\npassword-one\n",
    )
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output.lower()
    short = runner.invoke(args=["create-author", "dan", "--password", "short"])
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    with app.app_context():
        db.engine.dispose()


def test_import_wxr_from_the_command_line_without_server_name(tmp_path):
    app = cli_app(tmp_path)
    runner = app.test_cli_runner()
    runner.invoke(args=["init"])
    export = WXR_EXPORT
    result = runner.invoke(args=["import-wxr", str(export)])
    assert result.exit_code == 0, result.output
    assert "Import complete." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) > 0
        db.engine.dispose()


def test_first_init_prints_a_hint_that_works_when_pasted(tmp_path):
    """As a newcomer meets it: the real `flask` command in a new folder, with no key yet."""
    (tmp_path / "app.py").write_text(
        "from cms import create_app\n"
        f"app = create_app(instance_path={str(tmp_path / 'instance')!r})\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    flask = Path(sys.executable).parent / "flask"
    init = subprocess.run(
        [flask, "--app", "app", "init"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    assert "development default" not in init.stdout + init.stderr
    hint = init.stdout.split("Create one with:", 1)[1].strip().splitlines()[0]
    command = [*shlex.split(hint.replace("NAME", "bob")), "--password", "long enough"]
    created = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    assert "Author 'bob' created" in created.stdout


def test_flask_run_refuses_the_development_key_outside_debug(tmp_path):
    """Anyone can read the development key, and with it forge a session: `flask run` does not
    serve with it unless in debug mode (on the author's own machine)."""
    (tmp_path / "app.py").write_text(
        "from cms import create_app\n"
        f"app = create_app(instance_path={str(tmp_path / 'instance')!r})\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CMS_", "FLASK_"))}
    flask = Path(sys.executable).parent / "flask"
    served = subprocess.run(
        [flask, "--app", "app", "run", "--port", "1"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode != 0
    assert "Error: SECRET_KEY is the development default" in served.stderr
    assert "Traceback" not in served.stderr
