"""Authors: who may log in to the desk, found by name the one way the site compares names.

A feature with no HTTP; imports only the root leaves (extensions, models)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select

from ..extensions import db
from ..models import Author


def username_key(username: str) -> str:
    """A username as logins compare it: Unicode case folding (SQL's lower() folds only ASCII on
    SQLite, so "Élodie" never matched "élodie"), the same letters however they were composed."""
    return unicodedata.normalize("NFC", username.strip()).casefold()


def find_author(username: str) -> Author | None:
    """The author of that username, ignoring case and the spaces around it. Compared here
    rather than in SQL, identically on every database: a site has a handful of authors."""
    wanted = username_key(username)
    return next(
        (a for a in db.session.scalars(select(Author)) if username_key(a.username) == wanted),
        None,
    )


def author_count() -> int:
    return db.session.scalar(select(func.count(Author.id)))
