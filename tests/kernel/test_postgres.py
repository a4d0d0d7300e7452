"""The PostgreSQL pass (`make test-postgres`) really runs on PostgreSQL, one schema per test."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cms.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_app

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="only in the PostgreSQL pass (scripts/with-postgres)"
)


def test_the_app_talks_to_postgresql_in_a_schema_of_its_own(app, tmp_path):
    other = make_app(tmp_path / "other")
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        schema = db.session.scalar(text("SELECT current_schema()"))
        assert schema.startswith("test_")
        db.session.execute(text("INSERT INTO tags (name, slug) VALUES ('Only here', 'only-here')"))
        db.session.commit()
    with other.app_context():
        assert db.session.scalar(text("SELECT current_schema()")) != schema
        assert db.session.scalar(text("SELECT count(*) FROM tags")) == 0


def test_column_lengths_are_enforced_as_on_a_real_server(app):
    """SQLite ignores VARCHAR lengths; PostgreSQL refuses what does not fit, which is why the
    importers cut values to their column's size."""
    from sqlalchemy.exc import DataError

    with app.app_context():
        with pytest.raises(DataError):
            db.session.execute(
                text("INSERT INTO tags (name, slug) VALUES (:n, 'x')"), {"n": "x" * 81}
            )
        db.session.rollback()
