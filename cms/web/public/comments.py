"""The public side of comments: posting through the spam defences, permalinks, feeds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...comments import spam, tokens
from ...comments.posting import Refusal, first_refusal, new_comment
from ...comments.rules import comments_are_open
from ...comments.thread import (
    approved_comments,
    approved_count,
    comment_url,
    page_url,
    per_page,
    refresh_rendering,
)
from ...extensions import csrf, db
from ...kernel.database import commit_after_response
from ...kernel.http import origin_is_foreign
from ...kernel.settings import site_settings
from ...models import APPROVED, Comment
from ..forms import CommentForm
from .commenter import add_own_comment, forget_details, own_comment_ids, remember_details
from .loaders import visible_post_or_404
from .post_page import render_post_page

bp = Blueprint("comments", __name__)


# The session CSRF token would give every visitor a session cookie and make every post page
# uncacheable; the form's signed token (tokens.py) and the Origin check stand in for it.
@bp.post("/posts/<slug>/comments")
@csrf.exempt
def create(slug: str):
    post = visible_post_or_404(slug)
    form = CommentForm()
    name = form.name.data or ""
    if origin_is_foreign():
        spam.record_refusal(post, name, spam.reason(spam.FOREIGN_ORIGIN, request.headers["Origin"]))
        db.session.commit()
        abort(403, description=_("Comments can only be sent from this site’s own pages."))
    if not comments_are_open(post):
        return render_post_page(post, status=403, unsent=form.body.data)

    refusal = first_refusal(post, form.token.data, form.subject.data)
    if refusal is None and form.validate() and spam.is_duplicate(post.id, form.body.data):
        form.body.errors.append(_("This comment has already been posted on this post."))
        refusal = Refusal(spam.DUPLICATE, 200, "")
    if refusal is not None:
        spam.record_refusal(post, name, refusal.reason)
        db.session.commit()
        if refusal.fresh_token:
            form.token.data = tokens.issue(post.id)
        return render_post_page(post, form, status=refusal.status, error=refusal.message or None)
    if form.errors:
        db.session.commit()  # the attempt still counts towards the rate limit
        return render_post_page(post, form)

    comment = new_comment(
        post,
        name=form.name.data,
        email=form.email.data,
        website=form.website.data,
        body=form.body.data,
        parent_id=form.parent_id_value(),
        ip=request.remote_addr or "",
        by_author=current_user.is_authenticated,
        language=site_settings().language,
    )
    db.session.add(comment)
    db.session.flush()
    spam.log_decision(comment.status, comment.reason, post, comment.author_name)
    # Detached, the comment keeps its values through the commit (which expires what the session
    # holds), so the answer is built without loading it again; its page is counted after the
    # commit, outside the write lock.
    db.session.expunge(comment)
    slug = post.slug
    db.session.commit()
    location = comment_url(comment, slug)
    comment_id, approved = comment.id, comment.status == APPROVED
    author = (comment.author_name, comment.author_email, comment.author_website)
    add_own_comment(comment_id)
    if approved:
        flash(_("Your comment is published."), "success")
    else:
        flash(_("Your comment is awaiting moderation."), "success")
    response = redirect(location)
    if form.remember.data:
        remember_details(response, *author)
    else:
        forget_details(response)
    return response


@bp.get("/comments/<int:comment_id>")
def permalink(comment_id: int):
    """A lasting address for a comment: redirects to the page of the post that shows it."""
    comment = db.get_or_404(Comment, comment_id)
    post = visible_post_or_404(comment.post.slug)
    visible = (
        comment.status == APPROVED
        or comment.id in own_comment_ids()
        or current_user.is_authenticated
    )
    if not visible:
        abort(404)
    return redirect(comment_url(comment, post.slug))


@bp.get("/posts/<slug>/comments.xml")
def feed(slug: str):
    """The post's latest approved comments as an Atom feed (names and text, never e-mails)."""
    post = visible_post_or_404(slug)
    total = approved_count(post.id)
    newest_first = (
        approved_comments(post.id)
        .order_by(None)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    comments = db.session.scalars(newest_first.limit(current_app.config["FEED_SIZE"])).all()
    if refresh_rendering(comments, site_settings().language):
        commit_after_response()
    entries = []
    for index, comment in enumerate(comments):
        number = total - index
        page = (number - 1) // per_page() + 1
        url = page_url(post.slug, page, _anchor=f"comment-{comment.id}", _external=True)
        entries.append((number, comment, url))
    xml = render_template("public/comments/feed.xml", post=post, entries=entries)
    return Response(xml, mimetype="application/atom+xml")
