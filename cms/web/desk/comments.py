"""Comment moderation on the author's desk: the queue, approve, spam, edit, delete, bulk actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ...comments import spam
from ...comments.thread import refresh_rendering, rerender, resolve_mentions_again
from ...extensions import db
from ...kernel.http import record_id, safe_next
from ...kernel.settings import site_settings
from ...models import APPROVED, PENDING, SPAM, Comment, Post, body_fingerprint
from ..forms import CommentEditForm
from . import bp
from .forms import ConfirmForm

STATUSES = (PENDING, APPROVED, SPAM)
# One bulk action touches at most this many comments (a page of the queue holds 50).
BULK_MAX = 500


def back_to_queue() -> str:
    """Where an action returns: the queue as it was filtered (a path on this site only)."""
    return safe_next(request.form.get("next")) or url_for("editor.comments")


def queue_query(status: str, post_id: int | None) -> Select:
    query = (
        select(Comment)
        .where(Comment.status == status)
        .options(
            joinedload(Comment.post).options(
                load_only(Post.id, Post.title, Post.slug),
                lazyload(Post.author),
                lazyload(Post.tags),
            )
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return query.where(Comment.post_id == post_id) if post_id else query


@bp.get("/comments")
def comments():
    status = request.args.get("status", PENDING)
    if status not in STATUSES:
        abort(404)
    post_id = record_id(request.args.get("post", ""))
    page = db.paginate(queue_query(status, post_id), per_page=50)
    refresh_rendering(page.items, site_settings().language)
    counts = dict(
        db.session.execute(
            select(Comment.status, func.count(Comment.id)).group_by(Comment.status)
        ).all()
    )
    commented_posts = db.session.execute(
        select(Post.id, Post.title).where(Post.comments.any()).order_by(Post.title)
    ).all()
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


def set_status(comments: list[Comment], status: str) -> None:
    """Move comments to a status; @Name links on their posts follow (they name approved
    comments only)."""
    for comment in comments:
        comment.status = status
    resolve_mentions_again({c.post_id for c in comments}, site_settings().language)


@bp.post("/comments/<int:comment_id>/approve")
def approve_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    if ConfirmForm().validate_on_submit():
        set_status([comment], APPROVED)
        db.session.commit()
        flash(_("Comment by %(name)s approved.", name=comment.author_name), "success")
    return redirect(back_to_queue())


@bp.post("/comments/<int:comment_id>/spam")
def spam_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    if ConfirmForm().validate_on_submit():
        set_status([comment], SPAM)
        db.session.commit()
        flash(_("Comment by %(name)s marked as spam.", name=comment.author_name), "success")
    return redirect(back_to_queue())


def delete_comments(comments: list[Comment]) -> None:
    """Delete comments; replies to them lose their parent (the database sees to it) and @Name
    links on their posts are resolved again."""
    post_ids = {comment.post_id for comment in comments}
    db.session.execute(delete(Comment).where(Comment.id.in_([c.id for c in comments])))
    db.session.expire_all()
    resolve_mentions_again(post_ids, site_settings().language)


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
def delete_comment(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = comment.author_name
        delete_comments([comment])
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
        comment.author_name = form.name.data
        comment.author_email = form.email.data
        comment.author_website = form.website.data
        comment.body = form.body.data
        comment.fingerprint = body_fingerprint(comment.body)
        language = site_settings().language
        rerender([comment], language)
        # A new name may change which comment a later "@Name" names.
        resolve_mentions_again([comment.post_id], language)
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
        set_status(selected, APPROVED)
        message = ngettext("%(num)d comment approved.", "%(num)d comments approved.", count)
    elif action == "spam":
        set_status(selected, SPAM)
        message = ngettext(
            "%(num)d comment marked as spam.", "%(num)d comments marked as spam.", count
        )
    elif action == "delete" and request.form.get("confirmed"):
        delete_comments(selected)
        message = ngettext("%(num)d comment deleted.", "%(num)d comments deleted.", count)
    elif action == "delete":
        refresh_rendering(selected, site_settings().language)
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
