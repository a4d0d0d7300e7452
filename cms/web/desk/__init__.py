"""The author's desk: posts and pages, the editor's live preview and autosave, revisions, media,
preview links, comment moderation, settings, her account. Blueprint `editor` at /editor/; HTTP
only, it calls the features and never imports the public site. Every route is behind login,
enforced once here."""

from flask import Blueprint
from flask_login import current_user

from ...authors import byline
from ...comments import moderation
from ...extensions import login_manager
from .script_requests import session_expired, wants_json
from .session_ends import lost_session_page

bp = Blueprint("editor", __name__)


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        # The editor's scripts get a 401 they can explain, not a redirect to a login page; a
        # Save with text gets a login page that keeps it.
        if wants_json():
            return session_expired()
        return lost_session_page() or login_manager.unauthorized()
    return None


@bp.context_processor
def moderation_badge() -> dict:
    """The pending count every editor page shows in its navigation."""
    return {"pending_comment_count": moderation.pending_count()}


@bp.context_processor
def byline_notice() -> dict:
    """Whether every editor page invites her to choose the name readers see (an error page
    answering an anonymous visitor at an editor address has no author to ask)."""
    return {"needs_byline": current_user.is_authenticated and not byline(current_user)}


from . import (  # noqa: E402, F401 -- they attach their routes to bp
    account,
    autosaves,
    comments,
    live_preview,
    media,
    pages,
    posts,
    previews,
    revisions,
    settings,
)

__all__ = ["bp"]
