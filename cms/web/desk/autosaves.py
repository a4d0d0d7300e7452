"""The autosave the editor's script calls while the author types, and discarding it."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user

from ...autosaves import forget_autosave, store_autosave
from ...clock import utcnow
from ...extensions import db
from ...kernel.http import record_id
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
    post = None
    if payload.get("post_id") is not None:
        sent = payload["post_id"]
        post_id = record_id(sent) if isinstance(sent, int) else None  # a JSON number, not "1"
        if post_id is None:
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
    sent = request.form.get("post_id")
    post_id = record_id(sent)
    if sent and post_id is None:
        abort(404)
    kind = _kind(request.form.get("kind"))
    post = db.get_or_404(Post, post_id) if post_id is not None else None
    forget_autosave(current_user.id, post.id if post else None, post.kind if post else kind)
    db.session.commit()
    flash(_("The autosaved text was discarded."), "success")
    if post is not None:
        return redirect(url_for("editor.edit", post_id=post.id))
    return redirect(url_for("editor.new_page" if kind == PAGE else "editor.new"))
