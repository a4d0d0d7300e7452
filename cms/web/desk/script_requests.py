"""Requests from the editor's scripts: told apart from page loads, and answered in JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from ...extensions import csrf
from ...kernel.text import one_line, without_controls
from ...models import BODY_MAX, TITLE_MAX


def wants_json() -> bool:
    """Whether the request comes from the editor's scripts, which read JSON rather than pages.

    They send `X-Requested-With: fetch`; a client that asks for JSON alone counts too. Browsers
    loading a page or sending a form do neither, so they still get pages and redirects.
    """
    return (
        request.headers.get("X-Requested-With") == "fetch"
        or request.accept_mimetypes.best == "application/json"
    )


def session_expired():
    """The guard's answer to a script when nobody is logged in: 401 and what to tell the author."""
    response = jsonify(
        error="login",
        message=_(
            "Your session has expired: log in again. Your text is kept in this browser until then."
        ),
        login_url=url_for("auth.login"),
    )
    return response, 401


def checks_csrf_itself(view: Callable) -> Callable:
    """For views that scripts call: the app-wide CSRF check runs before the login guard and
    answers with a page, so these views are exempt from it and check the token themselves,
    after the guard. The token comes in the X-CSRFToken header (scripts) or the form (pages);
    a missing or stale one is refused with 400, in JSON for scripts."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
            try:
                validate_csrf(token)
            except ValidationError as error:
                if wants_json():
                    message = _("This page has expired: reload it to go on (your text is kept).")
                    return jsonify(error="csrf", message=message), 400
                raise CSRFError(error.args[0]) from error
        return view(*args, **kwargs)

    csrf.exempt(checked)
    return checked


def json_text() -> tuple[dict, str, str]:
    """The JSON object a script sent, with its title and body (400 when it is not one)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    title, body = payload.get("title", ""), payload.get("body", "")
    if not isinstance(title, str) or not isinstance(body, str):
        abort(400)
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        abort(413)
    return payload, one_line(title), without_controls(body)
