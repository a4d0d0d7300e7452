"""Wrong passwords sent all at once through the real production server: each is counted before
its password is checked, so a burst gets no more free guesses than guesses sent one by one, and
the author, from elsewhere, still gets in."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.support.production_server import Gunicorn, new_site, send, send_at_once

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GUESSES = 8
FREE = 3


def login_form(port: int, headers: dict) -> tuple[dict, dict]:
    """The login form's fields and the session cookie it belongs to."""
    page = send(port, "GET", "/login", headers=headers)
    cookie = "; ".join(c.split(";", 1)[0] for c in page.cookies)
    return {"csrf_token": CSRF_RE.search(page.text)[1]}, headers | {"Cookie": cookie}


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_guesses_sent_at_once_get_the_free_attempts_and_no_more(tmp_path, worker_class):
    site = new_site(tmp_path, PROXY_COUNT=1, LOGIN_FREE_ATTEMPTS=FREE)
    threaded = worker_class == "gthread"
    server = Gunicorn(
        site, workers=2 if threaded else GUESSES, worker_class=worker_class, threads=GUESSES
    )
    server.start()
    try:
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        fields, headers = login_form(server.port, attacker)
        guess = fields | {"username": "alice", "password": "not the password"}
        answers = send_at_once(server.port, "/login", guess, GUESSES, headers)
        statuses = sorted(answer.status if answer else 0 for answer in answers)
        author = {"X-Forwarded-For": "198.51.100.20"}
        fields, headers = login_form(server.port, author)
        mine = send(
            server.port,
            "POST",
            "/login",
            fields | {"username": "alice", "password": PASSWORD},
            headers,
        )
    finally:
        server.stop()
    # Which guesses come first is the server's affair; how many are heard is not.
    assert statuses == [200] * FREE + [429] * (GUESSES - FREE), statuses
    assert mine.status == 302 and mine.location.endswith("/editor/"), mine.status
