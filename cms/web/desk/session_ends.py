"""The post form when the author's session ends under it.

Her Save then reaches a desk that no longer knows her. The login page would drop the text, and
the app-wide CSRF check would call it a forged form; instead she gets a login page that says the
session ended, shows her text and carries it through the login with the rest of the form (auth
keeps the text as her autosave and hands the other fields back in the session; the editor opens
with all of it in the form). For that, the post form's views are exempt from the app-wide check,
which runs before the login guard, and check their token themselves after it: a stale token
(she logged in again elsewhere) shows the form again with her text."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from ...extensions import csrf
from ...kernel.http import origin_is_foreign
from ...models import POST, Post
from ...posts import FIRST_VERSION, form_key_or_none, post_made_by_form
from ..auth import kept_fields_fit, take_kept_fields
from ..auth.forms import LoginForm
from .script_requests import wants_json

# The post form's fields carried through the login besides the text (the autosave keeps that;
# the form's key goes in the address). The version too: a save made elsewhere meanwhile is
# still shown before hers replaces it. A test keeps this in step with the form.
KEPT_FIELDS = ("slug", "tags", "nav_order", "status", "published_at", "allow_comments", "version")

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
    endpoint, args = request.endpoint, dict(request.view_args or {})
    back = {"restore": "autosave"}
    version = None
    form_key = form_key_or_none(request.form.get("form_key")) if post_id is None else None
    if (made := post_made_by_form(form_key)) is not None:
        # A new-post form that made its post already (Back, then Save) comes back as that
        # post's form, which saw its first version only: as the save would have gone on.
        post_id, version = made.id, FIRST_VERSION
        endpoint, args = "editor.edit", {"post_id": made.id}
    elif form_key is not None:
        back["form"] = form_key  # the same form again: Back, then Save, still makes one post
    form = LoginForm(
        formdata=None,
        next=url_for(endpoint, **args, **back),
        kept_title=title,
        kept_body=body,
        kept_post="" if post_id is None else str(post_id),
        kept_kind=kind,
        kept_fields=_pack(post_id, kind, version),
    )
    return render_template("auth/login.html", form=form), 401


def _pack(post_id: int | None, kind: str, version: int | None = None) -> str:
    """The other fields of the post form sent, as the login carries them: for this post (or this
    kind of new post), each as sent (a checkbox left unticked is absent, as in the form). Empty
    when they are too long to be handed back: the login page then promises the text only."""
    fields = {name: value for name in KEPT_FIELDS if (value := request.form.get(name)) is not None}
    if version is not None:
        fields["version"] = str(version)
    packed = json.dumps({"post": post_id, "kind": kind, "fields": fields}, ensure_ascii=False)
    return packed if kept_fields_fit(packed) else ""


def kept_fields(post: Post | None, kind: str) -> MultiDict | None:
    """The other fields of the post form whose save waited for the login, as form data, when
    this form is that one (the post, or a new post of that kind); None otherwise. Once only."""
    try:
        pack = json.loads(take_kept_fields() or "null")
    except ValueError:
        return None
    if not isinstance(pack, dict) or not isinstance(fields := pack.get("fields"), dict):
        return None
    if pack.get("post") != (post.id if post else None) or (
        post is None and pack.get("kind") != kind
    ):
        return None
    return MultiDict(
        {
            name: value
            for name, value in fields.items()
            if name in KEPT_FIELDS and isinstance(value, str)
        }
    )
