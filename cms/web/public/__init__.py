"""The public site: reading posts, pages, tags, archives, feeds, images, draft previews, and
commenting. Blueprints `blog`, `comments` and `pages`; HTTP only, it calls the features and never
imports the desk."""

from flask import Blueprint

bp = Blueprint("blog", __name__)

from . import feeds, media, posts, previews  # noqa: E402 -- they attach their routes to bp

__all__ = ["bp", "feeds", "media", "posts", "previews"]
