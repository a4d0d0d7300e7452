"""Public pages. Drafts and scheduled posts exist only for a logged-in author."""

from collections import Counter
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, lazyload

from .. import cache, redirects
from ..clock import local_to_utc, utc_to_local
from ..comments.page import render_post_page
from ..extensions import db
from ..models import Post, Tag, post_tags
from ..posts import is_visible, published_pages, published_posts, refresh_rendering
from ..site import site_settings

bp = Blueprint("blog", __name__)


def paginate_posts(query):
    """One page of posts (?page=N), rendered with the current renderer; 404 past the last page."""
    settings = site_settings()
    page = db.paginate(query, per_page=settings.posts_per_page, max_per_page=100, count=False)
    # The total is the same for every page of this listing until the content changes.
    page.total = cache.count_once_per_epoch(request.path, query)
    refresh_rendering(page.items, settings.language)
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
    refresh_rendering([post], site_settings().language)
    return render_post_page(post)


@bp.get("/tags/<slug>/")
def tag(slug: str):
    tag = db.first_or_404(select(Tag).where(Tag.slug == slug))
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


@bp.get("/archive/<int:year>/<int:month>/")
def archive(year: int, month: int):
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        abort(404)
    tz = site_settings().timezone
    start = local_to_utc(datetime(year, month, 1), tz)
    end = local_to_utc(datetime(year + month // 12, month % 12 + 1, 1), tz)
    query = published_posts().where(Post.published_at >= start, Post.published_at < end)
    return render_template(
        "public/posts/archive.html", month=datetime(year, month, 1), page=paginate_posts(query)
    )


@bp.get("/feed.xml")
def feed():
    posts = db.session.scalars(published_posts().limit(current_app.config["FEED_SIZE"])).all()
    refresh_rendering(posts, site_settings().language)
    xml = render_template("public/feeds/feed.xml", posts=posts)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/sitemap.xml")
def sitemap():
    columns = (Post.slug, Post.updated_at, Post.published_at)
    posts = db.session.execute(published_posts().with_only_columns(*columns)).all()
    pages = db.session.execute(published_pages().with_only_columns(*columns)).all()
    tags = db.session.scalars(
        select(Tag.slug).join(post_tags).join(Post).where(is_visible()).distinct()
    ).all()
    xml = render_template("public/feeds/sitemap.xml", posts=posts, pages=pages, tags=tags)
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        f"Disallow: {url_for('editor.dashboard')}",
        f"Disallow: {url_for('auth.login')}",
        f"Sitemap: {url_for('blog.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.app_template_global()
def canonical_url() -> str:
    """This page's address without tracking or other stray query arguments (page is kept)."""
    args = dict(request.view_args or {})
    if request.args.get("page", "1") != "1":
        args["page"] = request.args["page"]
    return url_for(request.endpoint, _external=True, **args)
