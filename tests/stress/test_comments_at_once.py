"""The same comment sent several times at once (a double click, a browser and its retry, a
reader on two tabs) through the real production server, sync and threaded workers, with the
comment rate limit on and off: one row, and every copy answered with a redirect to it or a
friendly page."""

from __future__ import annotations

import pytest

from tests.support.production_server import (
    Gunicorn,
    Reader,
    burst_problems,
    new_site,
    outcome,
    send_at_once,
    stored_comments,
)

COPIES = 6
BURSTS = 4


@pytest.mark.parametrize("rate_limit", [0, 5], ids=["no-rate-limit", "rate-limit"])
@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_the_same_submission_sent_at_once_is_stored_once(tmp_path, worker_class, rate_limit):
    # Behind one trusted proxy (nginx), each burst comes from an address of its own, so that a
    # rate limit counts each burst from zero: COPIES attempts, one more than the limit allows.
    site = new_site(tmp_path, COMMENT_RATE_LIMIT=rate_limit, PROXY_COUNT=1)
    # Every copy in a process or thread of its own, all at the same moment.
    threaded = worker_class == "gthread"
    server = Gunicorn(
        site, workers=2 if threaded else COPIES, worker_class=worker_class, threads=COPIES
    )
    problems, figures = [], []
    server.start()
    try:
        for burst in range(1, BURSTS + 1):
            address = {"X-Forwarded-For": f"203.0.113.{burst}"}
            reader = Reader(server.port, site, f"Reader {burst}", address)
            form = reader.fill_in(f"Burst {burst}: the same words, sent {COPIES} times at once.")
            answers = send_at_once(server.port, site.comments_path, form, COPIES, address)
            found = burst_problems(site, form, answers)
            problems += [f"burst {burst}: {problem}" for problem in found]
            rows = sum(body == form["body"] for _, body in stored_comments(site))
            figures.append(f"burst {burst}: {rows} rows, answers {outcome(answers)}")
    finally:
        server.stop()
    assert not problems, "\n".join(problems + figures)
