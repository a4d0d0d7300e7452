"""What machines read: the Atom feed of posts, the sitemap and robots.txt; and the page that
tells people how to follow the feeds."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for

from ...extensions import db
from ...kernel.database import commit_after_response
from ...kernel.settings import site_settings
from ...models import Post, Tag
from ...posts import published_pages, published_posts, refresh_rendering, visible_tags
from . import bp


@bp.get("/feed.xml")
def feed():
    posts = db.session.scalars(published_posts().limit(current_app.config["FEED_SIZE"])).all()
    if refresh_rendering(posts, site_settings().language):
        commit_after_response()
    xml = render_template("public/feeds/feed.xml", posts=posts)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/feeds/")
def feeds():
    """How to follow the blog in a feed reader, with the feed's address to copy; reached from a
    post (?post=<slug>), the address of that post's comments feed too. The menu's "Feed" link
    leads here: a feed opened in a browser is a page of raw XML."""
    slug = request.args.get("post", "")
    commented = None
    if slug:
        commented = db.session.scalars(published_posts().where(Post.slug == slug).limit(1)).first()
    return render_template("public/feeds/index.html", commented_post=commented)


@bp.get("/sitemap.xml")
def sitemap():
    columns = (Post.slug, Post.updated_at, Post.published_at)
    posts = db.session.execute(published_posts().with_only_columns(*columns)).all()
    pages = db.session.execute(published_pages().with_only_columns(*columns)).all()
    tags = db.session.scalars(visible_tags().with_only_columns(Tag.slug)).all()
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
