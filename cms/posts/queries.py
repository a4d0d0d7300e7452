"""Which posts and pages a visitor may see, in which order, and at which address."""

from __future__ import annotations

from flask import current_app, g, url_for
from sqlalchemy import Select, and_, func, select

from ..extensions import db
from ..models import PAGE, POST, Post, Tag


def published_posts() -> Select:
    """Dated posts a visitor may see, newest first (pages are never listed with them)."""
    return (
        select(Post)
        .where(Post.kind == POST, Post.is_public)
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def visible_tags() -> Select:
    """Tags a visitor may browse: those of at least one post they may see (a tag used only on
    drafts, scheduled posts or pages has no page of its own)."""
    return select(Tag).where(Tag.posts.any(and_(Post.kind == POST, Post.is_public)))


def published_pages() -> Select:
    """Pages a visitor may see: those in the navigation first, in its order, then by title."""
    return (
        select(Post)
        .where(Post.kind == PAGE, Post.is_public)
        .order_by(Post.nav_order.is_(None), Post.nav_order, Post.title)
    )


def is_reserved_page_slug(slug: str) -> bool:
    """Whether /<slug>/ starts an address of the site itself (/archive/, /editor/, /media/...),
    which a page there would shadow or be shadowed by."""
    return any(
        rule.rule.strip("/").split("/")[0] == slug for rule in current_app.url_map.iter_rules()
    )


def post_url(post: Post, **kwargs) -> str:
    """The public address of a post (/posts/<slug>/) or a page (/<slug>/); url_for's keyword
    arguments (_external=True...) pass through."""
    if post.kind == PAGE:
        return url_for("pages.page", slug=post.slug, **kwargs)
    return url_for("blog.post", slug=post.slug, **kwargs)


def nav_pages() -> list[tuple[str, str]]:
    """(title, slug) of the published pages the navigation links to, in their order: one query
    per request, like the settings, made only by the pages that show the navigation."""
    if "nav_pages" not in g:
        query = published_pages().where(Post.nav_order.is_not(None))
        g.nav_pages = db.session.execute(query.with_only_columns(Post.title, Post.slug)).all()
    return g.nav_pages


def desk_posts() -> Select:
    """Every post, for the desk's list: the newest (by publication, else creation) first."""
    newest_first = func.coalesce(Post.published_at, Post.created_at).desc()
    return select(Post).where(Post.kind == POST).order_by(newest_first, Post.id.desc())


def desk_pages() -> Select:
    """Every page, for the desk's list: those in the site navigation first, in its order."""
    return (
        select(Post)
        .where(Post.kind == PAGE)
        .order_by(Post.nav_order.is_(None), Post.nav_order, Post.title, Post.id)
    )
