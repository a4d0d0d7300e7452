"""The shipped migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cms import create_app
from cms.extensions import db


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
