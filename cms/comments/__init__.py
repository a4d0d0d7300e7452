"""Readers' comments: the public form, its spam defences, the numbered thread, the feeds."""

from .views import bp

__all__ = ["bp"]
