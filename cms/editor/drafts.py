"""While the author types: the live preview and the autosave the editor's script calls."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from .. import markup
from ..autosaves import forget_autosave, store_autosave
from ..clock import utcnow
from ..extensions import db
from ..kernel.settings import site_settings
from ..kernel.text import normalize_newlines
from ..models import PAGE, POST, Post, reading_minutes
from .fetch import checks_csrf_itself
from .forms import ConfirmForm
from .views import bp

TITLE_MAX, BODY_MAX = 200, 1_000_000


def _json_text() -> tuple[dict, str, str]:
    """The JSON object a script sent, with its title and body (400 when it is not one)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    title, body = payload.get("title", ""), payload.get("body", "")
    if not isinstance(title, str) or not isinstance(body, str):
        abort(400)
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        abort(413)
    return payload, title, normalize_newlines(body)


def _kind(value: object) -> str:
    return PAGE if value == PAGE else POST


@bp.post("/preview")
@checks_csrf_itself
def live_preview():
    """The body rendered exactly as the public page renders it, with its word count."""
    _payload, _title, body = _json_text()
    rendered = markup.render_post(body, site_settings().language)
    words = markup.word_count(body)
    minutes = reading_minutes(words)
    return jsonify(
        html=rendered.body_html,
        words=words,
        words_label=ngettext("%(num)d word", "%(num)d words", words),
        reading_label=ngettext("%(num)d minute read", "%(num)d minutes read", minutes),
    )


@bp.post("/autosave")
@checks_csrf_itself
def autosave():
    """Keep the typed title and body apart from the post; the post itself never changes here."""
    payload, title, body = _json_text()
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
