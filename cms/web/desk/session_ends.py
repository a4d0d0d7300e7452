"""The post form when the author's session ends under it.

Her Save then reaches a desk that no longer knows her. The login page would drop the text, and
the app-wide CSRF check would call it a forged form; instead she gets a login page that says the
session ended, shows her text and carries it through the login (auth keeps it as her autosave,
and the editor opens with it in the form). For that, the post form's views are exempt from the
app-wide check, which runs before the login guard, and check their token themselves after it:
a stale token (she logged in again elsewhere) shows the form again with her text."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from ...extensions import csrf
from ...kernel.http import origin_is_foreign
from ...models import POST
from ..auth.forms import LoginForm
from .script_requests import wants_json

# The views of the post form, by endpoint: the kind of a new post each one makes.
_POST_FORMS: dict[str, str] = {}


def keeps_text(kind: str = POST) -> Callable:
    """Mark a view of the post form (a new post of `kind`, or an edit): see the module."""

    def mark(view: Callable) -> Callable:
        csrf.exempt(view)
        _POST_FORMS[f"editor.{view.__name__}"] = kind
        return view

    return mark


def token_is_valid() -> bool:
    """Whether the post form came with a valid CSRF token (always, with CSRF off). A form sent
    from another site is refused as the app refuses any (CSRFError)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        csrf.protect()
    except CSRFError:
        if origin_is_foreign():
            raise
        return False
    return True


def lost_session_page():
    """The login guard's answer to a post form sent with text by nobody logged in: 401 and the
    login page carrying the text, back to this form. None for any other request."""
    kind = _POST_FORMS.get(request.endpoint or "")
    if kind is None or request.method != "POST" or wants_json():
        return None
    title, body = request.form.get("title", ""), request.form.get("body", "")
    if not (title.strip() or body.strip()):
        return None  # nothing to keep: the login page as for any other page
    if origin_is_foreign():
        raise CSRFError("The form was sent from another site.")
    post_id = (request.view_args or {}).get("post_id")
    back = {"restore": "autosave"}
    if post_id is None and (form_key := request.form.get("form_key")):
        back["form"] = form_key  # the same form again: Back, then Save, still makes one post
    form = LoginForm(
        formdata=None,
        next=url_for(request.endpoint, **(request.view_args or {}), **back),
        kept_title=title,
        kept_body=body,
        kept_post="" if post_id is None else str(post_id),
        kept_kind=kind,
    )
    return render_template("auth/login.html", form=form), 401
