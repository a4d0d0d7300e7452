"""The author's desk: dashboard, post editor, drafts, revisions, pages, media, moderation, settings."""

from . import drafts, history, media, moderation, pages, sharing
from .views import bp

__all__ = ["bp", "drafts", "history", "media", "moderation", "pages", "sharing"]
