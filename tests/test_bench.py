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
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def test_quick_benchmark_serves_every_page_and_stores_every_comment(quick_run):
    run, stdout = quick_run
    rows = {row["name"]: row for row in run["rows"]}
    pages = ["post page, 50 comments", "home page", "tag page", "feed"]
    for name in ["hello-world (Flask)", "the same libraries, no Causerie", *pages]:
        assert rows[name]["load"]["requests"] > 0, name
        assert rows[name]["load"]["errors"] == 0, name
    comments = run["figures"]["comments"]
    assert comments["errors"] == comments["locked"] == comments["refused_shown_again"] == 0
    assert comments["accepted_responses"] > 0
    assert comments["stored"] >= comments["accepted_responses"]
    checks = {name: ok for name, ok, _detail, _decisive in run["checks"]}
    assert checks["304 Not Modified"]
    assert checks["freshness"]
    # The libraries' reference was measured: the memory check sets Causerie's workers beside it.
    assert (
        rows["the same libraries, no Causerie"]["rss_mib"] > rows["hello-world (Flask)"]["rss_mib"]
    )
    assert "| post page, 50 comments |" in stdout


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
