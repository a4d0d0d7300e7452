"""Revisions: every save of a post keeps its title and text, so any earlier state can come back.

A feature with no HTTP; imports the root leaves (extensions, models) and markup's word count."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from ..extensions import db
from ..markup import word_count
from ..models import Post, Revision


def revisions_of(post: Post) -> Select:
    """The post's revisions, newest first."""
    return (
        select(Revision)
        .where(Revision.post_id == post.id)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    )


def record_revision(post: Post, author_id: int | None) -> Revision | None:
    """Keep the post's title, text and state as a new revision (the caller commits).

    Nothing is added when they are exactly those of the latest revision (a save that changed
    only the tags, or Save pressed twice): the history lists changes to the text, and when the
    post was published or taken back to a draft.
    """
    if post.id is not None:
        latest = db.session.scalar(revisions_of(post).limit(1))
        if latest is not None and (latest.title, latest.body, latest.state) == (
            post.title,
            post.body,
            post.state,
        ):
            return None
    revision = Revision(
        post=post, author_id=author_id, title=post.title, body=post.body, state=post.state
    )
    db.session.add(revision)
    return revision


def word_changes(
    newest_first: Sequence[Revision], older: Revision | None
) -> list[tuple[int, int | None]]:
    """For each revision, its words and how many it added since the one before (below zero:
    removed), None for a post's first. `older` is the revision before the last one given (the
    next page's first), None when that last one is the first of all."""
    if not newest_first:
        return []
    counts = [word_count(revision.body) for revision in newest_first]
    before = [*counts[1:], word_count(older.body) if older is not None else None]
    return [
        (words, None if earlier is None else words - earlier)
        for words, earlier in zip(counts, before, strict=True)
    ]
