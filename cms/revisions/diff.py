"""A readable line diff between two texts, with the changed words marked inside changed lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

SAME, DELETED, INSERTED, GAP = "same", "deleted", "inserted", "gap"
_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")


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
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
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
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
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
