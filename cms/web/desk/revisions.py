"""A post's revisions: the list, a diff against the current text, and restoring one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import posts
from ...extensions import db
from ...kernel.http import requested_page
from ...kernel.i18n import localized_datetime
from ...kernel.settings import site_settings
from ...models import Post, Revision
from ...revisions import revisions_of, word_changes
from ...revisions.diff import line_diff
from ..templating import typeset
from . import bp
from .forms import ConfirmForm


def revision_or_404(post: Post, revision_id: int) -> Revision:
    revision = db.get_or_404(Revision, revision_id)
    if revision.post_id != post.id:
        abort(404)
    return revision


PER_PAGE = 50


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    """The post's revisions, newest first, each with the words it added or removed."""
    post = db.get_or_404(Post, post_id)
    page = db.paginate(revisions_of(post), page=requested_page(), per_page=PER_PAGE)
    # The one before this page's last: what that last one changed is counted against it.
    older = db.session.scalar(revisions_of(post).offset(page.page * PER_PAGE).limit(1))
    changes = word_changes(page.items, older)
    counts = {revision.id: count for revision, count in zip(page.items, changes, strict=True)}
    return render_template("desk/revisions/list.html", post=post, page=page, counts=counts)


@bp.get("/posts/<int:post_id>/revisions/<int:revision_id>")
def revision(post_id: int, revision_id: int):
    """What changed between the revision and the current text."""
    post = db.get_or_404(Post, post_id)
    revision = revision_or_404(post, revision_id)
    return render_template(
        "desk/revisions/compare.html",
        post=post,
        revision=revision,
        diff=line_diff(revision.body, post.body),
        form=ConfirmForm(),
    )


@bp.route("/posts/<int:post_id>/revisions/<int:revision_id>/restore", methods=["GET", "POST"])
def restore_revision(post_id: int, revision_id: int):
    """Make the revision's title and text the post's again (posts.restore_revision)."""
    post = db.get_or_404(Post, post_id)
    revision = revision_or_404(post, revision_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        posts.restore_revision(
            post, revision, author_id=current_user.id, language=site_settings().language
        )
        db.session.commit()
        when = localized_datetime(revision.created_at)
        flash(_("The revision of %(when)s is the current text again.", when=when), "success")
        return redirect(url_for("editor.edit", post_id=post.id))
    return render_template(
        "desk/confirm.html",
        form=form,
        heading=_(
            "Restore the revision of %(when)s?", when=localized_datetime(revision.created_at)
        ),
        message=_(
            "Its title, “%(title)s”, and its text replace the current ones, on the site too if "
            "the post is published. The current text stays in the revisions.",
            title=typeset(revision.title),
        ),
        action=url_for("editor.restore_revision", post_id=post.id, revision_id=revision.id),
        cancel=url_for("editor.revision", post_id=post.id, revision_id=revision.id),
        button=_("Restore"),
        danger=False,
    )
