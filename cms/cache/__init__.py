"""The page cache: anonymous public pages kept as bytes, valid while the content version holds.

Owns the content version and its bump rule, the epochs and their ETags, the per-worker store, the
WSGI middleware and the headers that mark an answer public or personal. A feature: it imports the
root leaves (clock, extensions, models) and plumbing (cms.kernel), and no other feature;
what it needs from one, a fresh comment-form token, create_app passes to init_app. Inside, imports
point one way: content_version, epochs, entries, middleware, responses.
"""

from .middleware import PageCache
from .responses import count_once_per_epoch, init_app, keep_out_of_cache, page_cache

__all__ = ["PageCache", "count_once_per_epoch", "init_app", "keep_out_of_cache", "page_cache"]
