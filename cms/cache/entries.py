"""Stored pages: the bytes cut around their per-visitor values, and the per-worker store of them."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .epochs import Epoch

# A value a page must not share between visitors (the comment form's signed, timed token): found
# in the bytes when a page is stored, and given anew each time the page is served.
_TOKEN_INPUT = re.compile(rb'<input\b[^>]*\bname="token"[^>]*\bvalue="([^"]*)"')


@dataclass
class Entry:
    """A stored response: status, headers and the body cut around its per-visitor values."""

    epoch: Epoch
    status: str
    headers: list[tuple[str, str]]
    parts: list[bytes]  # text, value, text, value, ..., text
    size: int

    def body(self, refresh: Callable[[list[str]], list[str]]) -> bytes:
        if len(self.parts) == 1:
            return self.parts[0]
        values = refresh([v.decode() for v in self.parts[1::2]])
        pieces = list(self.parts)
        pieces[1::2] = [v.encode() for v in values]
        return b"".join(pieces)


def _cut(body: bytes) -> list[bytes]:
    parts, position = [], 0
    for match in _TOKEN_INPUT.finditer(body):
        parts += [body[position : match.start(1)], match.group(1)]
        position = match.end(1)
    return [*parts, body[position:]]


class _Store:
    """Least recently used entries, up to a byte budget (per worker process)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str, epoch: Epoch) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.epoch != epoch:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old.size
            self.entries[key] = entry
            self.size += entry.size
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= evicted.size

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0
