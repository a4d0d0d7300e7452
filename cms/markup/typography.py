"""French typography: the no-break spaces French puts before ? ! ; : and inside « », in text nodes."""

from __future__ import annotations

import re
from html import unescape

from .html_tokens import _INLINE_TAGS, _LITERAL_TAGS, _opens_element, _tokens

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, the French "espace fine insécable"

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
