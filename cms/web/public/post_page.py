"""The post page with its conversation: numbered comments, then the form or the closed notice."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from ...authors import byline
from ...comments import tokens
from ...comments.rules import closed_notice, comments_are_open
from ...comments.thread import load_thread, number_of, refresh_rendering, reply_target
from ...kernel.database import commit_after_response
from ...kernel.http import record_id, requested_page
from ...kernel.settings import site_settings
from ...models import Post
from ..forms import CommentForm
from .commenter import own_comment_ids, remembered_details


def blank_form(post: Post) -> CommentForm:
    """The form a GET serves: freshly signed, filled with the remembered details (a logged-in
    author's own), and set to answer ?replyto=<id> with "@Name " when asked."""
    if current_user.is_authenticated:
        form = CommentForm(data={"name": byline(current_user), "email": current_user.email})
    else:
        details = remembered_details()
        form = CommentForm(data=details | {"remember": bool(details)})
    form.token.data = tokens.issue(post.id)
    parent = reply_target(post, record_id(request.args.get("replyto", "")))
    if parent is not None:
        form.parent_id.data = str(parent.id)
        form.body.data = f"@{parent.author_name} "
    return form


def render_post_page(
    post: Post,
    form: CommentForm | None = None,
    *,
    status: int = 200,
    error: str | None = None,
    unsent: str | None = None,
):
    """The post page. A GET shows ?page=N of the comments and a blank form; a refused POST
    passes its form back (shown on the last page, the visitor's text kept) with an error, or,
    when comments have closed, the text that was not sent."""
    is_open = comments_are_open(post)
    page = requested_page() if request.method == "GET" else None
    thread = load_thread(post, page, own_comment_ids())
    if refresh_rendering([*thread.page.items, *thread.own_pending], site_settings().language):
        commit_after_response()
    replying_to = None
    if is_open:
        form = form or blank_form(post)
        parent = reply_target(post, form.parent_id_value())
        if parent is not None:
            replying_to = (number_of(parent), parent)
    context = {
        "thread": thread,
        "comments_open": is_open,
        "comments_notice": None if is_open else closed_notice(),
        "comment_form": form if is_open else None,
        "comment_error": error,
        "replying_to": replying_to,
        "unsent_comment": unsent,
    }
    return render_template("public/posts/post.html", post=post, **context), status
