"""The mixed load: readers on the post and home pages while commenters post about one comment a
second, against the same readers alone. Every accepted comment changes the content version, so
the readers then pay for renders, not for stored pages: the lively blog's case."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from . import load
from .client import post_form


class Commenters(threading.Thread):
    """Posts the comment form about `per_second` times a second until stopped, every comment
    with a token and words of its own; counts the comments accepted (a redirect)."""

    def __init__(
        self,
        action_url: str,
        fields: dict[str, str],
        new_token: Callable[[], str],
        per_second: float = 1.0,
    ) -> None:
        super().__init__(daemon=True)
        self.action_url, self.fields, self.new_token = action_url, fields, new_token
        self.per_second = per_second
        self.sent = self.accepted = 0
        self.halt = threading.Event()

    def run(self) -> None:
        interval = 1 / self.per_second
        began = time.monotonic()
        while not self.halt.wait(max(0.0, began + self.sent * interval - time.monotonic())):
            body = f"Commentaire du lecteur pressé n° {self.sent} ({time.time_ns()}) : bravo !"
            try:
                status, _ = post_form(
                    self.action_url, self.fields | {"token": self.new_token(), "body": body}
                )
            except OSError:
                status = 0
            self.sent += 1
            self.accepted += status in (302, 303)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=35)


def readers(base: str, paths: list[str], *, seconds: float, quick: bool) -> load.Load:
    if quick:
        return load.run_python(base + paths[0], seconds=seconds, paths=paths)
    return load.run_wrk(base + paths[0], seconds=seconds, connections=16, paths=paths)


def mixed_load(
    base: str,
    paths: list[str],
    action_url: str,
    fields: dict[str, str],
    new_token: Callable[[], str],
    *,
    seconds: float,
    rounds: int,
    quick: bool,
) -> dict:
    """Readers alone and readers beside the commenters, in turns, `rounds` times each; the
    median of each figure over the rounds."""
    alone: list[load.Load] = []
    beside: list[load.Load] = []
    sent = accepted = 0
    readers(base, paths, seconds=min(seconds, 2), quick=quick)  # warm-up
    for _ in range(rounds):
        alone.append(readers(base, paths, seconds=seconds, quick=quick))
        commenters = Commenters(action_url, fields, new_token)
        commenters.start()
        try:
            beside.append(readers(base, paths, seconds=seconds, quick=quick))
        finally:
            commenters.stop()
        sent, accepted = sent + commenters.sent, accepted + commenters.accepted

    def summary(loads: list[load.Load]) -> dict:
        return {
            "rps": statistics.median(f.rps for f in loads),
            "p50_ms": statistics.median(f.p50_ms for f in loads),
            "p99_ms": statistics.median(f.p99_ms for f in loads),
            "errors": sum(f.errors for f in loads),
            "rounds_p99_ms": [f.p99_ms for f in loads],
        }

    return {
        "alone": summary(alone),
        "with_commenters": summary(beside),
        "comments_sent": sent,
        "comments_accepted": accepted,
        "comments_per_second": accepted / (rounds * seconds) if seconds else 0,
        "paths": paths,
        "seconds": seconds,
        "rounds": rounds,
    }
