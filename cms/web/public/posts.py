"""Reading: the home page, a post with its comments, tags and the archives."""

from collections import Counter
from datetime import datetime

from flask import (
    abort,
    redirect,
    render_template,
    request,
    url_for,
)

from ... import redirects
from ...clock import local_to_utc, utc_to_local
from ...extensions import db
from ...kernel.database import commit_after_response
from ...kernel.settings import site_settings
from ...models import Post, Tag
from ...posts import published_posts, refresh_rendering, visible_tags
from . import bp
from .loaders import paginate_posts, visible_post_or_404
from .post_page import render_post_page


@bp.get("/")
def index():
    # WordPress's plain permalinks (/?p=123) land here rather than on a 404.
    if any(name in request.args for name in redirects.QUERY_IDS) and (
        target := redirects.moved_to(request)
    ):
        return redirect(target, 301)
    return render_template("public/posts/index.html", page=paginate_posts(published_posts()))


@bp.get("/posts/<slug>/")
def post(slug: str):
    post = visible_post_or_404(slug)
    if post.is_page:  # pages live at /<slug>/
        return redirect(url_for("pages.page", slug=post.slug), 301)
    if refresh_rendering([post], site_settings().language):
        commit_after_response()
    return render_post_page(post)


@bp.get("/tags/<slug>/")
def tag(slug: str):
    tag = db.first_or_404(visible_tags().where(Tag.slug == slug))
    query = published_posts().where(Post.tags.any(Tag.id == tag.id))
    return render_template("public/posts/tag.html", tag=tag, page=paginate_posts(query))


@bp.get("/archive/")
def archives():
    """Months that have posts, newest first, counted in the site's time zone."""
    tz = site_settings().timezone
    dates = db.session.scalars(published_posts().with_only_columns(Post.published_at))
    months = Counter((d.year, d.month) for d in (utc_to_local(d, tz) for d in dates))
    entries = [(datetime(year, month, 1), count) for (year, month), count in months.items()]
    return render_template("public/posts/archives.html", months=sorted(entries, reverse=True))


# The months an archive address may name: none before 1900, and none whose end (the first day
# of the month after) is past the last day a datetime holds, 31 December 9999.
FIRST_ARCHIVE_MONTH = (1900, 1)
LAST_ARCHIVE_MONTH = (9999, 11)


@bp.get("/archive/<int:year>/<int:month>/")
def archive(year: int, month: int):
    if not (1 <= month <= 12 and FIRST_ARCHIVE_MONTH <= (year, month) <= LAST_ARCHIVE_MONTH):
        abort(404)
    tz = site_settings().timezone
    start = local_to_utc(datetime(year, month, 1), tz)
    end = local_to_utc(datetime(year + month // 12, month % 12 + 1, 1), tz)
    query = published_posts().where(Post.published_at >= start, Post.published_at < end)
    return render_template(
        "public/posts/archive.html", month=datetime(year, month, 1), page=paginate_posts(query)
    )
