"""Loading what a public page shows, or aborting: the post at an address, a page of a listing."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, lazyload

from ... import cache
from ...extensions import db
from ...kernel.database import commit_after_response
from ...kernel.http import requested_page
from ...kernel.settings import site_settings
from ...models import Post
from ...posts import refresh_rendering


def paginate_posts(query):
    """One page of posts (?page=N), rendered with the current renderer; 404 past the last page."""
    settings = site_settings()
    page = db.paginate(
        query,
        page=requested_page(),
        per_page=settings.posts_per_page,
        max_per_page=100,
        count=False,
    )
    # The total is the same for every page of this listing until the content changes.
    page.total = cache.count_once_per_epoch(request.path, query)
    if refresh_rendering(page.items, settings.language):
        commit_after_response()
    return page


# The comment count is for lists of posts (the post page counts its thread itself), and the
# tags are loaded when the page shows them: a comment being posted needs neither. Built once:
# every post page and every comment runs it.
_POST_AT_SLUG = (
    select(Post)
    .where(Post.slug == bindparam("slug"))
    .options(defer(Post.comment_count), lazyload(Post.tags))
)


def visible_post_or_404(slug: str) -> Post:
    """The post at `slug`; drafts and scheduled posts are 404 except for the logged-in author."""
    post = db.session.scalars(_POST_AT_SLUG, {"slug": slug}).first()
    if post is None:
        abort(404)
    if not post.is_public and not current_user.is_authenticated:
        abort(404)
    return post
