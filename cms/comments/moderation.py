"""Moderation: the queue, the counts the desk shows, and what approving, marking as spam, editing
and deleting a comment do to its thread. The caller commits."""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ..extensions import db
from ..models import APPROVED, PENDING, SPAM, Comment, Post, body_fingerprint
from .thread import mentions_on, relink_mentions, rerender

STATUSES = (PENDING, APPROVED, SPAM)


def pending_count() -> int:
    """How many comments await moderation."""
    return db.session.scalar(select(func.count(Comment.id)).where(Comment.status == PENDING))


def status_counts() -> dict[str, int]:
    """How many comments each status holds (a status with none is absent)."""
    rows = db.session.execute(
        select(Comment.status, func.count(Comment.id)).group_by(Comment.status)
    )
    return dict(rows.all())


def commented_posts() -> list[tuple[int, str]]:
    """(id, title) of every post with comments, by title: the queue's filter."""
    query = select(Post.id, Post.title).where(Post.comments.any()).order_by(Post.title)
    return list(db.session.execute(query).all())


def queue(status: str, post_id: int | None = None) -> Select:
    """The comments of one status, newest first, with the few post columns the queue shows."""
    query = (
        select(Comment)
        .where(Comment.status == status)
        .options(
            joinedload(Comment.post).options(
                load_only(Post.id, Post.title, Post.slug),
                lazyload(Post.author),
                lazyload(Post.tags),
            )
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return query.where(Comment.post_id == post_id) if post_id else query


def set_status(comments: list[Comment], status: str, language: str) -> None:
    """Move comments to a status; @Name links on their posts follow (they name approved
    comments only)."""
    post_ids = {comment.post_id for comment in comments}
    before = mentions_on(post_ids)
    for comment in comments:
        comment.status = status
    relink_mentions(post_ids, before, language)


def delete_comments(comments: list[Comment], language: str) -> None:
    """Delete comments; replies to them lose their parent (the database sees to it) and @Name
    links on their posts follow."""
    post_ids = {comment.post_id for comment in comments}
    before = mentions_on(post_ids)
    db.session.execute(delete(Comment).where(Comment.id.in_([c.id for c in comments])))
    db.session.expire_all()
    relink_mentions(post_ids, before, language)


def edit_comment(
    comment: Comment, *, name: str, email: str, website: str, body: str, language: str
) -> None:
    """The author's corrections to a comment, rendered again; a new name may change which
    comment a later "@Name" names."""
    before = mentions_on([comment.post_id])
    fingerprint = body_fingerprint(body)
    if fingerprint != comment.fingerprint:
        # No longer the text its form sent: another comment sent with the same words must not
        # meet it in uq_comments_post_fingerprint_sent, which stops copies of one form.
        comment.form_key = None
    comment.author_name = name
    comment.author_email = email
    comment.author_website = website
    comment.body = body
    comment.fingerprint = fingerprint
    if comment.id not in relink_mentions([comment.post_id], before, language):
        rerender([comment], language)
