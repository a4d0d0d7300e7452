"""Autosaves: what the author typed but did not save yet, kept apart from the post itself.

A feature with no HTTP; imports only the root leaves (clock, extensions, models) and the
kernel's text helpers."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..clock import utcnow
from ..extensions import db
from ..kernel.text import normalize_newlines
from ..models import BODY_MAX, PAGE, POST, TITLE_MAX, Autosave, Post


def _owned(author_id: int, post_id: int | None, kind: str):
    if post_id is None:
        return (Autosave.author_id == author_id, Autosave.post_id.is_(None), Autosave.kind == kind)
    return (Autosave.author_id == author_id, Autosave.post_id == post_id)


def find_autosave(author_id: int, post_id: int | None, kind: str) -> Autosave | None:
    """The author's autosave for a post (post_id None: for the new post or page not saved yet)."""
    return db.session.scalar(select(Autosave).where(*_owned(author_id, post_id, kind)))


def pending_autosave(author_id: int, post: Post | None, kind: str) -> Autosave | None:
    """The autosave to offer when the editor opens: one newer than the stored post that holds
    other text. For a new post, any autosave of the author's unsaved post."""
    autosave = find_autosave(author_id, post.id if post else None, kind)
    if autosave is None or post is None:
        return autosave
    if autosave.saved_at <= post.updated_at or (autosave.title, autosave.body) == (
        post.title,
        post.body,
    ):
        return None
    return autosave


def store_autosave(author_id: int, post: Post | None, kind: str, title: str, body: str) -> bool:
    """Keep the text as the author's autosave for the post (the caller commits); the post itself
    never changes. Returns False, keeping nothing, when the text is the stored post's own.
    Autosaves older than AUTOSAVE_MAX_AGE_DAYS, restored by nobody, are pruned on the way."""
    prune_autosaves()
    autosave = find_autosave(author_id, post.id if post else None, kind)
    if post is not None and (title, body) == (post.title, post.body):
        if autosave is not None:
            db.session.delete(autosave)
        return False
    if autosave is None:
        autosave = Autosave(author_id=author_id, post_id=post.id if post else None, kind=kind)
        db.session.add(autosave)
    autosave.title, autosave.body, autosave.saved_at = title, body, utcnow()
    return True


def keep_unsent_text(author_id: int, post_id: int | None, kind: str, title: str, body: str) -> bool:
    """Keep text whose save never arrived (her session had ended) as the author's autosave: for
    the post, or for her new post or page (`kind`) when post_id is None or names no post any
    more; the caller commits. False, keeping nothing, for text longer than a post takes or
    that is the stored post's own."""
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        return False
    post = db.session.get(Post, post_id) if post_id is not None else None
    kind = post.kind if post is not None else (PAGE if kind == PAGE else POST)
    return store_autosave(author_id, post, kind, title, normalize_newlines(body))


def forget_autosave(author_id: int, post_id: int | None, kind: str) -> None:
    """Delete the author's autosave for a post (saved or discarded); the caller commits."""
    db.session.execute(delete(Autosave).where(*_owned(author_id, post_id, kind)))


def prune_autosaves() -> None:
    days = current_app.config["AUTOSAVE_MAX_AGE_DAYS"]
    db.session.execute(delete(Autosave).where(Autosave.saved_at < utcnow() - timedelta(days=days)))
