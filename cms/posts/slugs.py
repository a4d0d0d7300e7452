"""A post's address: its slug, unique among posts and pages, and never one the site uses."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Post
from .queries import is_reserved_page_slug


def unique_slug(
    base: str, *, post_id: int | None = None, page: bool = False, taken: set[str] | None = None
) -> str:
    """`base`, or `base-2`, `base-3`... the first address no other post uses (nor, for a page,
    the site itself: /archive/, /editor/...). Given `taken` (the slugs already used, for a bulk
    import), it looks nothing up and adds the slug it returns to that set."""
    if taken is None:
        used = set(
            db.session.scalars(
                select(Post.slug).where(Post.slug.like(f"{base}%"), Post.id != post_id)
            )
        )
    else:
        used = taken
    slug, n = base, 1
    while slug in used or (page and is_reserved_page_slug(slug)):
        n += 1
        slug = f"{base}-{n}"
    if taken is not None:
        taken.add(slug)
    return slug
