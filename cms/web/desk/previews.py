"""Private preview links: the author creates one for a draft to send a proofreader, or revokes it."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import Post
from ...previews import create_link, revoke_link
from . import bp
from .forms import ConfirmForm


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/posts/<int:post_id>/preview-link")
def create_preview_link(post_id: int):
    """A new link; any link given out before stops working."""
    post = db.get_or_404(Post, post_id)
    _confirmed()
    create_link(post)
    db.session.commit()
    flash(
        _("A new private preview link was created: anyone who has it can read the draft."),
        "success",
    )
    return redirect(url_for("editor.edit", post_id=post.id, _anchor="preview-link"))


@bp.post("/posts/<int:post_id>/preview-link/revoke")
def revoke_preview_link(post_id: int):
    post = db.get_or_404(Post, post_id)
    _confirmed()
    revoke_link(post)
    db.session.commit()
    flash(_("The private preview link was revoked: it no longer works."), "success")
    return redirect(url_for("editor.edit", post_id=post.id, _anchor="preview-link"))
