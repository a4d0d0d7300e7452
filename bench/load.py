"""Load generators: wrk for the real runs, a tiny sequential Python client for --quick."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

HERE = Path(__file__).resolve().parent
# Comment-form tokens made ready per second of a wrk comment load.
TOKENS_PER_SECOND = 3000


@dataclass
class Load:
    """One load's figures, whatever made them."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses, socket errors and timeouts
    bytes: int = 0
    redirects: int = 0  # for the comment POST: comments accepted
    shown_again: int = 0  # for the comment POST: 200, the form shown again (refused)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class CommentForm:
    """What the comment POST load sends: the form's action path, its fields but the token and
    the text (url-encoded), and where new tokens come from. One comment is accepted per form,
    so every request carries a token of its own, as every reader's page does."""

    path: str
    fields: str
    new_token: Callable[[], str]

    def body(self, text: str) -> str:
        return f"{self.fields}&token={quote_plus(self.new_token())}&body={text}"


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 2,
    post_form: CommentForm | None = None,
    run_id: str = "0",
    paths: list[str] | None = None,
) -> Load:
    """Load `url` with wrk for `seconds`; with post_form, POST the comment form instead of
    GETting the page; with paths, GET those pages of url's server in turn."""
    script = HERE / ("comment.lua" if post_form else "mixed.lua" if paths else "report.lua")
    env = os.environ | {"BENCH_DIR": str(HERE), "BENCH_RUN": run_id}
    if paths:
        env["BENCH_PATHS"] = " ".join(paths)
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", encoding="ascii") as supply:
        if post_form:
            # More tokens than the fastest server could take in the time: wrk cannot sign them.
            count = int(max(1, seconds) * TOKENS_PER_SECOND)
            supply.write("\n".join(post_form.new_token() for _ in range(count)) + "\n")
            supply.flush()
            env |= {"BENCH_PATH": post_form.path, "BENCH_FORM": post_form.fields,
                    "BENCH_TOKENS": supply.name, "BENCH_THREADS": str(threads)}  # fmt: skip
        return _wrk(url, seconds=seconds, connections=connections, threads=threads,
                    script=script, env=env)  # fmt: skip


def _wrk(
    url: str, *, seconds: float, connections: int, threads: int, script: Path, env: dict
) -> Load:
    command = [
        wrk_binary() or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout", "10s",
        "-s", str(script),
        url,
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(
        data[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        bytes=data["bytes"],
        redirects=data["redirects"],
        shown_again=data["ok"],
    )


def _request(
    connection: http.client.HTTPConnection, method: str, path: str, body: str | None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def run_python(
    url: str,
    *,
    seconds: float,
    post_form: CommentForm | None = None,
    run_id: str = "0",
    paths: list[str] | None = None,
) -> Load:
    """A sequential client for --quick: enough to prove every page answers, not to measure.
    With paths, GETs those pages of url's server in turn."""
    parts = urlsplit(url)
    path = (
        post_form.path
        if post_form
        else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    )
    turns = paths or [path]
    latencies: list[float] = []
    errors = redirects = shown_again = size = 0
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        n += 1
        body = None
        if post_form:
            body = post_form.body(f"Commentaire+rapide+{run_id}-{n}+%3A+merci+%21")
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        began = time.perf_counter()
        try:
            status, data = _request(
                connection, "POST" if post_form else "GET", turns[n % len(turns)], body
            )
        except OSError:
            errors += 1
            continue
        finally:
            connection.close()
        latencies.append(time.perf_counter() - began)
        size += len(data)
        if 300 <= status < 400:
            redirects += 1
        elif 200 <= status < 300:
            shown_again += 1
        else:
            errors += 1
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]
    return Load(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=errors,
        bytes=size,
        redirects=redirects,
        shown_again=shown_again,
    )
