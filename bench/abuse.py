"""The abuse figures (issue 14, comments under abuse): a hostile comment against an ordinary one
of the same length on the real server, a short comment sent while hostile ones hold every worker,
identical submissions sent at once, and what hostile texts cost to render as they grow.

`python -m bench.abuse --postgres --out FILE` runs the identical-submissions figure alone on the
PostgreSQL server that CMS_TEST_DATABASE_URL names (`scripts/with-postgres` makes one): bench.run
calls it that way when PostgreSQL is installed and no server is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from . import servers
from .client import comment_form, post_form
from .sitebuilder import _COMMENTS, Site, build_site

HOSTILE_LENGTH = 4900
TIME_RATIO_TARGET = 10.0
WAIT_TARGET_S = 1.0
AT_ONCE = 6
# The spam limits as shipped (cms/config.py): the time trap, and comments per address and minute.
SPAM_ON = {"CMS_COMMENT_MIN_SECONDS": "3", "CMS_COMMENT_RATE_LIMIT": "5"}
SPAM_OFF = {"CMS_COMMENT_MIN_SECONDS": "0", "CMS_COMMENT_RATE_LIMIT": "0"}
TIME_TRAP_S = 3
WRITER = {"name": "Lectrice pressée", "email": "pressee@example.org", "website": ""}


# --- the texts -----------------------------------------------------------------------------------


def hostile_comment(length: int, tag: str) -> str:
    """Bracket and image-link runs, `length` characters with the tag that makes it unique."""
    runs = "[" * (length // 2) + "![" * length
    return runs[: length - len(tag) - 1] + " " + tag


def ordinary_comment(length: int, tag: str) -> str:
    """Sentences a reader would write, `length` characters with the tag that makes it unique."""
    text = ""
    while len(text) < length:
        text += " ".join(_COMMENTS) + " "
    return text[: length - len(tag) - 1].rstrip() + " " + tag


# --- posting ---------------------------------------------------------------------------------------


def _fields(page_url: str) -> tuple[str, dict[str, str]]:
    """The comment form of the post at page_url: where it posts, and its fields but the text."""
    form = comment_form(page_url)
    fields = dict(form["hidden"]) | WRITER
    fields.pop("body", None)
    return urlsplit(form["action"]).path, fields


def _timed_post(url: str, fields: dict[str, str]) -> tuple[float, int]:
    began = time.perf_counter()
    status, _headers = post_form(url, fields)
    return time.perf_counter() - began, status


def comment_times(base: str, page_path: str, *, rounds: int, workers: int) -> list[dict]:
    """(a): hostile and ordinary comments of the same length posted in turn (median of `rounds`
    each, wall time of the whole POST), then one hostile comment in flight per worker and a
    short comment sent 10 ms later: how long that one waits. Each comment is sent with a form
    of its own, fetched beforehand (one comment is accepted per form)."""
    page = base + page_path

    def form() -> tuple[str, dict[str, str]]:
        action, fields = _fields(page)
        return base + action, fields

    times: dict[str, list[float]] = {"ordinary": [], "hostile": []}
    statuses: set[int] = set()
    run = time.time_ns()
    for n in range(rounds):
        for kind, make in (("ordinary", ordinary_comment), ("hostile", hostile_comment)):
            url, fields = form()
            took, status = _timed_post(url, fields | {"body": make(HOSTILE_LENGTH, f"{run}-{n}")})
            times[kind].append(took)
            statuses.add(status)
    in_flight: list[float] = []
    forms = [form() for _ in range(workers + 1)]

    def hostile_in_flight(n: int) -> None:
        url, fields = forms[n]
        body = hostile_comment(HOSTILE_LENGTH, f"{run}-f{n}")
        in_flight.append(_timed_post(url, fields | {"body": body})[0])

    senders = [threading.Thread(target=hostile_in_flight, args=(n,)) for n in range(workers)]
    for sender in senders:
        sender.start()
    time.sleep(0.01)
    url, fields = forms[workers]
    wait, short_status = _timed_post(url, fields | {"body": f"Merci ! ({run})"})
    for sender in senders:
        sender.join()
    ordinary, hostile = statistics.median(times["ordinary"]), statistics.median(times["hostile"])
    return [
        {"name": f"ordinary comment, {HOSTILE_LENGTH:,} characters", "seconds": ordinary,
         "statuses": sorted(statuses)},
        {"name": f"hostile comment, {HOSTILE_LENGTH:,} characters of '[' and '![' runs",
         "seconds": hostile, "ratio": hostile / ordinary if ordinary else None},
        {"name": f"short comment, sent while {workers} hostile ones hold the {workers} workers",
         "seconds": wait, "status": short_status,
         "in_flight_seconds": max(in_flight, default=None)},
    ]  # fmt: skip


def identical_at_once(
    base: str, page_path: str, count_stored: Callable[[str], int], *, spam_on: bool
) -> dict:
    """(b): AT_ONCE copies of one submission (the same form, token and text) sent together."""
    action, fields = _fields(base + page_path)
    body = f"Six fois le même commentaire, envoyé d'un coup ({time.time_ns()})."
    if spam_on:
        time.sleep(TIME_TRAP_S + 0.5)  # the form is as old as a person's would be
    start = threading.Barrier(AT_ONCE)
    statuses: list[int] = []

    def send() -> None:
        start.wait()
        statuses.append(post_form(base + action, fields | {"body": body})[0])

    senders = [threading.Thread(target=send) for _ in range(AT_ONCE)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return {"stored": count_stored(body), "statuses": sorted(statuses)}


def sqlite_counter(site: Site) -> Callable[[str], int]:
    def count(body: str) -> int:
        with sqlite3.connect(f"file:{site.database}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM comments WHERE body = ?", (body,)).fetchone()[0]

    return count


def postgres_counter(uri: str) -> Callable[[str], int]:
    import psycopg

    def count(body: str) -> int:
        with psycopg.connect(uri.replace("+psycopg", "")) as db:
            return db.execute("SELECT count(*) FROM comments WHERE body = %s", (body,)).fetchone()[
                0
            ]

    return count


# --- what texts cost -------------------------------------------------------------------------------


def _repeat(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def _long_line(words: int, every: int = 0) -> str:
    return " ".join(
        f"CHANGÉ{n}" if every and n % every == 0 else f"mot{n % 97} pain{n % 89}"
        for n in range(words)
    )


def _text_costs() -> dict[str, Callable[[int], Callable[[], object]]]:
    """Each hostile shape: given a length, the call that renders (or diffs, or imports) it."""
    from cms.markup import render_comment, render_post
    from cms.revisions.diff import line_diff
    from cms.wordpress.content import comment_source
    from cms.wordpress.filters import strip_shortcodes, wpautop

    def comment(unit: str) -> Callable[[int], Callable[[], object]]:
        return lambda n: lambda: render_comment(_repeat(unit, n), "fr")

    return {
        "comment of '['": comment("["),
        "comment of '!['": comment("!["),
        "comment of '[!['": comment("[!["),
        "comment of '[a](b( '": comment("[a](b( "),
        "comment of '``a`'": comment("``a`"),
        "post of '[!['": lambda n: lambda: render_post(_repeat("[![", n), "fr"),
        "post of one-line headings": lambda n: lambda: render_post(_repeat("# a\n", n), "fr"),
        # About 11 characters a word.
        "revision diff of one line, 1 word in 10 changed": lambda n: (
            lambda: line_diff(_long_line(n // 11), _long_line(n // 11, every=10))
        ),
        "WordPress post: '</object>' and spaces": lambda n: (
            lambda: wpautop("</object>" + " " * n + "x")
        ),
        "WordPress post: '[gallery' runs": lambda n: (
            lambda: strip_shortcodes(_repeat("[gallery", n))
        ),
        "WordPress comment: '<b' lines": lambda n: lambda: comment_source(_repeat("<b\n", n)),
    }


def text_costs(length: int) -> list[dict]:
    """CPU time of each shape at `length` characters and at twice that (best of 3): twice the
    length should cost about twice the time, four times if the cost grew with its square."""
    rows = []
    for name, make in _text_costs().items():
        seconds = []
        for size in (length, 2 * length):
            call, best = make(size), float("inf")
            for _ in range(3):
                began = time.process_time()
                call()
                best = min(best, time.process_time() - began)
            seconds.append(best)
        rows.append({"name": name, "length": length, "seconds": seconds,
                     "ratio": seconds[1] / seconds[0] if seconds[0] else None})  # fmt: skip
    return rows


# --- PostgreSQL ------------------------------------------------------------------------------------


def postgres_at_once(workdir: Path, workers: int) -> list[dict]:
    """(b) on the PostgreSQL server of CMS_TEST_DATABASE_URL, in a database of its own that is
    dropped afterwards: spam limits on, then off."""
    import psycopg

    server_uri = os.environ["CMS_TEST_DATABASE_URL"]
    name = f"causerie_bench_{os.getpid()}"
    admin = server_uri.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    uri = server_uri.rsplit("/", 1)[0] + "/" + name
    started: list[servers.Server] = []
    try:
        site = build_site(workdir / "postgres", posts=0, model_comments=0, database_uri=uri)
        results = []
        for spam_on in (True, False):
            server = servers.start_gunicorn(
                "causerie-postgres", "bench.wsgi:app", workers=workers, log_dir=workdir,
                env={"CAUSERIE_BENCH_INSTANCE": site.instance} | (SPAM_ON if spam_on else SPAM_OFF),
            )  # fmt: skip
            started.append(server)
            figures = identical_at_once(server.url, f"/posts/{site.model_slug}/",
                                        postgres_counter(uri), spam_on=spam_on)  # fmt: skip
            results.append({"database": "PostgreSQL", "spam_limits": spam_on} | figures)
            server.stop()
        return results
    finally:
        for server in started:
            server.stop()
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def postgres_figures(workdir: Path, workers: int, *, start_server: bool) -> tuple[list[dict], str]:
    """(b) on PostgreSQL: on CMS_TEST_DATABASE_URL's server when set, else (start_server, and
    PostgreSQL installed) on a throwaway one from scripts/with-postgres; a note when neither."""
    if os.environ.get("CMS_TEST_DATABASE_URL"):
        return postgres_at_once(workdir, workers), ""
    if not (start_server and postgres_installed()):
        return [], ("identical submissions on PostgreSQL: not measured (no server: "
                    "`scripts/with-postgres` makes one, `make bench` uses it when installed)")  # fmt: skip
    out = workdir / "postgres.json"
    done = subprocess.run(  # noqa: S603 (our own script and interpreter)
        [str(servers.PROJECT_ROOT / "scripts" / "with-postgres"), sys.executable, "-m",
         "bench.abuse", "--postgres", "--workers", str(workers), "--out", str(out)],
        cwd=servers.PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        return [], f"identical submissions on PostgreSQL: failed ({done.stderr.strip()[-300:]})"
    return json.loads(out.read_text(encoding="utf-8")), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__)
    parser.add_argument("--postgres", action="store_true", required=True,
                        help="identical submissions on CMS_TEST_DATABASE_URL's server")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="causerie-bench-pg-"))
    try:
        figures = postgres_at_once(workdir, args.workers)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
