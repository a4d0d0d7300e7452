"""Private previews of drafts at /preview/<token>, for whoever holds the author's link."""

from __future__ import annotations

from flask import abort, redirect, render_template
from flask_babel import lazy_gettext as _l

from ...kernel.database import commit_after_response
from ...kernel.settings import site_settings
from ...posts import post_url, refresh_rendering
from ...previews import post_for_token
from . import bp

LINK_GONE = _l("This preview link has expired or was revoked. Ask the author for a new one.")


@bp.get("/preview/<token>")
def preview(token: str):
    """The draft the link opens, until it expires or is revoked; once published, its address."""
    post = post_for_token(token)
    if post is None:
        abort(404, description=LINK_GONE)
    if post.is_public:
        return redirect(post_url(post))
    if refresh_rendering([post], site_settings().language):
        commit_after_response()
    page = render_template("public/previews/preview.html", post=post)
    # The secret address must not travel in a Referer header or stay in a shared cache.
    return page, {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
