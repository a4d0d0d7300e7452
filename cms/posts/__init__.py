"""Posts and pages: which a visitor sees, their addresses, rendering, tags and saving. No HTTP;
imports the plumbing, markup, and the revisions and autosaves it keeps in step."""

from .queries import (
    desk_pages,
    desk_posts,
    is_reserved_page_slug,
    nav_pages,
    post_url,
    published_pages,
    published_posts,
    visible_tags,
)
from .rendering import refresh_rendering, render, render_key, render_posts_showing
from .saving import (
    FIRST_VERSION,
    PostChanges,
    form_key_or_none,
    new_form_key,
    post_made_by_form,
    publishes_empty,
    restore_revision,
    save_post,
)
from .slugs import unique_slug
from .tags import parse_tag_names, tag_name, tags_named

__all__ = [
    "FIRST_VERSION",
    "PostChanges",
    "desk_pages",
    "desk_posts",
    "form_key_or_none",
    "is_reserved_page_slug",
    "nav_pages",
    "new_form_key",
    "parse_tag_names",
    "post_made_by_form",
    "post_url",
    "published_pages",
    "published_posts",
    "publishes_empty",
    "refresh_rendering",
    "render",
    "render_key",
    "render_posts_showing",
    "restore_revision",
    "save_post",
    "tag_name",
    "tags_named",
    "unique_slug",
    "visible_tags",
]
