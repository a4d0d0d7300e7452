"""Pages (About, Contact...): their list and the form for a new one (editing is the post form's)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import PAGE, Post
from .views import bp, edit_post


@bp.get("/pages")
def pages():
    """Every page, those in the site navigation first, in its order."""
    query = (
        select(Post)
        .where(Post.kind == PAGE)
        .order_by(Post.nav_order.is_(None), Post.nav_order, Post.title, Post.id)
    )
    return render_template("desk/posts/pages.html", page=db.paginate(query, per_page=50))


@bp.route("/pages/new", methods=["GET", "POST"])
def new_page():
    return edit_post(None, PAGE)
