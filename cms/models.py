"""The database schema: authors, posts, tags, comments, site settings, throttle events."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import utcnow
from .extensions import db

DRAFT, PUBLISHED = "draft", "published"
PENDING, APPROVED, SPAM = "pending", "approved", "spam"


class Author(UserMixin, db.Model):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(100), unique=True)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_post_status_created", "post_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(254), default="")
    author_website: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    render_key: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    # Why the spam defences held or refused it, shown to the author in the moderation queue.
    reason: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    parent: Mapped[Comment | None] = relationship(remote_side=[id])


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_status_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered once when saved; render_key names the renderer version and language that made them.
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt_html: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    has_more: Mapped[bool] = mapped_column(default=False)
    render_key: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    allow_comments: Mapped[bool] = mapped_column(default=True)
    # Bumped on every save: an edit form carries it, so a save over a newer version is caught.
    version: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))

    author: Mapped[Author | None] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, lazy="selectin", order_by=Tag.name, backref="posts"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def state(self) -> str:
        """'draft', 'scheduled' (published with a future date) or 'published'."""
        if self.status != PUBLISHED or self.published_at is None:
            return DRAFT
        return "scheduled" if self.published_at > utcnow() else PUBLISHED

    @property
    def is_public(self) -> bool:
        return self.state == PUBLISHED


# The approved-comment count is computed inside the query that loads the posts: no query per post.
Post.comment_count = column_property(
    select(func.count(Comment.id))
    .where(and_(Comment.post_id == Post.id, Comment.status == APPROVED))
    .correlate_except(Comment)
    .scalar_subquery(),
    deferred=False,
)


class SiteSettings(db.Model):
    """One row (id 1) of settings the author changes at run time, read on every request."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120), default="Causerie")
    tagline: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    posts_per_page: Mapped[int] = mapped_column(default=10)
    # Comments: the site-wide switch and the rules the spam defences read.
    comments_open: Mapped[bool] = mapped_column(default=True)
    close_comments_after_days: Mapped[int] = mapped_column(default=0)
    closed_notice: Mapped[str] = mapped_column(String(300), default="")
    require_email: Mapped[bool] = mapped_column(default=False)
    moderate_first_comment: Mapped[bool] = mapped_column(default=True)
    max_links: Mapped[int] = mapped_column(default=2)
    blocked_words: Mapped[str] = mapped_column(Text, default="")
    blocked_emails: Mapped[str] = mapped_column(Text, default="")
    blocked_ips: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ThrottleEvent(db.Model):
    """One attempt counted by a rate limit; stored so every worker process sees the same count."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
