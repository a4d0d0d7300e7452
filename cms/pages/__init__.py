"""Pages (About, Contact...) at /<slug>/, the one address shape that no other route may start with."""

from .views import bp

__all__ = ["bp"]
