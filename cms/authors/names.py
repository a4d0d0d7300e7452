"""An author's names: the login name, compared one way everywhere, and the name readers see."""

from __future__ import annotations

import unicodedata

from ..models import Author


def username_key(username: str) -> str:
    """A username as logins compare it: Unicode case folding (SQL's lower() folds only ASCII on
    SQLite, so "Élodie" never matched "élodie"), the same letters however they were composed."""
    return unicodedata.normalize("NFC", username.strip()).casefold()


def is_login_name(name: str, username: str) -> bool:
    """Whether `name` is that login name, as the login form would take it."""
    return username_key(name) == username_key(username)


def byline(author: Author | None) -> str:
    """The name readers see on her posts, feed entries and comments: her display name, or ""
    while she has none of her own. A display name that is her login name in any case counts as
    none (create-author used to copy the login name there): shown on every post, it gave away
    half of what logs her in."""
    if (
        author is None
        or not author.display_name
        or is_login_name(author.display_name, author.username)
    ):
        return ""
    return author.display_name


def desk_name(author: Author) -> str:
    """The name the desk greets her with: her byline, else her login name (only she sees it)."""
    return byline(author) or author.username
