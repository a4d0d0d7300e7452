"""The shipped migrations build exactly the schema the models describe."""

import sqlite3
from contextlib import closing

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cms import create_app
from cms.extensions import db
from cms.models import Upload


def test_migrations_match_the_models(tmp_path):
    instance = tmp_path / "instance"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'm.sqlite3'}", "SECRET_KEY": "x"},
        instance_path=instance,
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
    with app.app_context():
        db.engine.dispose()


def test_images_uploaded_before_descriptions_keep_everything_both_ways(tmp_path):
    """Migration 0007 adds the description, the hash and the copies' widths: an image stored
    before it gets none of them (and no copies), and going back keeps the image's row."""
    instance = tmp_path / "instance"
    database = instance / "m.sqlite3"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "x"},
        instance_path=instance,
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0006"]).exit_code == 0
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(
            "INSERT INTO uploads (id, name, original_name, content_type, size, width, height, "
            "created_at) VALUES (7, 'AAAAAAAAAAAAAAAA.jpg', 'old.jpg', 'image/jpeg', 10, 4, 3, "
            "'2025-01-01 10:00:00')"
        )
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        row = db.session.get(Upload, 7)
        assert (row.name, row.alt, row.sha256, row.widths) == ("AAAAAAAAAAAAAAAA.jpg", "", None, [])
        db.session.add(Upload(name="BBBBBBBBBBBBBBBB.jpg", content_type="image/jpeg", size=1,
                              width=1, height=1))  # fmt: skip
        db.session.commit()  # two images without a hash: the unique index allows it
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "0006"]).exit_code == 0
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("SELECT id, name FROM uploads ORDER BY id").fetchall() == [
            (7, "AAAAAAAAAAAAAAAA.jpg"),
            (8, "BBBBBBBBBBBBBBBB.jpg"),
        ]
        table = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'uploads'")
        assert "AUTOINCREMENT" in table.fetchone()[0]  # ids are still never reused


def test_new_code_on_a_database_not_yet_upgraded_says_so_and_recovers(app, make_post, caplog):
    """A worker started on this version before `flask db upgrade` ran: the newest column is
    missing. Visitors get a 503 saying the site is being upgraded (not a 500), the log tells the
    operator what to run, and the pages come back once the column is there."""
    make_post(title="Still here")
    with app.app_context():
        db.session.execute(text("DROP INDEX uq_posts_form_key"))
        db.session.execute(text("ALTER TABLE posts DROP COLUMN form_key"))
        db.session.commit()
    client = app.test_client()
    for path in ("/", "/posts/still-here/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "The site is being upgraded" in response.text
        assert response.headers["Retry-After"]
    assert "run `flask --app app db upgrade`" in caplog.text
    with app.app_context():
        db.session.execute(text("ALTER TABLE posts ADD COLUMN form_key VARCHAR(64)"))
        db.session.commit()
    assert "Still here" in client.get("/posts/still-here/").text
