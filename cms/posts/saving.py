"""Saving a post: the author's changes applied, rendered, kept as a revision; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..autosaves import forget_autosave
from ..clock import utcnow
from ..extensions import db
from ..kernel.text import normalize_newlines, slugify
from ..models import PUBLISHED, Post, Revision
from ..revisions import record_revision
from .rendering import render
from .slugs import unique_slug
from .tags import tags_named


@dataclass(frozen=True)
class PostChanges:
    """What the author set in the post form, already validated (dates in UTC)."""

    title: str
    body: str
    slug: str | None = None  # None: made from the title
    tag_names: tuple[str, ...] = ()
    status: str = "draft"
    published_at: datetime | None = None  # None: now, when it is published
    allow_comments: bool = True
    nav_order: int | None = None  # pages only


def save_post(
    post: Post | None, kind: str, changes: PostChanges, *, author_id: int, language: str
) -> Post:
    """Apply the changes to the post (a new one of `kind` when None) as one save."""
    is_new = post is None
    if post is None:
        post = Post(author_id=author_id, kind=kind)
    with db.session.no_autoflush:  # not flushed half-filled by the queries below
        post.title = changes.title.strip()
        post.slug = changes.slug or unique_slug(
            slugify(post.title) or post.kind, post_id=post.id, page=post.is_page
        )
        # Browsers send a textarea's lines with CRLF; stored with LF, a revision or an autosave
        # of the same text compares equal.
        post.body = normalize_newlines(changes.body)
        post.tags = tags_named(list(changes.tag_names))
        post.status = changes.status
        if changes.published_at:
            post.published_at = changes.published_at
        elif post.status == PUBLISHED and not (post.is_page and post.published_at):
            post.published_at = utcnow()  # a page shows no date: publishing again keeps the first
        post.allow_comments = changes.allow_comments
        post.nav_order = changes.nav_order if post.is_page else None
    _record_save(post, author_id, language, is_new=is_new)
    return post


def restore_revision(post: Post, revision: Revision, *, author_id: int, language: str) -> None:
    """Make the revision's title and text the post's again: a save like any other, so it is
    itself kept as a new revision, and the version moves on (an open editor sees a conflict)."""
    post.title, post.body = revision.title, revision.body
    _record_save(post, author_id, language, is_new=False)


def _record_save(post: Post, author_id: int, language: str, *, is_new: bool) -> None:
    """What every save does: the version moves on, the HTML is rendered, a revision is kept,
    and no autosave is left for the post (the saved text is newer)."""
    post.version = (post.version or 0) + 1
    post.updated_at = utcnow()
    render(post, language)
    db.session.add(post)
    record_revision(post, author_id)
    forget_autosave(author_id, None if is_new else post.id, post.kind)
