"""Revisions: every save of a post keeps its title and text, so any earlier state can come back.

A feature with no HTTP; imports only the root leaves (extensions, models)."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Post, Revision


def revisions_of(post: Post) -> Select:
    """The post's revisions, newest first."""
    return (
        select(Revision)
        .where(Revision.post_id == post.id)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    )


def record_revision(post: Post, author_id: int | None) -> Revision | None:
    """Keep the post's title and text as a new revision (the caller commits).

    Nothing is added when they are exactly those of the latest revision (a save that changed
    only the tags or the status, or Save pressed twice): the history lists changes to the text.
    """
    if post.id is not None:
        latest = db.session.scalar(revisions_of(post).limit(1))
        if latest is not None and (latest.title, latest.body) == (post.title, post.body):
            return None
    revision = Revision(post=post, author_id=author_id, title=post.title, body=post.body)
    db.session.add(revision)
    return revision
