"""Authors: who may log in to the desk, found by name the one way the site compares names, the
name readers see, and the password rules.

A feature with no HTTP; imports only the plumbing (extensions, models, kernel)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Author
from .names import byline, desk_name, is_login_name, username_key
from .password_attempts import count_password_attempt, forget_wrong_passwords

# The shortest password the site takes, from the command line and from the account page alike.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # hashing a longer one is work an attacker chooses


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


__all__ = [
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "author_count",
    "byline",
    "count_password_attempt",
    "desk_name",
    "find_author",
    "forget_wrong_passwords",
    "is_login_name",
    "username_key",
]
