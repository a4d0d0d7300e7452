"""A tokenizer for sanitized HTML (text, tags, comments) and the tag families the pipelines know."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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
