"""The allow-lists of tags, attributes and URL schemes, and the nh3 cleaners that apply them."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

# Markdown and nh3 are imported by the functions that render (here and in markdown_converters): a
# worker that only serves pages (their HTML was rendered when saved) never loads them, which keeps
# it 4 MiB smaller.
if TYPE_CHECKING:
    import nh3


_POST_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
        "a", "abbr", "q", "cite", "blockquote", "code", "pre", "kbd", "samp", "var",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
        "img", "figure", "figcaption", "span", "div", "details", "summary",
    }
)  # fmt: skip

_POST_ATTRIBUTES: dict[str, set[str]] = {
    # An empty "*" entry matters: without it nh3 allows "lang" and "title" on every tag.
    "*": set(),
    "a": {"href", "title", "id", "class"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "li": {"id", "class"},
    "sup": {"id", "class"},
    "div": {"id", "class"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "ol": {"start", "reversed", "class"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "abbr": {"title"},
    "details": {"open"},
}

# Elements whose content is not text a reader should see once the element itself is gone.
_DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "iframe", "object", "noscript", "noembed", "noframes",
        "textarea", "title", "xmp", "select",
    }
)  # fmt: skip

_URL_SCHEMES = frozenset({"http", "https", "mailto"})

_COMMENT_TAGS = frozenset({"p", "br", "em", "strong", "code", "blockquote", "a", "pre"})
_COMMENT_LINK_REL = "nofollow ugc noopener noreferrer"

# Class values the pipeline produces: codehilite's wrapper, footnotes, the [TOC] block,
# Pygments token classes ("k", "nf", "c1", "g-Underline"...) and "language-xxx" on code.
_CLASS_RULES: dict[str, re.Pattern[str]] = {
    "div": re.compile(r"codehilite|footnote|toc"),
    "a": re.compile(r"footnote-ref|footnote-backref"),
    # Pygments names token types in at most three characters, then "-Subtype" for custom ones.
    "span": re.compile(r"hll|[a-z][a-z0-9]{0,2}(?:-[A-Z][A-Za-z0-9]*)*"),
    "code": re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}"),
}
_ID_RE = re.compile(r"[A-Za-z0-9_][\w:.-]{0,127}", re.ASCII)
_ATTRIBUTE_RULES: dict[str, re.Pattern[str]] = {
    "width": re.compile(r"\d{1,5}"),
    "height": re.compile(r"\d{1,5}"),
    "colspan": re.compile(r"\d{1,3}"),
    "rowspan": re.compile(r"\d{1,3}"),
    "start": re.compile(r"-?\d{1,9}"),
    "loading": re.compile(r"lazy|eager"),
    "align": re.compile(r"left|right|center|justify"),
    "scope": re.compile(r"row|col|rowgroup|colgroup"),
}


_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*):")


def _has_allowed_scheme(url: str) -> bool:
    """Whether url is relative or http(s)/mailto, even once spaces and invisible characters go.

    nh3 already checks the scheme the way a browser parses it; this stricter second look also
    refuses "java script:" or "java\u200bscript:", which some other parser might read as a scheme.
    """
    compact = "".join(
        ch for ch in url if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    )
    match = _SCHEME_RE.match(compact.lower())
    return match is None or match.group(1) in _URL_SCHEMES


def _filter_url(tag: str, name: str, value: str) -> str | None:
    """nh3 attribute filter for the comment allow-list; never raises."""
    if name in ("href", "src") and not _has_allowed_scheme(value):
        return None
    return value


def _filter_attribute(tag: str, name: str, value: str, *, keep_ids: bool) -> str | None:
    """Return the value to keep for an allowed attribute, or None to drop it; never raises."""
    if name in ("href", "src"):
        return _filter_url(tag, name, value)
    if name == "class":
        rule = _CLASS_RULES.get(tag)
        kept = [cls for cls in value.split() if rule is not None and rule.fullmatch(cls)]
        return " ".join(kept) or None
    if name == "id":
        return value if keep_ids and _ID_RE.fullmatch(value) else None
    rule = _ATTRIBUTE_RULES.get(name)
    if rule is not None:
        return value if rule.fullmatch(value.strip().lower()) else None
    return value


@functools.cache
def _post_cleaner(*, keep_ids: bool) -> nh3.Cleaner:
    """The post allow-list; excerpts use it without ids, since many of them share a page."""

    import nh3

    def attribute_filter(tag: str, name: str, value: str) -> str | None:
        return _filter_attribute(tag, name, value, keep_ids=keep_ids)

    return nh3.Cleaner(
        tags=_POST_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_POST_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=_URL_SCHEMES,
        # Readers leaving the blog for a linked site do not tell it where they came from.
        link_rel="noopener noreferrer",
    )


@functools.cache
def _comment_cleaner() -> nh3.Cleaner:
    """The reader allow-list: absolute http(s)/mailto links only, all marked as user content."""
    import nh3

    return nh3.Cleaner(
        tags=_COMMENT_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes={"*": set(), "a": {"href"}},
        attribute_filter=_filter_url,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        link_rel=_COMMENT_LINK_REL,
    )
