"""Python-Markdown's look-ahead scans, bounded so that a text costs time in proportion to its length.

Python-Markdown looks ahead from every "[" for its "]", from every "](" for its ")" and from every
run of backticks for the run that closes it. Where the closing half is missing, each opener scans
to the end of the text: a comment of 5,000 "[" took 2.5 s of CPU, one of 20,000 about 40 s. The subclasses here give the same output for
any text a person writes and bound the work on the rest:

- link text: a "[" whose "]" lies beyond MAX_BRACKET_DEPTH nested brackets opens nothing (no
  written link nests brackets that deep), so each character is scanned at most that many times;
- link destinations and code spans: one allowance per text, SCAN_ALLOWANCE_PER_CHARACTER times its
  length (the project's READMEs read less than 0.4 character per character, random bracket soup
  8); once spent, a "](" or a backtick run that has not found its partner is plain characters;
- tables: a block is tested again each time another processor takes a line from its start, and
  the test split the whole block every time; it now splits the two rows it needs (all of them
  only for a one-column table whose separator row is valid).

Imported by the functions that build a converter (Markdown stays out of a worker that only serves
pages).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markdown.blockprocessors import BlockProcessor
from markdown.extensions.tables import PIPE_LEFT, PIPE_NONE, PIPE_RIGHT, TableProcessor
from markdown.inlinepatterns import (
    BACKTICK_RE,
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    BacktickInlineProcessor,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import Preprocessor

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import markdown

MAX_BRACKET_DEPTH = 16
SCAN_ALLOWANCE_PER_CHARACTER = 20
SCAN_ALLOWANCE_MINIMUM = 20_000
_QUOTES = ("'", '"')
_TICKS = re.compile("`+")


class _Allowance:
    """Characters the destination and code-span scans may still read in the current text."""

    def __init__(self) -> None:
        self.left = SCAN_ALLOWANCE_MINIMUM


class _ResetAllowance(Preprocessor):
    """Runs first in every conversion: the allowance grows with the text being converted."""

    def __init__(self, md: markdown.Markdown, allowance: _Allowance) -> None:
        super().__init__(md)
        self.allowance = allowance

    def run(self, lines: list[str]) -> list[str]:
        length = sum(len(line) + 1 for line in lines)
        self.allowance.left = max(SCAN_ALLOWANCE_MINIMUM, SCAN_ALLOWANCE_PER_CHARACTER * length)
        return lines


def _bounded_text(data: str, index: int) -> tuple[str, int, bool]:
    """LinkInlineProcessor.getText (the text up to the "]" matching the "[" before index, the
    index after it, whether it was found), giving up past MAX_BRACKET_DEPTH open brackets."""
    depth = 1
    position = index
    end = len(data)
    while position < end:
        character = data[position]
        position += 1
        if character == "]":
            depth -= 1
            if depth == 0:
                return data[index : position - 1], position, True
        elif character == "[":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                break
    return "", position, False


class _BoundedLinks:
    """Mixed into Python-Markdown's link, image and reference processors: bounded getText, and
    a getLink that reads at most what the text's allowance has left."""

    allowance: _Allowance

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        return _bounded_text(data, index)

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        rest = len(data) - index
        window = min(rest, self.allowance.left)
        if window <= 0:
            return "", None, index, False
        if window == rest:
            href, title, end, handled = super().getLink(data, index)  # type: ignore[misc]
        else:
            # getLink reads data from index on only: the slice gives the same result (shifted)
            # whenever the scan ends inside it.
            cut = data[index : index + window]
            href, title, end, handled = super().getLink(cut, 0)  # type: ignore[misc]
            end += index
        # It stopped at its ")" when it found one with no quote before it, or closed a title;
        # otherwise (no ")", or a title quote left open) it read all it was given.
        closed = handled and (
            title is not None or all(data.find(quote, index, end) < 0 for quote in _QUOTES)
        )
        self.allowance.left -= end - index if closed else window
        return href, title, end, handled


class _BoundedLinkProcessor(_BoundedLinks, LinkInlineProcessor):
    pass


class _BoundedImageProcessor(_BoundedLinks, ImageInlineProcessor):
    pass


class _BoundedReferenceProcessor(_BoundedLinks, ReferenceInlineProcessor):
    pass


class _BoundedShortReferenceProcessor(_BoundedLinks, ShortReferenceInlineProcessor):
    pass


class _BoundedImageReferenceProcessor(_BoundedLinks, ImageReferenceInlineProcessor):
    pass


class _BoundedShortImageReferenceProcessor(_BoundedLinks, ShortImageReferenceInlineProcessor):
    pass


class _BoundedBacktickProcessor(BacktickInlineProcessor):
    """Code spans: the search for the closing run reads at most what the allowance has left."""

    allowance: _Allowance

    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        ticks = _TICKS.match(text, start)
        opening = ticks.end() - start if ticks else 0
        rest = len(text) - start
        window = min(rest, self.allowance.left)
        if window <= opening:
            return start + opening, None  # nothing left to look for the closing run with
        if window == rest:
            begin, end = super().find_code_spans(start, text)
        else:
            begin, end = super().find_code_spans(0, text[start : start + window])
            begin, end = begin + start, None if end is None else end + start
        # An exact closing run ends the scan there; a fallback or a failure read all of it.
        exact = end is not None and begin == start + opening
        self.allowance.left -= end - start + opening if exact else window
        return begin, end


# Each bounded processor replaces Python-Markdown's own under the same name and priority.
_INLINE = {
    "backtick": (_BoundedBacktickProcessor, BACKTICK_RE, 190),
    "reference": (_BoundedReferenceProcessor, REFERENCE_RE, 170),
    "link": (_BoundedLinkProcessor, LINK_RE, 160),
    "image_link": (_BoundedImageProcessor, IMAGE_LINK_RE, 150),
    "image_reference": (_BoundedImageReferenceProcessor, IMAGE_REFERENCE_RE, 140),
    "short_reference": (_BoundedShortReferenceProcessor, REFERENCE_RE, 130),
    "short_image_ref": (_BoundedShortImageReferenceProcessor, IMAGE_REFERENCE_RE, 125),
}


class _FirstRowsTable(TableProcessor):
    """TableProcessor.test, splitting only the rows it looks at (the original split and stripped
    the whole block, once for every line that another processor took from its start)."""

    def test(self, parent: Element, block: str) -> bool:
        first = block.split("\n", 2)
        if len(first) < 2:
            return False
        header = first[0].strip(" ")
        self.border = PIPE_NONE
        if header.startswith("|"):
            self.border |= PIPE_LEFT
        if self.RE_END_BORDER.search(header) is not None:
            self.border |= PIPE_RIGHT
        width = len(self._split_row(header))
        separator = self._split_row(first[1].strip(" "))
        # Both must hold; the separator, one row, is checked before the pipe of every row.
        if len(separator) != width or not set("".join(separator)) <= set("|:- "):
            return False
        is_table = width > 1
        if not is_table and width == 1 and self.border:
            # A one-column table needs a pipe on every row, up to the first row without one.
            for line in block.split("\n")[1:]:
                row = line.strip(" ")
                is_table = row.startswith("|") or self.RE_END_BORDER.search(row) is not None
                if not is_table:
                    break
        if is_table:
            self.separator = separator
        return is_table


def bound_scans(md: markdown.Markdown) -> markdown.Markdown:
    """Replace md's scanning processors by the bounded ones above; returns md."""
    allowance = _Allowance()
    md.preprocessors.register(_ResetAllowance(md, allowance), "reset_scan_allowance", 1000)
    for name, (processor, pattern, priority) in _INLINE.items():
        if name in md.inlinePatterns:
            bounded = processor(pattern) if name == "backtick" else processor(pattern, md)
            bounded.allowance = allowance
            md.inlinePatterns.register(bounded, name, priority)
    if "table" in md.parser.blockprocessors:
        old: BlockProcessor = md.parser.blockprocessors["table"]
        table = _FirstRowsTable(md.parser, old.config)  # type: ignore[attr-defined]
        md.parser.blockprocessors.register(table, "table", 75)
    return md
