"""The public side of comments: posting through the spam defences, permalinks, feeds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ...comments import spam, tokens
from ...comments.posting import (
    Refusal,
    already_posted,
    first_refusal,
    form_already_used,
    new_comment,
    over_the_limit,
)
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
from ...kernel.errors import RETRY_AFTER_SECONDS, cannot_write_now
from ...kernel.http import origin_is_foreign
from ...kernel.settings import site_settings
from ...models import APPROVED, Comment, Post, body_fingerprint
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
    try:
        return _post(post, form)
    except OperationalError as error:
        if not cannot_write_now(error):
            raise
        # Nothing was stored (the transaction rolled back): the form comes back as typed.
        db.session.rollback()
        current_app.logger.error("comment not saved: %s", error.orig)
        page, status = render_post_page(post, form, status=503, error=str(UNSAVED_MESSAGE))
        return page, status, {"Retry-After": RETRY_AFTER_SECONDS}


UNSAVED_MESSAGE = _l(
    "Your comment could not be saved: the site cannot store anything right now. Your text is "
    "kept below: please send it again in a few minutes."
)


def _post(post: Post, form: CommentForm):
    """Every step of posting a comment, from the spam defences to the redirect."""
    if origin_is_foreign():
        spam.count_attempt()
        origin = spam.reason(spam.FOREIGN_ORIGIN, request.headers["Origin"])
        spam.record_refusal(post, form.name.data or "", origin)
        db.session.commit()
        abort(403, description=_("Comments can only be sent from this site’s own pages."))
    if not comments_are_open(post):
        return render_post_page(post, status=403, unsent=form.body.data)

    refusal = first_refusal(post, form.token.data, form.subject.data)
    if refusal is not None:
        return _refuse(post, form, refusal)
    if not form.validate():
        spam.count_refusal(signed=True)
        db.session.commit()
        return render_post_page(post, form)
    form_key = spam.sender_form_key(form.token.data)
    earlier = spam.sent_before(post.id, form_key, form.body.data)
    if earlier is not None:
        return _sent_before(post, form, earlier, form_key)

    # Rendered and judged before the write lock, which count_attempt takes.
    comment = new_comment(
        post,
        name=form.name.data,
        email=form.email.data,
        website=form.website.data,
        body=form.body.data,
        parent_id=form.parent_id_value(),
        ip=request.remote_addr or "",
        form_key=form_key,
        author_id=current_user.id if current_user.is_authenticated else None,
        language=site_settings().language,
    )
    if not spam.count_attempt():
        return _refuse(post, form, over_the_limit(), counted=True)
    db.session.add(comment)
    try:
        db.session.flush()
    except IntegrityError:
        # The same form or the same words, sent at the same time, landed first.
        db.session.rollback()
        earlier = spam.sent_before(post.id, form_key, form.body.data)
        if earlier is None:
            raise
        return _sent_before(post, form, earlier, form_key)
    spam.log_decision(comment.status, comment.reason, post, comment.author_name)
    # Detached, the comment keeps its values through the commit (which expires what the session
    # holds), so the answer is built without loading it again; its page is counted after the
    # commit, outside the write lock.
    db.session.expunge(comment)
    slug = post.slug
    db.session.commit()
    return _accepted(comment, slug, form)


def _refuse(post: Post, form: CommentForm, refusal: Refusal, *, counted: bool = False):
    """The post page again with the visitor's text and what went wrong; the attempt counts
    towards the visitor's limit and leaves a trace for the author, once: the same form sent
    again (the answer reloaded) gets the same answer, neither counted nor traced again."""
    new = counted or spam.count_refusal(signed=refusal.reason != spam.BAD_TOKEN)
    if new:
        spam.record_refusal(post, form.name.data or "", refusal.reason)
    db.session.commit()
    if refusal.fresh_token:
        form.token.data = tokens.issue(post.id)
    if refusal.reason == spam.DUPLICATE:
        form.body.errors.append(refusal.message)
        return render_post_page(post, form, status=refusal.status)
    return render_post_page(post, form, status=refusal.status, error=refusal.message)


def _sent_before(post: Post, form: CommentForm, earlier: Comment, form_key: str):
    """A second sending of the same form with the same words (a double click, a retry) gets the
    first one's answer; other words on a used form, or words already posted, are refused."""
    if earlier.form_key == form_key and earlier.fingerprint == body_fingerprint(form.body.data):
        return _accepted(earlier, post.slug, form)
    refusal = form_already_used() if earlier.form_key == form_key else already_posted()
    return _refuse(post, form, refusal)


def _accepted(comment: Comment, slug: str, form: CommentForm):
    """The redirect to the stored comment, remembered as the visitor's own."""
    location = comment_url(comment, slug)
    add_own_comment(comment.id)
    if comment.status == APPROVED:
        flash(_("Your comment is published."), "success")
    else:
        flash(_("Your comment is awaiting moderation."), "success")
    response = redirect(location)
    if form.remember.data:
        remember_details(
            response, comment.author_name, comment.author_email, comment.author_website
        )
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
