"""Public reading: home, posts, tags, archives, feeds, sitemap, images, draft previews."""

from . import media, preview
from .views import bp

__all__ = ["bp", "media", "preview"]
