"""The live preview the editor's script asks for while the author types."""

from __future__ import annotations

from flask import jsonify
from flask_babel import ngettext

from ... import markup
from ...kernel.settings import site_settings
from ...models import reading_minutes
from ..templating import typeset
from . import bp
from .script_requests import checks_csrf_itself, json_text


@bp.post("/preview")
@checks_csrf_itself
def live_preview():
    """The body rendered exactly as the public page renders it, with its word count, and the
    title as the site shows it (plain text: the script sets it as text)."""
    _payload, title, body = json_text()
    rendered = markup.render_post(body, site_settings().language)
    words = markup.word_count(body)
    minutes = reading_minutes(words)
    return jsonify(
        title=typeset(title),
        html=rendered.body_html,
        words=words,
        words_label=ngettext("%(num)d word", "%(num)d words", words),
        reading_label=ngettext("%(num)d minute read", "%(num)d minutes read", minutes),
    )
