"""Public reading: home, posts, tags, archives, feeds, sitemap."""

from .views import bp

__all__ = ["bp"]
