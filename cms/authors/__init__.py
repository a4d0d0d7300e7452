"""Authors: who may log in to the desk, found by name the one way the site compares names.

A feature with no HTTP; imports only the root leaves (extensions, models)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Author


def find_author(username: str) -> Author | None:
    """The author of that username, ignoring case and the spaces around it."""
    return db.session.scalar(
        select(Author).where(func.lower(Author.username) == username.strip().lower())
    )


def author_count() -> int:
    return db.session.scalar(select(func.count(Author.id)))
