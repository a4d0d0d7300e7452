"""The autosave the editor's script calls while the author types, and discarding it."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user

from ...autosaves import forget_autosave, store_autosave
from ...clock import utcnow
from ...extensions import db
from ...models import PAGE, POST, Post
from . import bp
from .forms import ConfirmForm
from .script_requests import checks_csrf_itself, json_text


def _kind(value: object) -> str:
    return PAGE if value == PAGE else POST


@bp.post("/autosave")
@checks_csrf_itself
def autosave():
    """Keep the typed title and body apart from the post; the post itself never changes here."""
    payload, title, body = json_text()
    post_id = payload.get("post_id")
    post = None
    if post_id is not None:
        if not isinstance(post_id, int):
            abort(400)
        post = db.get_or_404(Post, post_id)
    kind = post.kind if post else _kind(payload.get("kind"))
    kept = store_autosave(current_user.id, post, kind, title, body)
    db.session.commit()
    if kept:
        message = _("Autosaved at %(time)s.", time=format_time(utcnow(), "short"))
    else:
        message = _("No changes since the last save.")
    return jsonify(saved=kept, message=message)


@bp.post("/autosave/discard")
def discard_autosave():
    """Delete the autosave the editor offered, then show the editor with the saved text."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    post_id = request.form.get("post_id", type=int)
    kind = _kind(request.form.get("kind"))
    post = db.get_or_404(Post, post_id) if post_id is not None else None
    forget_autosave(current_user.id, post.id if post else None, post.kind if post else kind)
    db.session.commit()
    flash(_("The autosaved text was discarded."), "success")
    if post is not None:
        return redirect(url_for("editor.edit", post_id=post.id))
    return redirect(url_for("editor.new_page" if kind == PAGE else "editor.new"))
