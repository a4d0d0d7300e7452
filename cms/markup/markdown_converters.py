"""The Markdown converters for posts and comments, one per thread, and the comment tree processor
(images become their alt text, bare URLs become links)."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from .typography import _is_french

# Imported by the functions that build a converter, like nh3 in allowlists (see there why).
if TYPE_CHECKING:
    import markdown

_SLUG_SPELLING = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "'": " ", "\u2019": " "}
)


def _slugify(value: str, separator: str) -> str:
    """ASCII heading id with accents folded: "L'été du cœur" -> "l-ete-du-coeur".

    The result only holds [a-z0-9] and the separator, so it never collides with footnote ids
    ("fn:1"). Headings with no Latin letters give "", which the toc extension numbers ("_1").
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_SLUG_SPELLING))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text))


# By typographic family, not one per site language (that list is config.LANGUAGES): markup has
# no app and no catalogue, and any language that is not French gets the English title.
_BACKLINK_TITLES = {
    "fr": "Revenir à l\u2019appel de note %d",
    "en": "Jump back to footnote %d in the text",
}


# Building a Markdown converter costs more than rendering a comment with it (about 2 ms), so
# each thread keeps its own and resets it between texts (instances keep state while converting).
_converters = threading.local()


def _post_markdown(language: str) -> markdown.Markdown:
    """This thread's converter for posts in the language's family, reset for the next post."""
    key = "fr" if _is_french(language) else "en"
    converters = _converters.__dict__.setdefault("post", {})
    md = converters.get(key)
    if md is None:
        md = converters[key] = _new_post_markdown(key)
    return md.reset()


def _new_post_markdown(language: str) -> markdown.Markdown:
    """A converter for posts with their extensions and the footnote wording of the language."""
    import markdown

    from .markdown_limits import bound_scans

    md = markdown.Markdown(
        extensions=["toc", "sane_lists", "fenced_code", "codehilite", "tables", "footnotes"],
        extension_configs={
            "toc": {"slugify": _slugify},
            "codehilite": {"css_class": "codehilite", "guess_lang": False, "noclasses": False},
            # align="..." instead of style="text-align: ...": no style attribute survives.
            "tables": {"use_align_attribute": True},
            "footnotes": {"BACKLINK_TITLE": _BACKLINK_TITLES[language]},
        },
        output_format="html",
    )
    return bound_scans(md)


def _comment_markdown() -> markdown.Markdown:
    """This thread's converter for comments, reset for the next one."""
    md = getattr(_converters, "comment", None)
    if md is None:
        md = _converters.comment = _new_comment_markdown()
    return md.reset()


def _new_comment_markdown() -> markdown.Markdown:
    """A converter for comments: inline Markdown, quotes and links, no raw HTML."""
    import markdown

    from .markdown_limits import bound_scans

    md = bound_scans(markdown.Markdown(extensions=["nl2br"], output_format="html"))
    # Without these, "<b>" is plain text that the serializer escapes, rather than markup.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # "# title", "---" and "- item" stay the text the reader typed.
    for name in ("hashheader", "setextheader", "hr", "olist", "ulist"):
        md.parser.blockprocessors.deregister(name)
    # Runs after "unescape" (priority 0), so text holds the characters the reader wrote.
    md.treeprocessors.register(_CommentTreeprocessor(md), "comment_policy", -10)
    return md


class _CommentTreeprocessor:
    """Turns images into their alt text and links bare URLs. A Markdown tree processor: Markdown
    only calls run(), so it need not subclass Treeprocessor (and import Markdown) to be one."""

    def __init__(self, md: markdown.Markdown) -> None:
        self.md = md

    def run(self, root: Element) -> None:
        _images_to_alt_text(root)
        _link_bare_urls(root)


def _append_text(parent: Element, index: int, text: str) -> None:
    """Append text right after the child at index (or at the start of parent when index < 0)."""
    if index < 0:
        parent.text = (parent.text or "") + text
    else:
        child = parent[index]
        child.tail = (child.tail or "") + text


def _images_to_alt_text(parent: Element) -> None:
    for child in list(parent):
        _images_to_alt_text(child)
    index = 0
    while index < len(parent):
        child = parent[index]
        if child.tag == "img":
            parent.remove(child)
            _append_text(parent, index - 1, (child.get("alt") or "") + (child.tail or ""))
        else:
            index += 1


# A bare URL starts at a word boundary and runs to whitespace or a character that cannot be
# part of a URL typed in prose; trailing punctuation is trimmed afterwards (see _trim_url).
_BARE_URL_RE = re.compile(
    r"(?<![\w@/.:+-])(?:https?://|www\.)[^\s<>\"`«»\x00-\x1f\x7f]+", re.IGNORECASE
)
_LINKABLE_RE = re.compile(r"(?:https?://|www\.)\w", re.IGNORECASE)
_TRAILING_PUNCTUATION = frozenset(".,:;!?'\"\u2019\u2026)]}*_")
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_NO_AUTOLINK = frozenset({"a", "code", "pre"})


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, keeping balanced brackets."""
    end = len(url)
    counts: dict[str, int] = {}
    while end and url[end - 1] in _TRAILING_PUNCTUATION:
        closer = url[end - 1]
        opener = _BRACKETS.get(closer)
        if opener is not None:
            if not counts:  # counted once: only closers are dropped, one at a time
                counts = {bracket: url.count(bracket) for bracket in "()[]{}"}
            if counts[opener] >= counts[closer]:
                break  # "wiki/Foo_(bar)": the parenthesis is part of the URL
            counts[closer] -= 1
        end -= 1
    return url[:end]


def _split_urls(text: str | None) -> tuple[str | None, list[Element]]:
    """Split text into its leading text and <a> elements (each carrying the text after it)."""
    if not text:
        return text, []
    head: str | None = text
    anchors: list[Element] = []
    position = 0
    for match in _BARE_URL_RE.finditer(text):
        url = _trim_url(match.group())
        if not _LINKABLE_RE.match(url):
            continue
        before = text[position : match.start()]
        if anchors:
            anchors[-1].tail = before
        else:
            head = before
        href = url if "://" in url else f"https://{url}"
        anchor = Element("a", {"href": href})
        anchor.text = url
        anchors.append(anchor)
        position = match.start() + len(url)
    if anchors:
        anchors[-1].tail = text[position:]
    return head, anchors


def _link_bare_urls(element: Element) -> None:
    """Link URLs in the text under element, except inside links and code."""
    if element.tag in _NO_AUTOLINK:
        return
    element.text, children = _split_urls(element.text)
    for child in list(element):
        _link_bare_urls(child)
        child.tail, anchors = _split_urls(child.tail)
        children += [child, *anchors]
    element[:] = children
