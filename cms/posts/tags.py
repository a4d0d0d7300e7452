"""Tags: names typed by the author or imported, matched by slug, created when missing."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..kernel.text import one_line, slugify
from ..models import Tag

NAME_MAX = 80  # the tags.name column


def tag_name(raw: str) -> str:
    """A tag name as stored: one line, within the column's length (typed or imported)."""
    return one_line(raw)[:NAME_MAX]


def parse_tag_names(text: str) -> list[str]:
    """'Web, web , Écriture,' -> ['Web', 'Écriture']: trimmed, deduplicated by slug, order kept."""
    names: dict[str, str] = {}
    for raw in text.split(","):
        name = tag_name(raw)
        slug = slugify(name)
        if slug and slug not in names:
            names[slug] = name
    return list(names.values())


def tags_named(names: list[str]) -> list[Tag]:
    """The tags with these names, in their order, created when missing (matched by slug; a new
    one is added to the session without an id until it is flushed)."""
    wanted: dict[str, str] = {}
    for name in names:
        if slug := slugify(name):
            wanted.setdefault(slug, tag_name(name))  # the first spelling of a slug wins
    existing = {
        tag.slug: tag for tag in db.session.scalars(select(Tag).where(Tag.slug.in_(wanted)))
    }
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags
