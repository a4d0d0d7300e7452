"""Comment moderation on the author's desk: the queue, approve, spam, edit, delete, bulk actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ...comments import moderation, spam
from ...comments.thread import refresh_rendering
from ...extensions import db
from ...kernel.database import commit_after_response
from ...kernel.http import record_id, requested_page, safe_next
from ...kernel.settings import site_settings
from ...models import APPROVED, PENDING, SPAM, Comment
from ..forms import CommentEditForm
from . import bp
from .forms import ConfirmForm

# One bulk action touches at most this many comments (a page of the queue holds 50).
BULK_MAX = 500


def back_to_queue() -> str:
    """Where an action returns: the queue as it was filtered (a path on this site only)."""
    return safe_next(request.form.get("next")) or url_for("editor.comments")


@bp.get("/comments")
def comments():
    status = request.args.get("status", PENDING)
    if status not in moderation.STATUSES:
        abort(404)
    post_id = record_id(request.args.get("post", ""))
    page = db.paginate(moderation.queue(status, post_id), page=requested_page(), per_page=50)
    if refresh_rendering(page.items, site_settings().language):
        commit_after_response()
    counts = moderation.status_counts()
    commented_posts = moderation.commented_posts()
    refusals = spam.recent_refusals()
    return render_template(
        "desk/comments/queue.html",
        page=page,
        status=status,
        post_id=post_id,
        counts=counts,
        commented_posts=commented_posts,
        refusals=refusals,
        form=ConfirmForm(),
    )


@bp.post("/comments/<int:comment_id>/approve")
def approve_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    if ConfirmForm().validate_on_submit():
        moderation.set_status([comment], APPROVED, site_settings().language)
        db.session.commit()
        flash(_("Comment by %(name)s approved.", name=comment.author_name), "success")
    return redirect(back_to_queue())


@bp.post("/comments/<int:comment_id>/spam")
def spam_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    if ConfirmForm().validate_on_submit():
        moderation.set_status([comment], SPAM, site_settings().language)
        db.session.commit()
        flash(_("Comment by %(name)s marked as spam.", name=comment.author_name), "success")
    return redirect(back_to_queue())


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
def delete_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = comment.author_name
        moderation.delete_comments([comment], site_settings().language)
        db.session.commit()
        flash(_("Comment by %(name)s deleted.", name=name), "success")
        return redirect(back_to_queue())
    return render_template(
        "desk/comments/delete.html",
        comments=[comment],
        form=form,
        action=url_for("editor.delete_comment", comment_id=comment.id),
        next=safe_next(request.args.get("next")) or url_for("editor.comments"),
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    form = CommentEditForm(
        data={
            "name": comment.author_name,
            "email": comment.author_email,
            "website": comment.author_website,
            "body": comment.body,
        }
    )
    if form.validate_on_submit():
        moderation.edit_comment(
            comment,
            name=form.name.data,
            email=form.email.data,
            website=form.website.data,
            body=form.body.data,
            language=site_settings().language,
        )
        db.session.commit()
        flash(_("Comment by %(name)s saved.", name=comment.author_name), "success")
        return redirect(back_to_queue())
    return render_template(
        "desk/comments/edit.html",
        comment=comment,
        form=form,
        next=safe_next(request.values.get("next")) or url_for("editor.comments"),
    )


@bp.post("/comments/bulk")
def bulk_comments():
    """One action on the comments ticked in the queue; deleting asks for a confirmation first."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [i for i in map(record_id, request.form.getlist("ids")[:BULK_MAX]) if i is not None]
    action = request.form.get("action", "")
    selected = list(db.session.scalars(select(Comment).where(Comment.id.in_(ids))))
    if not selected:
        flash(_("Tick at least one comment first."), "error")
        return redirect(back_to_queue())
    count = len(selected)
    if action == "approve":
        moderation.set_status(selected, APPROVED, site_settings().language)
        message = ngettext("%(num)d comment approved.", "%(num)d comments approved.", count)
    elif action == "spam":
        moderation.set_status(selected, SPAM, site_settings().language)
        message = ngettext(
            "%(num)d comment marked as spam.", "%(num)d comments marked as spam.", count
        )
    elif action == "delete" and request.form.get("confirmed"):
        moderation.delete_comments(selected, site_settings().language)
        message = ngettext("%(num)d comment deleted.", "%(num)d comments deleted.", count)
    elif action == "delete":
        if refresh_rendering(selected, site_settings().language):
            commit_after_response()
        return render_template(
            "desk/comments/delete.html",
            comments=selected,
            form=form,
            action=url_for("editor.bulk_comments"),
            next=back_to_queue(),
            bulk=True,
        )
    else:
        flash(_("Choose an action for the ticked comments."), "error")
        return redirect(back_to_queue())
    db.session.commit()
    flash(message, "success")
    return redirect(back_to_queue())
