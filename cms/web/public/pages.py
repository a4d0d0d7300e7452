"""The public page at /<slug>/. Its blueprint is registered after every other one (see create_app)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BaseConverter, Map

from ...extensions import db
from ...kernel.database import commit_after_response
from ...kernel.settings import site_settings
from ...models import PAGE, Post
from ...posts import post_url, refresh_rendering

bp = Blueprint("pages", __name__)


class PageSlugConverter(BaseConverter):
    """A page slug, but never a word that starts an address already in the URL map.

    Built when the page route is added, last: "/logout" stays the POST-only logout (a GET gets
    405, not a redirect to "/logout/"), and "/archive" still redirects to "/archive/".
    """

    def __init__(self, map: Map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        taken = {rule.rule.strip("/").split("/")[0] for rule in map.iter_rules()}
        words = sorted(re.escape(word) for word in taken if word and "<" not in word)
        refused = f"(?!(?:{'|'.join(words)})\\Z)" if words else ""
        self.regex = refused + r"[a-z0-9]+(?:-[a-z0-9]+)*"


@bp.record_once
def add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["page_slug"] = PageSlugConverter


# Without strict slashes, "/nowhere" is a 404 at once rather than a redirect to "/nowhere/".
@bp.get("/<page_slug:slug>/", strict_slashes=False)
def page(slug: str):
    """A published page; a draft one only for the logged-in author."""
    page = db.first_or_404(select(Post).where(Post.slug == slug, Post.kind == PAGE))
    if not page.is_public and not current_user.is_authenticated:
        abort(404)
    if not request.path.endswith("/"):
        return redirect(post_url(page), 308)
    if refresh_rendering([page], site_settings().language):
        commit_after_response()
    return render_template("public/pages/page.html", page=page)
