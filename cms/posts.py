"""Post rules shared by the public pages and the editor: visibility, pages, rendering, tags."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, g, url_for
from sqlalchemy import ColumnElement, Select, and_, select

from . import markup
from .clock import utcnow
from .extensions import db
from .kernel.text import slugify
from .models import PAGE, POST, PUBLISHED, Post, Tag


def is_visible() -> ColumnElement[bool]:
    """The condition for a post a visitor may see: published, and its date has come."""
    return and_(Post.status == PUBLISHED, Post.published_at <= utcnow())


def published_posts() -> Select:
    """Dated posts a visitor may see, newest first (pages are never listed with them)."""
    return (
        select(Post)
        .where(Post.kind == POST, is_visible())
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def published_pages() -> Select:
    """Pages a visitor may see: those in the navigation first, in its order, then by title."""
    return (
        select(Post)
        .where(Post.kind == PAGE, is_visible())
        .order_by(Post.nav_order.is_(None), Post.nav_order, Post.title)
    )


def render_key(language: str) -> str:
    """Names what produced stored HTML: the renderer's version and the language's typography."""
    return f"{markup.RENDERER_VERSION}:{language}"


def render(post: Post, language: str) -> None:
    """Store the post's HTML, excerpt and summary, rendered from its Markdown."""
    rendered = markup.render_post(post.body, language)
    post.body_html = rendered.body_html
    post.excerpt_html = rendered.excerpt_html
    post.summary = rendered.summary
    post.has_more = rendered.has_more
    post.word_count = markup.word_count(post.body)
    post.render_key = render_key(language)


def refresh_rendering(posts: Iterable[Post], language: str) -> None:
    """Re-render posts whose stored HTML came from an older renderer or another language.
    Nearly always a string comparison per post; commits only when something was re-rendered."""
    stale = [post for post in posts if post.render_key != render_key(language)]
    for post in stale:
        render(post, language)
    if stale:
        db.session.commit()


def parse_tag_names(text: str) -> list[str]:
    """'Web, web , Écriture,' -> ['Web', 'Écriture']: trimmed, deduplicated by slug, order kept."""
    names: dict[str, str] = {}
    for raw in text.split(","):
        name = " ".join(raw.split())[:80]
        slug = slugify(name)
        if slug and slug not in names:
            names[slug] = name
    return list(names.values())


def tags_named(names: list[str]) -> list[Tag]:
    """The tags with these names, created on the fly when missing (matched by slug)."""
    wanted = {slugify(name): name for name in names}
    existing = {
        tag.slug: tag for tag in db.session.scalars(select(Tag).where(Tag.slug.in_(wanted)))
    }
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


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
