"""Production serving: the deploy files agree with the app, proxies are trusted only when told,
and the real gunicorn server takes concurrent comments (the same one twice at once too) on the
suite's database without "database is locked", storing each acknowledged one exactly once."""

from __future__ import annotations

import configparser
import importlib.util
import re
import sqlite3
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from cms import config
from cms.extensions import db
from cms.models import Author, ThrottleEvent
from tests.conftest import PASSWORD, make_app
from tests.support.production_server import (
    DEPLOY,
    NO_ANSWER,
    Gunicorn,
    Reader,
    Submission,
    answer_problems,
    burst_problems,
    new_site,
    outcome,
    send,
    send_at_once,
    storage_problems,
    stored_comments,
)


def load_gunicorn_config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", DEPLOY / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_config_loads_and_binds_to_loopback(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("CAUSERIE_BIND", raising=False)
    settings = load_gunicorn_config()
    assert settings.bind == "127.0.0.1:8000"
    assert settings.worker_class == "sync" and settings.workers == 2
    assert settings.timeout > 0 and settings.graceful_timeout > 0
    assert settings.max_requests > 0 and 0 < settings.max_requests_jitter < settings.max_requests
    assert settings.preload_app is False
    assert settings.forwarded_allow_ips == ""  # the app decides whom to trust (PROXY_COUNT)
    assert callable(settings.post_fork)
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert load_gunicorn_config().workers == 5


def nginx_directives(name: str) -> list[str]:
    text = (DEPLOY / "nginx.conf").read_text()
    without_comments = re.sub(r"#[^\n]*", "", text)
    return [value.strip() for value in re.findall(rf"\b{name}\s+([^;]+);", without_comments)]


def test_nginx_body_limit_matches_the_app():
    (size,) = nginx_directives("client_max_body_size")
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    multiplier = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    assert int(number) * multiplier == config.MAX_CONTENT_LENGTH


def test_nginx_serves_files_and_proxies_to_gunicorn():
    aliases = nginx_directives("alias")
    assert any(alias.endswith("/static/") for alias in aliases)
    assert any(alias.endswith("/instance/uploads/") for alias in aliases)
    assert "http://causerie" in nginx_directives("proxy_pass")
    assert "127.0.0.1:8000" in nginx_directives("server")
    headers = nginx_directives("proxy_set_header")
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "Host"):
        assert any(line.startswith(header + " ") for line in headers), header
    assert nginx_directives("add_header").count('X-Content-Type-Options "nosniff" always') == 2
    assert all(value.endswith("d") for value in nginx_directives("expires"))


def test_nginx_buffers_slow_clients_and_sends_hsts_over_https_only():
    """tests/stress/test_slow_clients.py runs these against the real nginx."""
    # Whole requests and whole answers: a slow client never holds one of gunicorn's workers.
    assert nginx_directives("proxy_request_buffering") == ["on"]
    assert nginx_directives("proxy_buffering") == ["on"]
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        (value,) = nginx_directives(name)
        assert re.fullmatch(r"\d+s", value) and 0 < int(value[:-1]) <= 30, (name, value)
    (keepalive,) = nginx_directives("keepalive_timeout")
    assert 0 < int(keepalive.removesuffix("s")) <= 75

    text = re.sub(r"#[^\n]*", "", (DEPLOY / "nginx.conf").read_text())
    variable, entries = re.search(r"\bmap\s+\$scheme\s+\$(\w+)\s*\{([^}]*)\}", text).groups()
    assert sorted(re.findall(r"(\S+)\s+(\"[^\"]*\");", entries)) == [
        ("default", '""'),
        ("https", '"max-age=31536000"'),
    ]
    hsts = f"Strict-Transport-Security ${variable} always"
    # A location's own add_header drops the server's: each location repeats it.
    locations = re.findall(r"\blocation\s+[^{]+\{([^}]*)\}", text)
    assert len(locations) == 3
    assert all(hsts in " ".join(location.split()) for location in locations), locations
    assert nginx_directives("add_header").count(hsts) == len(locations) + 1  # and the server


def test_systemd_unit_runs_the_documented_command_hardened():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(DEPLOY / "causerie.service")
    service = unit["Service"]
    assert service["User"] == "causerie"
    assert service["WorkingDirectory"] == "/srv/causerie"
    assert service["Environment"] == "CMS_PROXY_COUNT=1"
    assert service["ExecStart"].endswith("gunicorn -c deploy/gunicorn.conf.py app:app")
    assert service["Restart"] == "on-failure"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/srv/causerie/instance"
    assert service["NoNewPrivileges"] == "true"


# --- Trusted proxies ---------------------------------------------------------------------------

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def login_throttle_keys(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(ThrottleEvent.key)))


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_headers_count_only_behind_a_trusted_proxy(tmp_path, proxies):
    app = make_app(tmp_path, PROXY_COUNT=proxies)
    client = app.test_client()
    with app.app_context():
        alice = Author(username="alice", display_name="Alice")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()

    client.post("/login", data={"username": "bob", "password": "wrong"}, headers=FORWARDED)
    address = "203.0.113.7" if proxies else "127.0.0.1"
    assert f"login-client:{address}" in login_throttle_keys(app)

    response = client.post(
        "/login", data={"username": "alice", "password": PASSWORD}, headers=FORWARDED
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in cookie) == bool(proxies)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- The production server under concurrent writes ----------------------------------------------

WORKERS = 3
THREADS = 16
SECONDS = 4.0


@pytest.fixture
def gunicorn_site(tmp_path):
    """The real production server (gunicorn with deploy/gunicorn.conf.py, several workers) on a
    free loopback port, serving a site with one post on the suite's database."""
    site = new_site(tmp_path)
    server = Gunicorn(site, workers=WORKERS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_concurrent_comments_on_gunicorn_are_each_stored_once(gunicorn_site):
    """Readers comment (each comment on a form fetched for it) while others read: no database
    is locked, and every acknowledged comment is stored exactly once, under its own id."""
    server = gunicorn_site
    site = server.site
    submissions: list[Submission] = []
    deadline = time.monotonic() + SECONDS

    def post_comments(thread: int) -> None:
        reader = Reader(server.port, site, f"Reader {thread}")
        n = 0
        while time.monotonic() < deadline:
            n += 1
            # Sent once: a comment without an answer is not sent again, and fails the test.
            submissions.append(reader.comment(f"Comment {n} from thread {thread}.", patience=0))

    reads: Counter[int] = Counter()

    def read_pages() -> None:
        # Readers at the same time as the commenters: every page answers, none waits on a lock.
        while time.monotonic() < deadline:
            for address in ("/", "/posts/busy/", "/feed.xml"):
                try:
                    status = send(server.port, "GET", address).status
                except NO_ANSWER:
                    status = 0
                reads[status] += 1

    threads = [threading.Thread(target=post_comments, args=(i,)) for i in range(THREADS)]
    threads += [threading.Thread(target=read_pages) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)

    acknowledged = [submission for submission in submissions if submission.comment_ids]
    # No 5xx, no refusal, no dropped connection; then each one stored once, under its own id.
    assert not answer_problems(submissions), answer_problems(submissions)[:10]
    assert len(acknowledged) >= THREADS, len(acknowledged)
    assert set(reads) == {200}, reads
    output = server.log.read_text()
    assert "database is locked" not in output
    assert "Traceback" not in output
    assert not storage_problems(site, submissions), storage_problems(site, submissions)[:10]
    assert len(stored_comments(site)) == len(acknowledged)


def test_the_same_comment_sent_twice_at_once_on_gunicorn_is_stored_once(gunicorn_site):
    """A double click: the same form sent twice at the same moment, to two workers."""
    server = gunicorn_site
    reader = Reader(server.port, server.site, "Reader")
    problems, figures = [], []
    for attempt in range(1, 6):
        form = reader.fill_in(f"Attempt {attempt}: a double click.")
        answers = send_at_once(server.port, server.site.comments_path, form, 2)
        problems += burst_problems(server.site, form, answers)
        figures.append(f"attempt {attempt}: answers {outcome(answers)}")
    assert not problems, "\n".join(problems + figures)


def test_reads_never_wait_for_a_writer_and_writes_wait_their_turn(tmp_path):
    """Another process holds SQLite's write lock: pages still answer at once, and a form that
    writes waits for the lock (busy timeout) instead of failing. (/healthz probes a write: a
    lock held past its 2 s makes it 503, tests/ops/test_health.py.)"""
    database = tmp_path / "instance" / "causerie.sqlite3"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    client = app.test_client()
    client.get("/")  # the settings row exists before the lock is taken
    other = sqlite3.connect(database, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO throttle_events (key, at) VALUES ('other', CURRENT_TIMESTAMP)")
        started = time.monotonic()
        assert client.get("/").status_code == 200
        assert time.monotonic() - started < 2

        threading.Timer(1.0, other.execute, args=("COMMIT",)).start()
        started = time.monotonic()
        response = client.post("/login", data={"username": "x", "password": "wrong password"})
        waited = time.monotonic() - started
        assert response.status_code == 200 and "Wrong username or password." in response.text
        assert waited >= 0.9  # it queued behind the other writer rather than failing
    finally:
        other.close()
    assert "login-client:127.0.0.1" in login_throttle_keys(app)
