"""A post's stored HTML, excerpt, summary and word count, rendered once from its Markdown."""

from __future__ import annotations

from collections.abc import Iterable

from .. import markup
from ..extensions import db
from ..models import Post


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
