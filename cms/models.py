"""Database tables: authors, posts, revisions, autosaves, uploads, comments, settings, redirects."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import DEFAULT_TIMEZONE, utcnow
from .extensions import db

DRAFT, PUBLISHED = "draft", "published"
SCHEDULED = "scheduled"  # a state, not a status: published with a date still to come
# What a Post row is: a dated post (home page, feed, archives) or an undated page (About, Contact).
POST, PAGE = "post", "page"
PENDING, APPROVED, SPAM = "pending", "approved", "spam"


def new_session_token() -> str:
    return secrets.token_hex(16)


# Lengths of the columns people type into: forms, imports and scripts read them from here.
TITLE_MAX = 200  # a post's or page's title
BODY_MAX = 1_000_000  # characters of a post's Markdown
USERNAME_MAX, DISPLAY_NAME_MAX = 64, 120
COMMENT_NAME_MAX, COMMENT_EMAIL_MAX, COMMENT_WEBSITE_MAX = 100, 254, 500
IP_MAX = 45  # the longest IPv6 address written out
ALT_TEXT_MAX = 300  # an image's description

# SQLite otherwise gives a new row the largest id + 1, so deleting or restoring away the newest
# rows hands their ids to others: old links and visitors' own-comment lists would name new words.
# With AUTOINCREMENT, sqlite_sequence remembers the highest id ever given (PostgreSQL's
# sequences already do).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Author(UserMixin, db.Model):
    __tablename__ = "authors"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    # Filled into the comment form when she comments as herself; never shown.
    email: Mapped[str] = mapped_column(String(COMMENT_EMAIL_MAX), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None until her first login: the desk greets a first login differently.
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Part of the identity kept in the session cookie: a new token at logout or a password change
    # makes every cookie issued before it worthless (signed cookies cannot be recalled otherwise).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Log this author out everywhere: every session cookie issued so far stops working."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def unusable_password_hash() -> str:
    """The hash of a random password nobody is told: the author must be given a real one
    (`flask set-password`) to log in. 256 random bits need no slow hash, so one round does."""
    return generate_password_hash(secrets.token_urlsafe(32), method="pbkdf2:sha256:1")


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(100), unique=True)


def body_fingerprint(body: str) -> str:
    """SHA-256 of a comment body with whitespace collapsed and case folded."""
    return hashlib.sha256(" ".join(body.split()).casefold().encode()).hexdigest()


def _fingerprint_default(context) -> str:
    return body_fingerprint(context.get_current_parameters().get("body") or "")


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        # Duplicate detection looks a body up by its fingerprint on one post.
        Index("ix_comments_post_fingerprint", "post_id", "fingerprint"),
        # The same words once a post, for comments sent through the form (older and imported
        # rows, which may repeat, have no form key): two copies sent at once cannot both land.
        Index(
            "uq_comments_post_fingerprint_sent",
            "post_id",
            "fingerprint",
            unique=True,
            sqlite_where=text("form_key IS NOT NULL"),
            postgresql_where=text("form_key IS NOT NULL"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(COMMENT_NAME_MAX))
    # Stored lowercased; indexed because first-comment moderation looks commenters up by it.
    author_email: Mapped[str] = mapped_column(String(COMMENT_EMAIL_MAX), default="", index=True)
    author_website: Mapped[str] = mapped_column(String(COMMENT_WEBSITE_MAX), default="")
    body: Mapped[str] = mapped_column(Text)
    # Finds the same words posted twice on a post; filled in from the body on insert.
    fingerprint: Mapped[str] = mapped_column(String(64), default=_fingerprint_default)
    body_html: Mapped[str] = mapped_column(Text, default="")
    render_key: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    # Why the spam defences held or refused it, shown to the author in the moderation queue.
    reason: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(IP_MAX), default="")
    # Where an imported comment came from ("wxr:<site>#comment-<id>"): importing it again finds it.
    import_key: Mapped[str | None] = mapped_column(String(300), unique=True, index=True)
    # The form it was sent with (a hash of its token and the sender's network): one comment per
    # form, so a second click or a retry finds the first instead of storing a copy.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The logged-in author who wrote it, shown with an "author" mark.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    parent: Mapped[Comment | None] = relationship(remote_side=[id])


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_status_published", "status", "published_at"),
        # Every public list filters on kind first (posts on the home page, pages in the navigation).
        Index("ix_posts_kind_status_published", "kind", "status", "published_at"),
        Index("uq_posts_form_key", "form_key", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
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
    kind: Mapped[str] = mapped_column(String(10), default=POST)
    # A page with a nav_order is linked from the site navigation, lowest first.
    nav_order: Mapped[int | None] = mapped_column()
    # Counted when the body is rendered, so the reading time costs nothing per view.
    word_count: Mapped[int] = mapped_column(default=0)
    # A private preview link carries this key and is signed at preview_issued_at: a new key
    # revokes every link given out before; None means no link.
    preview_key: Mapped[str | None] = mapped_column(String(32))
    preview_issued_at: Mapped[datetime | None] = mapped_column()
    # Where an imported post came from ("wxr:<site>#<id>"): importing it again finds it.
    import_key: Mapped[str | None] = mapped_column(String(300), unique=True, index=True)
    # The key of the new-post form that created it: that form sent again (Back, then Save)
    # finds this post instead of making a copy. None for posts made any other way.
    form_key: Mapped[str | None] = mapped_column(String(64))
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
        return SCHEDULED if self.published_at > utcnow() else PUBLISHED

    # Whether a visitor may see it: the one rule that pages, listings, tags, feeds, the sitemap
    # and old addresses all ask, in Python and in SQL.
    @hybrid_property
    def is_public(self) -> bool:
        return self.state == PUBLISHED

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status == PUBLISHED, cls.published_at <= utcnow())

    @property
    def is_page(self) -> bool:
        return self.kind == PAGE

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


def reading_minutes(words: int) -> int:
    """Minutes a reader needs at 200 words a minute, rounded, and never less than one for a text
    that has words (an empty one, as the editor opens, needs none)."""
    return max(1, (words + 100) // 200) if words else 0


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
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
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
    show_reading_time: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentVersion(db.Model):
    """One row (id 1): a counter bumped in the same transaction as every change to what public
    pages show (cms/cache/), so every worker knows at once when its cached pages are stale."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThrottleEvent(db.Model):
    """One attempt counted by a rate limit; stored so every worker process sees the same count."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_key_at", "key", "at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentEvent(db.Model):
    """A comment the spam defences refused without storing it, shown to the author for 30 days."""

    __tablename__ = "comment_events"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    # A reason code ("honeypot", "too-fast", "duplicate"...), described in the author's language.
    reason: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(IP_MAX), default="")

    post: Mapped[Post | None] = relationship()


class Redirect(db.Model):
    """An old address of a post (a WordPress permalink, "/?p=123"), answered with a 301.

    old_path is normalised by cms.redirects.normalise_path; only requests that would be a 404
    look here, so ordinary pages never pay for it.
    """

    __tablename__ = "redirects"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    old_path: Mapped[str] = mapped_column(String(500), unique=True, index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)

    post: Mapped[Post] = relationship()


class Revision(db.Model):
    """The title and text of a post as one save (or restore) left them; kept for good."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_post_created", "post_id", "created_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The post's state as that save left it (draft, scheduled or published); None in revisions
    # kept before it was recorded.
    state: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship()
    author: Mapped[Author | None] = relationship(lazy="joined")


class Autosave(db.Model):
    """Text typed in the editor but not saved yet: one per author and post (post_id None for a
    new post). Never touches the post itself; deleted once the post is saved after it."""

    __tablename__ = "autosaves"
    __table_args__ = (Index("ix_autosaves_author_post", "author_id", "post_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # Tells the new post's autosave from the new page's, while post_id is still None.
    kind: Mapped[str] = mapped_column(String(10), default=POST)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Upload(db.Model):
    """An image the author uploaded, stored as instance/uploads/<name> and served at /media/<name>."""

    __tablename__ = "uploads"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, with the extension of the format Pillow detected: never the visitor's file name.
    name: Mapped[str] = mapped_column(String(40), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column()
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What the image shows, for readers who cannot see it: the Markdown to copy carries it.
    alt: Mapped[str] = mapped_column(String(ALT_TEXT_MAX), default="", server_default="")
    # SHA-256 of the bytes as they were uploaded: the same file sent again is this row, not a
    # copy. None for images uploaded before it was recorded.
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # The narrower copies stored beside it, "<name stem>-<width>.<ext>", as widths ("640 960").
    variant_widths: Mapped[str] = mapped_column(String(40), default="", server_default="")

    @property
    def widths(self) -> list[int]:
        """The widths of its narrower copies, narrowest first."""
        return sorted(
            int(width) for width in (self.variant_widths or "").split() if width.isdigit()
        )
