"""What a WordPress export (WXR) holds, as plain frozen records: the parser's output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class WXRError(ValueError):
    """A file that cannot be imported.

    str(err) is a one-line message meant for the user; XML errors name the line and the
    (1-based) column.
    """


@dataclass(frozen=True, slots=True)
class WXRAuthor:
    """A wp:author of the export; display_name is plain text (HTML entities decoded)."""

    login: str
    email: str
    display_name: str


@dataclass(frozen=True, slots=True)
class WXRComment:
    """A comment, pingback or trackback on an imported item.

    author is plain text (WordPress keeps entities such as &laquo; in pingback names; they are
    decoded). body is the comment HTML as WordPress stored it, minus surrounding whitespace.
    status maps wp:comment_approved 1 -> approved, 0 -> pending, spam, trash (and post-trashed)
    -> trash, anything else -> pending. Comment types other than comment, pingback and trackback
    (WooCommerce order notes, for instance) are listed in WXRExport.skipped instead.
    """

    wp_id: int
    parent_wp_id: int | None  # None for a top-level comment (WordPress writes 0)
    author: str
    email: str
    url: str
    ip: str
    date_gmt: datetime  # naive UTC: comment_date_gmt, or comment_date when the gmt one is unset
    body: str
    status: str  # "approved" | "pending" | "spam" | "trash"
    kind: str  # "comment" | "pingback" | "trackback"


@dataclass(frozen=True, slots=True)
class WXRItem:
    """A post or page, with its comments in document order.

    title and content_html/excerpt_html are HTML as WordPress stored them, minus surrounding
    whitespace: titles may hold inline tags and entities; content keeps <!--more--> and still
    needs strip_shortcodes() and, unless has_blocks(), wpautop() to look as it did on the old
    site. slug is wp:post_name as stored: "" for unsaved drafts, percent-encoded when it is not
    ASCII.

    status maps wp:status publish -> published, future -> scheduled, and every other status
    (draft, pending, private, auto-draft, anything unknown) -> draft; trashed posts and pages
    are listed in WXRExport.skipped instead. When a draft has no GMT date yet, date_gmt is its
    post_date, which is the site's local time: WordPress records nothing better.

    tags holds the item's category and post_tag names as plain text, in document order, without
    post formats; a name that repeats (ignoring case, e.g. category "Travel" and tag "travel")
    keeps its first spelling. "Uncategorized" is kept: whether it means anything is the
    importer's decision, not the parser's.
    """

    wp_id: int
    kind: str  # "post" | "page"
    title: str
    slug: str
    link: str  # the old permalink
    author_login: str  # dc:creator
    content_html: str
    excerpt_html: str
    date_gmt: datetime | None  # naive UTC; post_date when post_date_gmt is unset; None if neither
    status: str  # "published" | "draft" | "scheduled"
    original_status: str  # WordPress's own wp:status
    comments_open: bool
    tags: tuple[str, ...]
    menu_order: int
    comments: tuple[WXRComment, ...]


@dataclass(frozen=True, slots=True)
class WXRExport:
    """Everything the importer needs from one export file.

    skipped lists what was left out as (description, reason) pairs, in document order:
    attachments, navigation menu items, other post types, trashed posts and pages, and comments
    of types other than comment/pingback/trackback.
    """

    site_title: str
    site_url: str  # wp:base_blog_url, else the channel's <link>
    language: str  # as exported, e.g. "en-US" or "en"
    authors: tuple[WXRAuthor, ...]
    items: tuple[WXRItem, ...]
    skipped: tuple[tuple[str, str], ...]
