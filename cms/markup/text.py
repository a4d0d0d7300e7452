"""Plain text out of HTML: the readable text, the summary cut at a word, the word count."""

from __future__ import annotations

import re
from html import unescape

from ..kernel.text import without_controls
from .allowlists import _post_cleaner
from .html_tokens import _PHRASING_TAGS, _tokens
from .markdown_converters import _post_markdown

SUMMARY_LENGTH = 160
ELLIPSIS = "\u2026"

# Collapses every whitespace run except no-break spaces, which French typography placed on purpose.
_COLLAPSIBLE_SPACE_RE = re.compile(r"[^\S\u00a0\u202f]+")


def plain_text(html: str) -> str:
    """Readable text of HTML: tags dropped, entities decoded, whitespace collapsed to one space.

    Block boundaries count as spaces ("<p>a</p><p>b</p>" -> "a b"); script and style content is
    dropped; no-break spaces are kept. The result is text, not HTML: escape it when output.
    """
    parts: list[str] = []
    for token in _tokens(html):
        if token.kind == "text":
            parts.append(unescape(token.source))
        elif token.kind in ("start", "end") and token.name not in _PHRASING_TAGS:
            parts.append(" ")
    return _COLLAPSIBLE_SPACE_RE.sub(" ", without_controls("".join(parts))).strip(" ")


def _summarize(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """Cut text at a word boundary so that it fits in limit characters, ellipsis included."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " ":
        head, space, _ = cut.rpartition(" ")
        if space and head:
            cut = head
    # Only plain spaces are word boundaries: French "illusion\u202f?" is kept or dropped whole.
    return (cut.rstrip(" ,;:.-\u2013\u2014(«\u00a0\u202f") or text[: limit - 1]) + ELLIPSIS


_WORD_RE = re.compile(r"\w+(?:['\u2019-]\w+)*")


def word_count(source: str) -> int:
    """Number of words a reader reads in the Markdown source (link targets and markup excluded)."""
    return len(
        _WORD_RE.findall(
            plain_text(_post_cleaner(keep_ids=False).clean(_post_markdown("en").convert(source)))
        )
    )
