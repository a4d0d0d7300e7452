"""French typography, in text nodes: the no-break spaces French puts before ? ! ; : and inside
« », and the typographic apostrophe."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

from .html_tokens import _INLINE_TAGS, _LITERAL_TAGS, _opens_element, _tokens

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, the French "espace fine insécable"
APOSTROPHE = "\u2019"  # the typographic apostrophe, ’

_UNIT_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});|.", re.S)
_SPACES = frozenset(" \t\n\r\u00a0\u202f\u2009")
_OPAQUE = "\ufffc"  # stands for code, images and multi-character entities inside a sentence
# The space each mark takes when it touches the word before it.
_MARKS = {"?": NNBSP, "!": NNBSP, ";": NNBSP, ":": NBSP}
# Besides letters and digits, what may end the word a mark belongs to: "(vraiment?)", "»!".
_WORD_ENDS = frozenset(")]»”’…" + _OPAQUE)
# What may follow a mark that ends a sentence or a clause ("Quoi?!", "«Quoi?»"), besides a space
# or the end of the text.
_AFTER_MARKS = frozenset("?!;:.,…»)]”")
# An apostrophe elides before these as before a letter: "l'« Europe »", "l'“objet”", "l'`x`".
_QUOTATION_OPENINGS = frozenset("«“" + _OPAQUE)
# Each scan starts at one of a few fixed prefixes, so finding every address costs one pass.
_ADDRESS_RE = re.compile(r"(?:https?://|ftps?://|mailto:|www\.)\S+", re.IGNORECASE)
# One attribute of a start tag, from the space before it; a quoted value is read whole, so an
# "alt=" inside another attribute's value is never taken for one.
_ATTRIBUTE_RE = re.compile(r"""(\s+)([^\s"'>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|[^\s"'>]*))?""")


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


def _is_letter(character: str) -> bool:
    # A combining accent counts with its letter ("e" + U+0301 is an "é" written in two).
    return character.isalpha() or unicodedata.category(character).startswith("M")


def _ends_word(character: str) -> bool:
    """Whether a French mark right after this character belongs to the word before it."""
    return bool(character) and (character.isalnum() or character in _WORD_ENDS)


def _elides(before: str, after: str) -> bool:
    """Whether a straight quote between these is an apostrophe: "l'été", "l'« Europe »"."""
    return (
        bool(before and after)
        and _is_letter(before)
        and (_is_letter(after) or after in _QUOTATION_OPENINGS)
    )


def _ends_sentence_mark(character: str) -> bool:
    """Whether what follows ? ! ; : lets it be sentence punctuation (not "a?b", "10:30")."""
    return not character or character in _SPACES or character in _AFTER_MARKS


def _in_addresses(units: list[_Unit]) -> list[bool]:
    """Which units belong to a web or mail address written in the text (typed, or a link's text
    that shows its address): they stay as written. Punctuation ending an address ends the
    sentence instead, as the comment autolinker decides."""
    meanings = "".join(unit.meaning for unit in units)
    inside = [False] * len(units)
    for match in _ADDRESS_RE.finditer(meanings):
        end = match.end()
        while end > match.start() and meanings[end - 1] in _AFTER_MARKS:
            end -= 1
        inside[match.start() : end] = [True] * (end - match.start())
    return inside


def _typeset_sentence(units: list[_Unit]) -> None:
    """Apply the French rules to one run of text units, in place (see french_typography)."""
    literal = _in_addresses(units)
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
        if literal[index]:
            index += 1
            continue
        before = units[index - 1].meaning if index > 0 else ""
        after = units[index + 1].meaning if index + 1 < len(units) else ""
        if unit.meaning == "'" and _elides(before, after):
            unit.source = unit.meaning = APOSTROPHE
        elif unit.meaning == "«" and after and (after.isalnum() or after == _OPAQUE):
            unit.source += NNBSP
        elif unit.meaning == "»" and (_ends_word(before) or (before and before in "?!.…")):
            unit.source = NNBSP + unit.source
        elif unit.meaning in _MARKS and _ends_word(before) and _ends_sentence_mark(after):
            unit.source = _MARKS[unit.meaning] + unit.source
        index += 1


def _typeset_alt_text(tag: str) -> str:
    """An <img> start tag with its (quoted) alt text in French typography, as a sentence of its
    own: it is the image's words for whoever cannot see it. Other attributes stay as written."""

    def typeset(match: re.Match[str]) -> str:
        space, name, equals, double_quoted, single_quoted = match.groups()
        value = double_quoted if double_quoted is not None else single_quoted
        if name.lower() != "alt" or value is None:
            return match.group(0)
        quote = '"' if double_quoted is not None else "'"
        units = _units(value)
        _typeset_sentence(units)
        typeset_value = "".join(unit.source for unit in units)
        return f"{space}{name}{equals}{quote}{typeset_value}{quote}"

    return tag[:4] + _ATTRIBUTE_RE.sub(typeset, tag[4:])


def french_typography(html: str) -> str:
    """French typography in the text nodes of `html`, exactly these rules:

    - A space typed (or a run of spaces, or a no-break space) before ? ! ; or » and after «
      becomes a narrow no-break space (U+202F); before : a no-break space (U+00A0).
    - Where no space was typed, one is inserted before ? ! ; (U+202F) and : (U+00A0) when the
      mark touches the end of a word (a letter or digit, or ) ] » ” ’ … or inline code) and
      ends a sentence or a clause (the text ends, or a space or one of ? ! ; : . , … » ) ] ”
      follows): "Vraiment!", "Quoi?!", "Note: voir". Never inside a word or a number: "a?b",
      "10:30", "12:30:45" stay. After « (before a letter, a digit or inline code) and before »
      (after a letter, a digit, ) ] ” ’ … ? ! . or inline code) one is inserted too: "«Oui»".
    - A straight apostrophe (', &#39; or &apos;) between a letter and a letter, « or “ (or
      inline code) becomes the typographic apostrophe ’ (U+2019): "l'été", "aujourd'hui",
      "l'« Europe »". Every other straight quote stays: after a digit or a space ("5'10",
      "'bonjour'"), before a digit or a space ("l'1er", "années 80'").
    - Web and mail addresses written in the text (from http://, https://, ftp://, mailto: or
      www. to the next space, less the punctuation that ends it) are left as they are.

    An image's alt text gets the same rules, as a sentence of its own. Tags, other attributes,
    entities (but the apostrophe's), comments and the text of code, pre, kbd, samp, script and
    style stay byte for byte; inline tags (em, a...) do not break a sentence,
    other tags do. Idempotent, and linear in the length of `html`.
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
        is_image = token.name == "img" and token.kind == "start"
        pieces.append(_typeset_alt_text(token.source) if is_image else token.source)
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
