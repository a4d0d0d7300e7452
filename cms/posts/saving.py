"""Saving a post: the author's changes applied, rendered, kept as a revision; the caller commits.
Also the rules a save is checked against first: the new-post form's key, which makes sending
the same form twice one post, and publishing with no text."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

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


# What a new-post form's key looks like: new_form_key() makes them; anything else sent is ignored.
_FORM_KEY_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")
# The version a post has when its new-post form has just made it: all that form has seen of it.
FIRST_VERSION = 1


def new_form_key() -> str:
    """A key for a new-post form: random, so that two forms never share one."""
    return secrets.token_urlsafe(24)


def form_key_or_none(value: object) -> str | None:
    """The key a new-post form sent, or None when the value is not one new_form_key() makes."""
    return value if isinstance(value, str) and _FORM_KEY_RE.fullmatch(value) else None


def post_made_by_form(form_key: str | None) -> Post | None:
    """The post that the new-post form with this key made, when it was saved already."""
    if form_key is None:
        return None
    return db.session.scalar(select(Post).where(Post.form_key == form_key))


def publishes_empty(post: Post | None, changes: PostChanges) -> bool:
    """Whether the save would publish a post with no text: readers would find an empty page, so
    the author confirms first. A post already published empty is not asked about again."""
    if changes.status != PUBLISHED or changes.body.strip():
        return False
    return post is None or post.status != PUBLISHED or bool(post.body.strip())


def save_post(
    post: Post | None,
    kind: str,
    changes: PostChanges,
    *,
    author_id: int,
    language: str,
    form_key: str | None = None,
) -> Post:
    """Apply the changes to the post (a new one of `kind` when None) as one save. `form_key`
    names the new-post form they came from: a new post keeps it (post_made_by_form finds it),
    and that form's autosave goes, whether it made the post now or earlier."""
    is_new = post is None
    if post is None:
        post = Post(author_id=author_id, kind=kind, form_key=form_key)
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
    if form_key is not None and not is_new:
        # Sent again after Back, the form autosaved as a new post meanwhile: that is this post.
        forget_autosave(author_id, None, post.kind)
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
