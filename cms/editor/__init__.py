"""The author's desk: dashboard, post editor, settings."""

from .views import bp

__all__ = ["bp"]
