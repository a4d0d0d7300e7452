"""A post's stored HTML, excerpt, summary and word count, rendered once from its Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from .. import markup
from ..cache import keep_out_of_cache
from ..extensions import db
from ..kernel.database import write_unless_changed
from ..media import image_attributes, posts_using, uploads_in
from ..models import Post


def render_key(language: str) -> str:
    """Names what produced stored HTML: the renderer's version and the language's typography."""
    return f"{markup.RENDERER_VERSION}:{language}"


def render(
    post: Post, language: str, images: Mapping[str, Mapping[str, str]] | None = None
) -> None:
    """Store the post's HTML, excerpt and summary, rendered from its Markdown. The uploads it
    shows get their size and srcset: from `images` (media.image_attributes) when given, else
    from the uploads it names (one query, none when it names none)."""
    if images is None:
        images = image_attributes(uploads_in(post.body))
    rendered = markup.render_post(post.body, language, images)
    post.body_html = rendered.body_html
    post.excerpt_html = rendered.excerpt_html
    post.summary = rendered.summary
    post.has_more = rendered.has_more
    post.word_count = markup.word_count(post.body)
    post.render_key = render_key(language)


# Stale posts rendered again by one request (a post may be long): after a language change, a
# listing is put right over a few requests rather than one slow one.
REFRESH_BATCH = 10


def refresh_rendering(posts: Iterable[Post], language: str) -> bool:
    """Re-render posts whose stored HTML came from an older renderer or another language, the
    first REFRESH_BATCH of them, and write them in the caller's transaction, each unless it was
    saved meanwhile (the caller commits). The answer showing the rest as they were is kept out
    of the page cache, so that the next request renders more. Nearly always a string
    comparison per post. Whether anything was written."""
    stale = [post for post in posts if post.render_key != render_key(language)]
    if len(stale) > REFRESH_BATCH:
        stale = stale[:REFRESH_BATCH]
        keep_out_of_cache()
    written = False
    with db.session.no_autoflush:
        for post in stale:
            render(post, language)
            written |= write_unless_changed(post, Post.version)
    return written


def render_posts_showing(upload_name: str, language: str) -> int:
    """Render again the posts that show this upload (its size or its copies changed), each
    written unless saved meanwhile, in the caller's transaction. How many were written."""
    ids = [post_id for post_id, _title in posts_using([upload_name])[upload_name]]
    if not ids:
        return 0
    db.session.flush()  # the upload's new values, for the query that render() makes
    written = 0
    with db.session.no_autoflush:
        for post in db.session.scalars(select(Post).where(Post.id.in_(ids))):
            render(post, language)
            written += write_unless_changed(post, Post.version)
    return written
