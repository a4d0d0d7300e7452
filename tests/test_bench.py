"""The benchmark's --quick pass: the harness still builds its site, serves it and loads it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cms import PROJECT_ROOT


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    """One --quick run for the module's tests: its JSON figures and what it printed."""
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--seconds", "0.5", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


PAGES = ["post page (20 of its 50 comments shown)", "home page", "tag page", "feed"]
LEAN_PAGES = [f"lean reference: {page}" for page in ("post page", "home page", "tag page", "feed")]


def test_quick_benchmark_serves_every_page_and_stores_every_comment(quick_run):
    run, stdout = quick_run
    rows = {row["name"]: row for row in run["rows"]}
    for name in ["hello-world (Flask)", *LEAN_PAGES, *PAGES]:
        assert rows[name]["load"]["requests"] > 0, name
        assert rows[name]["load"]["errors"] == 0, name
    comments = run["figures"]["comments"]
    assert comments["errors"] == comments["locked"] == comments["refused_shown_again"] == 0
    assert comments["accepted_responses"] > 0
    assert comments["stored"] >= comments["accepted_responses"]
    assert comments["duplicated"] == 0
    checks = {name: ok for name, ok, _detail, _decisive in run["checks"]}
    assert checks["304 Not Modified"]
    assert checks["freshness"]
    assert f"| {PAGES[0]} |" in stdout


def test_quick_benchmark_times_causerie_beside_the_lean_reference_in_process(quick_run):
    run, stdout = quick_run
    ip = run["inprocess"]
    rows = {row["page"]: row for row in ip["rows"]}
    for page in ("post page", "home page", "tag page", "feed"):
        for variant in ("uncached", "page cache on"):
            row = rows[f"{page}, {variant}"]
            assert row["requests"] == ip["rounds"] > 0
            assert row["causerie_ms"] > 0 and row["lean_ms"] > 0, row
            assert row["statements"] >= 1, row
        # The reference renders the same page: the same size within 2 %, whatever the
        # templates become (the exact comparison is printed, not asserted).
        uncached = rows[f"{page}, uncached"]
        assert abs(uncached["causerie_bytes"] - uncached["lean_bytes"]) <= (
            0.02 * uncached["causerie_bytes"]
        ), uncached
        assert uncached["lean_statements"] >= 1
    # A stored page costs far less than any render, and rendering 50 comments more than 20.
    assert (
        rows["post page, page cache on"]["causerie_ms"] < rows["post page, uncached"]["causerie_ms"]
    )
    fifty = rows["post page, 50 comments shown, uncached"]
    assert fifty["causerie_bytes"] > rows["post page, uncached"]["causerie_bytes"]
    assert fifty["lean_bytes"] > rows["post page, uncached"]["lean_bytes"]
    assert set(ip["per_comment"]) >= {"causerie_ms", "lean_ms", "ratio"}
    # The comment POST of both stored a comment (a redirect), with an INSERT among the statements.
    post = rows["comment POST"]
    assert post["causerie_ms"] > 0 and post["lean_ms"] > 0
    assert "INSERT comments" in post["labels"] and post["lean_statements"] >= 1
    change = ip["after_change"]
    assert change["first_ms"] > 0 and change["uncached_ms"] > 0 and change["statements"] >= 1
    # Site-wide reads run by every page are flagged as repeated within the content version.
    assert any("site_settings" in label for label in rows["post page, uncached"]["repeated"])
    assert "| in-process CPU per request (median of" in stdout
    assert "| post page, first request after a content change" in stdout


def test_quick_benchmark_counts_memory_start_up_and_the_mixed_load(quick_run):
    run, stdout = quick_run
    memory = run["figures"]["memory"]
    for name in ("causerie", "lean", "hello"):
        m = memory[name]
        assert m["processes"] == run["workers"] + 1, name
        assert 0 < m["uss"] <= m["pss"] <= m["rss"], m
    # Causerie's libraries and code weigh more than a Flask hello-world.
    assert memory["causerie"]["pss"] > memory["hello"]["pss"]
    start = run["figures"]["startup"]
    assert start["cpu_s"] > 0 and start["libraries_cpu_s"] > 0
    assert start["library_modules"] > 50  # Flask, SQLAlchemy, Babel, WTForms and their parts
    mixed = run["figures"]["mixed"]
    assert mixed["alone"]["errors"] == mixed["with_commenters"]["errors"] == 0
    assert mixed["alone"]["rps"] > 0 and mixed["with_commenters"]["rps"] > 0
    assert mixed["comments_sent"] >= 1
    assert mixed["comments_accepted"] == mixed["comments_sent"]
    assert "| memory after the loads" in stdout
    assert "| mixed load: readers on" in stdout


def test_quick_benchmark_prints_every_target_with_a_verdict(quick_run):
    run, stdout = quick_run
    names = {t["name"] for t in run["targets"]}
    assert names == {
        "uncached post page, 20 comments shown: CPU",
        "uncached post page, 50 comments shown: CPU",
        "each extra comment shown: CPU",
        "uncached post page: SQL statements",
        "first request after a content change: CPU",
        "comment POST: CPU",
        "accepted comments per second (32 writers, synchronous=FULL)",
        "mixed load: readers' p99 beside commenters",
        "memory: PSS of master + workers, against the reference",
        "memory: PSS of master + workers",
        "start-up: import cms + create_app(), CPU",
    }
    assert all(t["ok"] in (True, False) for t in run["targets"])
    assert "| target (issue 17) | Causerie | reference | measured | target | verdict |" in stdout
    for target in run["targets"]:
        verdict = "meets" if target["ok"] else "misses"
        assert f"| {target['name']} |" in stdout and f"| {verdict} |" in stdout


def test_quick_benchmark_prints_the_abuse_figures(quick_run):
    run, stdout = quick_run
    ordinary, hostile, short = run["abuse"]["comments"]
    assert ordinary["statuses"] == [302] and hostile["ratio"] > 0
    assert short["status"] == 302
    at_once = {(row["database"], row["spam_limits"]): row for row in run["abuse"]["at_once"]}
    for spam_limits in (True, False):
        row = at_once[("SQLite", spam_limits)]
        assert len(row["statuses"]) == 6 and row["stored"] >= 1
    assert {row["name"] for row in run["abuse"]["texts"]} >= {"comment of '['", "post of '[!['"}
    assert "| abuse: comment POST to gunicorn |" in stdout
    assert "| abuse: 6 identical submissions at once |" in stdout


def test_quick_benchmark_prints_what_durable_commits_cost(quick_run):
    run, stdout = quick_run
    rates = run["figures"]["durability"]["per_second"]
    assert set(rates) == {"FULL", "NORMAL"} and min(rates.values()) > 0
    assert "| the site's own engine and pragmas | FULL (the default: survives a power cut) |" in (
        stdout
    )
    assert "| the site's own engine and pragmas | NORMAL |" in stdout


def test_the_reference_numbers_its_pages_as_causerie_does():
    """The lean reference's pagination links are Flask-SQLAlchemy's, which Causerie renders."""
    from flask_sqlalchemy.pagination import Pagination

    from bench.lean import iter_pages

    class Pages(Pagination):
        def __init__(self, page: int, pages: int) -> None:
            self.page, self.per_page, self.total = page, 1, pages
            self.items = []

        def _query_items(self):  # never called: the numbers need no query
            return []

        def _query_count(self):
            return self.total

    for pages in range(0, 25):
        for page in range(1, max(pages, 1) + 1):
            assert list(iter_pages(page, pages)) == list(Pages(page, pages).iter_pages())


def test_page_comparison_ignores_the_form_token_and_counts_what_differs():
    from bench.inprocess import same_markup

    page = b'<p>x</p>\n<input id="comment-token" name="token" type="hidden" value="1.2.abc.sig">\n'
    other = page.replace(b"1.2.abc.sig", b"1.3.def.gis")
    assert same_markup(page, other) == "identical"
    assert same_markup(page, other.replace(b"<p>x</p>", b"<p>y</p>")) == "2 lines differ"


def test_statement_labels_name_the_table_and_the_column_selected_on():
    from bench.inprocess import label, statement_key

    assert label("SELECT posts.id FROM posts WHERE posts.slug = 'a'") == "SELECT posts by slug"
    assert (
        label("SELECT count(*) FROM (SELECT comments.id FROM comments WHERE comments.post_id = 1)")
        == "SELECT count comments by post_id"
    )
    assert label("INSERT INTO comments (body) VALUES ('x')") == "INSERT comments"
    # A list of posts with each one's count of comments (a subquery) reads posts.
    assert (
        label(
            "SELECT posts.id, (SELECT count(comments.id) FROM comments WHERE comments.post_id = "
            "posts.id) AS n FROM posts WHERE posts.kind = 'post' LIMIT 10"
        )
        == "SELECT posts by kind"
    )
    assert label("SELECT tags.id FROM tags, post_tags WHERE 1 = post_tags.post_id") == (
        "SELECT tags by post_id"
    )
    # The same read at another moment is the same statement.
    assert statement_key(
        "SELECT * FROM posts WHERE published_at <= '2026-12-04 21:35:00.902252'"
    ) == statement_key("SELECT * FROM posts WHERE published_at <= '2026-12-04 21:36:01.1'")
