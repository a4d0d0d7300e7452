"""Whether a post accepts comments: its own flag, its age and the site-wide switch."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _

from ..clock import utcnow
from ..kernel.settings import site_settings
from ..models import Post


def comments_are_open(post: Post) -> bool:
    """True when the post is public, allows comments, is younger than the site's closing age
    (0 days = never closes) and the site-wide switch is on. The one rule the page and the POST
    handler both ask."""
    settings = site_settings()
    if not (post.is_public and post.allow_comments and settings.comments_open):
        return False
    days = settings.close_comments_after_days
    return not (days > 0 and post.published_at < utcnow() - timedelta(days=days))


def closed_notice() -> str:
    """The author's own closing sentence, or the default one in the site's language."""
    return site_settings().closed_notice.strip() or _("Comments are closed.")
