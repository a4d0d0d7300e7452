"""WordPress's HTML as Causerie's Markdown source: a post's (shaped as WordPress showed it) and a
comment's (as a reader would have typed it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .. import markup
from .filters import has_blocks, strip_shortcodes, wpautop


def post_source(content_html: str, language: str) -> str:
    """A WordPress post's HTML as the post's Markdown source: shaped as WordPress showed it,
    sanitized, with its more tag kept (Markdown passes the HTML through, so it stays editable)."""
    # WordPress's more tag is Causerie's, with or without its link text ("<!--more Read on-->").
    parts = markup.MORE_RE.split(content_html, maxsplit=1)
    if not has_blocks(content_html):
        parts = [wpautop(strip_shortcodes(part)) for part in parts]
    return f"\n\n{markup.MORE_MARKER}\n\n".join(
        markup.sanitize_html(part, language) for part in parts
    ).strip()


# Inline elements of a comment and their Markdown marks; blocks become paragraphs.
_INLINE_MARKS = {"em": "*", "i": "*", "strong": "**", "b": "**", "code": "`"}
_COMMENT_BLOCKS = frozenset(
    {"p", "div", "ul", "ol", "li", "pre", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
)


class _CommentText(HTMLParser):
    """Turns a WordPress comment's HTML into the Markdown a reader would have typed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.buffers: list[list[str]] = [[]]
        self.open: list[tuple[str, str]] = []  # (tag, href) of the elements with a buffer

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INLINE_MARKS or tag in ("a", "blockquote"):
            self.open.append((tag, dict(attrs).get("href") or ""))
            self.buffers.append([])
        elif tag == "br":
            self.buffers[-1].append("\n")
        elif tag == "img":
            self.buffers[-1].append(dict(attrs).get("alt") or "")
        elif tag in _COMMENT_BLOCKS:
            self.buffers[-1].append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if any(open_tag == tag for open_tag, _ in self.open):
            while self.open:
                open_tag, _ = self.open[-1]
                self._close()
                if open_tag == tag:
                    break
        elif tag in _COMMENT_BLOCKS:
            self.buffers[-1].append("\n\n")

    def handle_data(self, data: str) -> None:
        self.buffers[-1].append(data)

    def _close(self) -> None:
        tag, href = self.open.pop()
        inner = "".join(self.buffers.pop())
        if tag == "blockquote":
            lines = _tidy(inner).splitlines()
            text = "\n\n" + "\n".join(f"> {line}".rstrip() for line in lines) + "\n\n"
        elif tag == "a":
            text = inner
            if href.startswith(("http://", "https://")) and inner.strip():
                text = f"[{inner.strip()}]({href})"
        else:
            mark = _INLINE_MARKS[tag]
            text = f"{mark}{inner.strip()}{mark}" if inner.strip() else inner
        self.buffers[-1].append(text)

    def text(self) -> str:
        self.close()
        while self.open:
            self._close()
        return _tidy("".join(self.buffers[0]))


def _tidy(text: str) -> str:
    """Lines without surrounding spaces (an indented line would be code) and at most one blank line."""
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Python's HTMLParser raises AssertionError on a "<![" followed by anything but these names.
_UNKNOWN_MARKED_SECTION = re.compile(
    r"<!\[(?!(?:temp|cdata|ignore|include|rcdata|if|else|endif)(?![-_.a-zA-Z0-9]))", re.IGNORECASE
)


def _without_unclosed_tags(html: str) -> str:
    """html with "&lt;" for every "<" after the last ">": HTMLParser shows those as text all the
    same, but looks for their end from each one to the end of the text (a comment of 16,000
    characters of "<b" and newlines took 2 s)."""
    last_tag_end = html.rfind(">") + 1
    return html[:last_tag_end] + html[last_tag_end:].replace("<", "&lt;")


def comment_source(html: str) -> str:
    """A WordPress comment (HTML with WordPress's line breaks) as a Causerie comment's Markdown."""
    html = _without_unclosed_tags(html)
    parser = _CommentText()
    try:
        parser.feed(html)
        return parser.text()
    except AssertionError:  # "<![" and a name HTMLParser does not know: read as text instead
        parser = _CommentText()
        parser.feed(_UNKNOWN_MARKED_SECTION.sub("&lt;![", html))
        return parser.text()
