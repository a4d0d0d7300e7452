"""Pages (About, Contact...): their list and the form for a new one (editing is the post form's)."""

from __future__ import annotations

from flask import render_template

from ...extensions import db
from ...kernel.http import requested_page
from ...models import PAGE
from ...posts import desk_pages
from . import bp
from .posts import edit_post
from .session_ends import keeps_text


@bp.get("/pages")
def pages():
    """Every page, those in the site navigation first, in its order."""
    return render_template(
        "desk/posts/pages.html", page=db.paginate(desk_pages(), page=requested_page(), per_page=50)
    )


@bp.route("/pages/new", methods=["GET", "POST"])
@keeps_text(PAGE)
def new_page():
    return edit_post(None, PAGE)
