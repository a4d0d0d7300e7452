"""A readable line diff between two texts, with the changed words marked inside changed lines."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import Match, SequenceMatcher
from itertools import pairwise

SAME, DELETED, INSERTED, GAP = "same", "deleted", "inserted", "gap"
_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")

# difflib's own matching (autojunk off) is used while len(a) * len(b) stays under this: it costs
# up to the cube of the length when items repeat (spaces between words, blank lines), 27 s for
# one line of 2,000 words with every tenth word changed. Above, see _anchored_blocks.
EXACT_LIMIT = 10_000
# What _anchored_blocks may read, per item of the two sequences, before the rest counts as changed.
WORK_PER_ITEM = 40
_WINDOW = 100  # _WINDOW ** 2 == EXACT_LIMIT


class _BoundedMatcher(SequenceMatcher):
    """difflib's SequenceMatcher (autojunk off) on small inputs; on larger ones, the common start
    and end, then the items found once on each side as anchors (patience diff), in time close to
    linear in the length: a 20,000-word line diffs in well under a second."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b, autojunk=False)

    def get_matching_blocks(self) -> list[Match]:
        if self.matching_blocks is None and len(self.a) * len(self.b) > EXACT_LIMIT:
            self.matching_blocks = _anchored_blocks(self.a, self.b)
        return super().get_matching_blocks()


def _anchored_blocks(a: Sequence[str], b: Sequence[str]) -> list[Match]:
    """Matching blocks of a and b, in order, as SequenceMatcher.get_matching_blocks gives them."""
    budget = WORK_PER_ITEM * (len(a) + len(b))
    pairs: list[tuple[int, int]] = []  # matched (i, j), increasing in both
    ranges = [(0, len(a), 0, len(b))]
    while ranges:
        alo, ahi, blo, bhi = ranges.pop()
        start: list[tuple[int, int]] = []
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            start.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        end: list[tuple[int, int]] = []
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            end.append((ahi, bhi))
        pairs += start + end
        if alo == ahi or blo == bhi:
            continue
        if (ahi - alo) * (bhi - blo) <= EXACT_LIMIT:
            small = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for i, j, size in small.get_matching_blocks():
                pairs += [(alo + i + k, blo + j + k) for k in range(size)]
            continue
        budget -= (ahi - alo) + (bhi - blo)
        if budget < 0:
            continue  # counted as changed
        anchors = _unique_common(a, alo, ahi, b, blo, bhi)
        if not anchors:
            pairs += _windowed_pairs(a, alo, ahi, b, blo, bhi)
            continue
        pairs += anchors
        bounds = [(alo - 1, blo - 1), *anchors, (ahi, bhi)]
        ranges += [(i + 1, i2, j + 1, j2) for (i, j), (i2, j2) in pairwise(bounds)]
    pairs.sort()
    blocks: list[Match] = []
    for i, j in pairs:
        if blocks and blocks[-1].a + blocks[-1].size == i and blocks[-1].b + blocks[-1].size == j:
            blocks[-1] = Match(blocks[-1].a, blocks[-1].b, blocks[-1].size + 1)
        else:
            blocks.append(Match(i, j, 1))
    return [*blocks, Match(len(a), len(b), 0)]


def _windowed_pairs(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Matches of two long ranges with nothing found once on each side (a long run of common
    words), window by window: each window of b starts after the last match kept from the one
    before, so that an inserted or deleted word does not shift all that follows."""
    pairs: list[tuple[int, int]] = []
    half = _WINDOW // 2
    while alo < ahi and blo < bhi:
        last = alo + _WINDOW >= ahi  # the window reaches the end of a's range
        window = SequenceMatcher(
            None, a[alo : min(alo + _WINDOW, ahi)], b[blo : min(blo + _WINDOW, bhi)], autojunk=False
        )
        kept = [
            (alo + i + k, blo + j + k)
            for i, j, size in window.get_matching_blocks()
            for k in range(size)
            if last or i + k < half
        ]
        pairs += kept
        if last:
            break
        alo, blo = alo + half, (kept[-1][1] + 1 if kept else blo + half)
    return pairs


def _unique_common(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """The longest run, increasing on both sides, of items found exactly once in each range."""
    in_a, in_b = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if in_b[b[j]] == 1 and in_a[b[j]] == 1}
    candidates = [(i, where_b[a[i]]) for i in range(alo, ahi) if a[i] in where_b]
    # Longest increasing subsequence of the b positions, kept with its predecessors.
    tails: list[int] = []  # b position ending the best run of each length
    tail_index: list[int] = []
    previous: list[int] = []
    for index, (_, j) in enumerate(candidates):
        length = bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[length] = j
            tail_index[length] = index
        previous.append(tail_index[length - 1] if length else -1)
    run: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        run.append(candidates[index])
        index = previous[index]
    return run[::-1]


@dataclass(frozen=True)
class DiffLine:
    """One line of the diff. parts is the text in pieces, each flagged True when it changed:
    templates wrap those in <del> or <ins> and escape everything, so no HTML is built here."""

    kind: str
    old_number: int | None = None
    new_number: int | None = None
    parts: list[tuple[bool, str]] = field(default_factory=list)


def _word_parts(old: str, new: str) -> tuple[list[tuple[bool, str]], list[tuple[bool, str]]]:
    """The two versions of a changed line, split where the words differ."""
    old_words, new_words = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    old_parts: list[tuple[bool, str]] = []
    new_parts: list[tuple[bool, str]] = []
    matcher = _BoundedMatcher(old_words, new_words)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            old_parts.append((changed, "".join(old_words[i1:i2])))
        if j2 > j1:
            new_parts.append((changed, "".join(new_words[j1:j2])))
    return old_parts, new_parts


def line_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The lines that changed from old to new, with `context` unchanged lines around each change
    and a GAP line where unchanged lines were left out. Empty when the texts are the same."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = _BoundedMatcher(old_lines, new_lines)
    lines: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if lines or group[0][1] > 0:
            lines.append(DiffLine(GAP))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    text = old_lines[i1 + offset]
                    lines.append(DiffLine(SAME, i1 + offset + 1, j1 + offset + 1, [(False, text)]))
                continue
            removed = [[(True, text)] for text in old_lines[i1:i2]]
            added = [[(True, text)] for text in new_lines[j1:j2]]
            if tag == "replace":
                for k in range(min(len(removed), len(added))):
                    removed[k], added[k] = _word_parts(old_lines[i1 + k], new_lines[j1 + k])
            lines.extend(
                DiffLine(DELETED, i1 + k + 1, None, parts) for k, parts in enumerate(removed)
            )
            lines.extend(
                DiffLine(INSERTED, None, j1 + k + 1, parts) for k, parts in enumerate(added)
            )
    if lines and matcher.get_opcodes()[-1][0] == "equal":
        last_shown = max(line.old_number or 0 for line in lines)
        if last_shown < len(old_lines):
            lines.append(DiffLine(GAP))
    return lines
