"""Markdown and imported HTML to sanitized HTML: the one place user text becomes Markup."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from markupsafe import Markup, escape

# Markdown and nh3 are imported by the functions that render: a worker that only serves pages
# (their HTML was rendered when saved) never loads them, which keeps it 4 MiB smaller.
if TYPE_CHECKING:
    import markdown
    import nh3

__all__ = [
    "MORE_MARKER",
    "RENDERER_VERSION",
    "RenderedPost",
    "as_markup",
    "french_typography",
    "plain_text",
    "render_comment",
    "render_post",
    "sanitize_html",
    "word_count",
]

# Stored next to every rendered body: bump it whenever the output of this module may change
# (Markdown extensions, allow-lists, typography), so old content gets re-rendered.
RENDERER_VERSION = 1

MORE_MARKER = "<!--more-->"
# WordPress writes "<!--more-->" but also "<!--more Continue reading-->"; imports keep both.
_MORE_RE = re.compile(r"<!--\s*more(?:\s[^>]*?)?\s*-->", re.IGNORECASE)

SUMMARY_LENGTH = 160
ELLIPSIS = "\u2026"
NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, the French "espace fine insécable"


@dataclass(frozen=True)
class RenderedPost:
    """A post rendered once at save time; every field is safe to store as is."""

    body_html: str
    excerpt_html: str
    summary: str
    has_more: bool


# --- Allow-lists -------------------------------------------------------------------------------

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


# --- Markdown ------------------------------------------------------------------------------------

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

    return markdown.Markdown(
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


def _comment_markdown() -> markdown.Markdown:
    """This thread's converter for comments, reset for the next one."""
    md = getattr(_converters, "comment", None)
    if md is None:
        md = _converters.comment = _new_comment_markdown()
    return md.reset()


def _new_comment_markdown() -> markdown.Markdown:
    """A converter for comments: inline Markdown, quotes and links, no raw HTML."""
    import markdown

    md = markdown.Markdown(extensions=["nl2br"], output_format="html")
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
    while url and url[-1] in _TRAILING_PUNCTUATION:
        opener = _BRACKETS.get(url[-1])
        if opener is not None and url.count(opener) >= url.count(url[-1]):
            break  # "wiki/Foo_(bar)": the parenthesis is part of the URL
        url = url[:-1]
    return url


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


# --- HTML tokens ---------------------------------------------------------------------------------

# Good enough for HTML that nh3 serialized (quoted attributes, "<" escaped in text), and safe on
# anything else: callers only ever change text tokens, and only their spacing.
_TOKEN_RE = re.compile(
    r"""
    (?P<raw><(?P<rawtag>script|style)\b(?:[^>"']|"[^"]*"|'[^']*')*>.*?(?:</(?P=rawtag)\s*>|\Z))
    | (?P<comment><!--.*?(?:-->|\Z))
    | (?P<other><![^>]*>|<\?[^>]*>)
    | (?P<tag></?(?P<name>[A-Za-z][^\s/>]*)(?:[^>"']|"[^"]*"|'[^']*')*>)
    """,
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)

_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Inline elements that neither break a sentence nor hide their text from typography.
_INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "i", "ins", "mark",
        "q", "s", "small", "span", "strong", "sub", "sup", "time", "u",
    }
)  # fmt: skip
# Tags that do not separate words in plain text.
_PHRASING_TAGS = _INLINE_TAGS | {"code", "kbd", "samp", "var", "img", "wbr"}
# Their text is literal (code, keyboard input...) and must keep every character as written.
_LITERAL_TAGS = frozenset({"code", "pre", "kbd", "samp", "script", "style"})


@dataclass(frozen=True)
class _Token:
    kind: str  # "text", "start", "end", "raw", "comment" or "other"
    source: str
    name: str = ""


def _tokens(markup: str) -> Iterator[_Token]:
    position = 0
    for match in _TOKEN_RE.finditer(markup):
        if match.start() > position:
            yield _Token("text", markup[position : match.start()])
        source = match.group()
        if match.group("tag"):
            name = match.group("name").lower()
            yield _Token("end" if source.startswith("</") else "start", source, name)
        elif match.group("raw"):
            yield _Token("raw", source, match.group("rawtag").lower())
        else:
            yield _Token(match.lastgroup or "other", source)
        position = match.end()
    if position < len(markup):
        yield _Token("text", markup[position:])


def _opens_element(token: _Token) -> bool:
    return (
        token.kind == "start" and token.name not in _VOID_TAGS and not token.source.endswith("/>")
    )


def _top_level_blocks(markup: str) -> list[tuple[str, str]]:
    """Split HTML into its top-level (tag name, html) pieces; loose text gets the name "#text"."""
    blocks: list[tuple[str, str]] = []
    depth = 0
    current: list[str] = []
    name = ""
    for token in _tokens(markup):
        if depth == 0:
            if token.kind == "text" and not token.source.strip():
                continue
            if token.kind in ("comment", "other", "end"):
                continue
            name = token.name if token.kind in ("start", "raw") else "#text"
        current.append(token.source)
        if _opens_element(token):
            depth += 1
        elif token.kind == "end":
            depth -= 1
        if depth == 0:
            blocks.append((name, "".join(current)))
            current = []
    if current:
        blocks.append((name, "".join(current)))
    return blocks


# --- French typography ---------------------------------------------------------------------------

_UNIT_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});|.", re.S)
_SPACES = frozenset(" \t\n\r\u00a0\u202f\u2009")
_OPAQUE = "\ufffc"  # stands for code, images and multi-character entities inside a sentence


class _Unit:
    """One character of a text node: its source (maybe an entity) and what it means."""

    __slots__ = ("meaning", "source")

    def __init__(self, source: str, meaning: str) -> None:
        self.source = source
        self.meaning = meaning


def _units(text: str) -> list[_Unit]:
    units = []
    for match in _UNIT_RE.finditer(text):
        source = match.group()
        meaning = unescape(source) if len(source) > 1 else source
        units.append(_Unit(source, meaning if len(meaning) == 1 else _OPAQUE))
    return units


def _typeset_sentence(units: list[_Unit]) -> None:
    """Apply the French spacing rules to one run of text units, in place."""
    index = 0
    while index < len(units):
        unit = units[index]
        if unit.meaning in _SPACES:
            end = index
            while end < len(units) and units[end].meaning in _SPACES:
                end += 1
            before = units[index - 1].meaning if index > 0 else ""
            after = units[end].meaning if end < len(units) else ""
            space = ""
            if before == "«" or (before and after in ("?", "!", ";", "»")):
                space = NNBSP
            elif before and after == ":":
                space = NBSP
            if space:
                unit.source = unit.meaning = space
                for extra in units[index + 1 : end]:
                    extra.source = ""
            index = end
            continue
        if unit.meaning == "«" and index + 1 < len(units) and units[index + 1].meaning.isalnum():
            unit.source += NNBSP
        elif unit.meaning == "»" and index > 0 and units[index - 1].meaning.isalnum():
            unit.source = NNBSP + unit.source
        index += 1


def french_typography(html: str) -> str:
    """Add the no-break spaces French puts before ? ! ; : and inside « », in text nodes only.

    A space (or run of spaces, or an existing no-break space) before ? ! ; becomes U+202F, before
    : U+00A0; the space after « and before » becomes U+202F, and one is inserted when « or » touch
    a letter. Nothing is added where no space was written ("10:30", "http://x", "a?b"). Tags,
    attributes, entities, comments and the text of code, pre, kbd, samp, script and style stay
    byte for byte; inline tags (em, a...) do not break a sentence. Idempotent.
    """
    pieces: list[str | list[_Unit]] = []
    sentence: list[_Unit] = []
    literal_depth = 0

    def end_sentence() -> None:
        _typeset_sentence(sentence)
        sentence.clear()

    for token in _tokens(html):
        if literal_depth:
            pieces.append(token.source)
            if token.name in _LITERAL_TAGS and _opens_element(token):
                literal_depth += 1
            elif token.name in _LITERAL_TAGS and token.kind == "end":
                literal_depth -= 1
            continue
        if token.kind == "text":
            units = _units(token.source)
            pieces.append(units)
            sentence.extend(units)
            continue
        pieces.append(token.source)
        if token.name in _LITERAL_TAGS and token.kind in ("start", "raw"):
            # A literal element reads as one opaque word: "la fonction `f()` ?" still gets its
            # space, and nothing inside the element is touched.
            sentence.append(_Unit("", _OPAQUE))
            literal_depth = 1 if _opens_element(token) else 0
        elif token.name == "img":
            sentence.append(_Unit("", _OPAQUE))
        elif token.kind != "comment" and token.name not in _INLINE_TAGS:
            end_sentence()
    end_sentence()
    return "".join(
        piece if isinstance(piece, str) else "".join(unit.source for unit in piece)
        for piece in pieces
    )


def _is_french(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] == "fr"


def _typeset(html: str, language: str) -> str:
    return french_typography(html) if _is_french(language) else html


# --- Text ----------------------------------------------------------------------------------------

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
    return _COLLAPSIBLE_SPACE_RE.sub(" ", "".join(parts)).strip(" ")


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


# --- Public pipelines ----------------------------------------------------------------------------

# Markdown's own footnote reference; excerpts drop it, their footnotes are not on the page.
_FOOTNOTE_REF_RE = re.compile(
    r'<sup id="fnref\d*:[^"]*"><a class="footnote-ref"[^>]*>[^<]*</a></sup>'
)


def _excerpt(fragment: str, language: str) -> str:
    without_refs = _FOOTNOTE_REF_RE.sub("", fragment)
    return _typeset(_post_cleaner(keep_ids=False).clean(without_refs).strip(), language)


def _has_content(html: str) -> bool:
    return bool(plain_text(html)) or re.search(r"<(?:img|hr)\b", html) is not None


def render_post(source: str, language: str) -> RenderedPost:
    """Render an author's Markdown post to sanitized HTML, its excerpt and its summary.

    The excerpt is what comes before the first more-marker (split in the rendered HTML, so
    reference links and footnotes defined further down still resolve; a marker inside code is
    text, not a marker), else the first top-level paragraph (or first block when there is no
    paragraph). Excerpts carry no ids and no footnote references. has_more says whether the body
    holds anything besides the excerpt; a marker with nothing after it counts as no more.
    Deterministic: the same source and language always give the same bytes.
    """
    rendered = _post_markdown(language).convert(source)
    cleaner = _post_cleaner(keep_ids=True)
    excerpt, has_more = "", False
    marker = _MORE_RE.search(rendered)
    before = rendered[: marker.start()].rstrip() if marker else ""
    if marker and _has_content(cleaner.clean(before)):
        after = rendered[marker.end() :]
        body = cleaner.clean(before + after).strip()
        excerpt = _excerpt(before, language)
        has_more = _has_content(cleaner.clean(after))
    else:
        body = cleaner.clean(rendered).strip()
        blocks = _top_level_blocks(body)
        if blocks:
            first = next((block for block in blocks if block[0] == "p"), blocks[0])
            excerpt = _excerpt(first[1], language)
            has_more = len(blocks) > 1
    return RenderedPost(
        body_html=_typeset(body, language),
        excerpt_html=excerpt,
        summary=_summarize(plain_text(excerpt)),
        has_more=has_more,
    )


def _link_mention(html: str, mention: tuple[str, str]) -> str:
    """Link the "@Name" that opens the first paragraph to the comment it names.

    Applied after sanitizing, so the link may be site-relative; any other address is ignored.
    """
    text, href = mention
    if not href.startswith(("/", "#")) or href.startswith("//"):
        return html
    # The serializer escapes text the same way: &, < and > only.
    opening = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not html.startswith(opening):
        return html
    link = f'<p><a class="mention" href="{escape(href)}">{opening[3:]}</a>'
    return link + html[len(opening) :]


def render_comment(source: str, language: str, *, mention: tuple[str, str] | None = None) -> str:
    """Render a reader's comment to sanitized HTML.

    Paragraphs, line breaks, emphasis, inline code, quotes and links (Markdown links and bare
    http(s)/www. URLs) only; raw HTML shows as typed, images as their alt text, headings and
    lists as plain lines. Every link is absolute http(s)/mailto and gets rel="nofollow ugc
    noopener noreferrer". `mention` is ("@Name" as typed at the start of source, a site-relative
    address): that opening text becomes a link to the address.
    """
    rendered = _comment_markdown().convert(source)
    html = _comment_cleaner().clean(rendered).strip()
    if mention is not None:
        html = _link_mention(html, mention)
    return _typeset(html, language)


def sanitize_html(html: str, language: str) -> str:
    """Apply the post allow-list (and French typography) to HTML that is not Markdown."""
    return _typeset(_post_cleaner(keep_ids=True).clean(html).strip(), language)


def typeset_text(text: str, language: str) -> Markup:
    """Plain text (a title, a name) escaped for HTML, with French typography on a French site."""
    return as_markup(_typeset(str(escape(text)), language))


def as_markup(html: str) -> Markup:
    """Mark HTML that this module produced (stored body, excerpt, comment) safe for templates.

    Never pass it anything else: it does not sanitize.
    """
    # The one deliberate Markup(...) of the app: everything else reaches templates escaped.
    return Markup(html)  # noqa: S704 -- sanitized by this module  # nosec B704
