"""The real production server (gunicorn with deploy/gunicorn.conf.py) on a loopback port, serving
a site in a temporary folder on the suite's database (SQLite, or PostgreSQL under
scripts/with-postgres); readers who send comments through it and send again what got no answer,
and readers who only load pages; `flask` commands run beside them as the operator runs them; and
the check that each acknowledged comment is stored exactly once. Shared by the deployment tests,
the crash tests and the tests of operations run beside traffic."""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import insert, select

from cms import PROJECT_ROOT
from cms.clock import utcnow
from cms.extensions import db
from cms.kernel.settings import ensure_settings_row
from cms.models import APPROVED, PUBLISHED, Author, Comment, Post
from cms.posts import render
from tests.conftest import PASSWORD, make_app
from tests.support.comments import TOKEN_RE

DEPLOY = PROJECT_ROOT / "deploy"
# A request not answered in this time counts as no answer (and is sent again by a Reader).
TIMEOUT = 30
# What a client sees when the process holding its connection is gone or was never there.
NO_ANSWER = (OSError, http.client.HTTPException)
REDIRECTS = (302, 303)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    text: str
    cookies: tuple[str, ...] = ()  # its Set-Cookie headers

    @property
    def comment_id(self) -> int | None:
        """The comment this answer redirects to (the `#comment-<id>` of its Location), if any."""
        match = re.search(r"#comment-(\d+)$", self.location)
        return int(match[1]) if self.status in REDIRECTS and match else None


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    form: dict | None = None,
    headers: dict | None = None,
) -> Answer:
    """One request on an open connection, read to the end (no redirect followed)."""
    headers = dict(headers or {})
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, urlencode(form) if form is not None else None, headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    cookies = tuple(response.headers.get_all("Set-Cookie") or ())
    return Answer(response.status, response.getheader("Location", ""), text, cookies)


def send(
    port: int, method: str, path: str, form: dict | None = None, headers: dict | None = None
) -> Answer:
    """One request on a connection of its own; raises one of NO_ANSWER when none comes."""
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)) as connection:
        return exchange(connection, method, path, form, headers)


def send_at_once(
    port: int, path: str, form: dict, copies: int, headers: dict | None = None
) -> list[Answer | None]:
    """The same POST sent `copies` times at once: every connection is open before any request
    goes. Each answer, or None where none came."""
    connections = [
        http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT) for _ in range(copies)
    ]
    answers: list[Answer | None] = [None] * copies
    ready = threading.Barrier(copies)

    def one(index: int) -> None:
        ready.wait()
        with suppress(*NO_ANSWER):
            answers[index] = exchange(connections[index], "POST", path, form, headers)

    try:
        for connection in connections:
            connection.connect()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for connection in connections:
            connection.close()
    return answers


# --- The site --------------------------------------------------------------------------------


@dataclass
class Site:
    """A test site ready to serve from `folder`: the app that built its database (to inspect
    it), and its one published post."""

    folder: Path
    app: Flask
    post_id: int
    slug: str = "busy"

    @property
    def comments_path(self) -> str:
        return f"/posts/{self.slug}/comments"


def new_site(tmp_path: Path, **config) -> Site:
    """A site on the suite's database with one published post (/posts/busy/) by alice, first
    comments published at once. The server reads `config` on top of settings that let a load
    through: no delay before a form may be sent (COMMENT_MIN_SECONDS) and no rate limit
    (COMMENT_RATE_LIMIT), unless `config` sets them."""
    app = make_app(tmp_path)
    with app.app_context():
        alice = Author(username="alice", display_name="Alice")
        alice.set_password(PASSWORD)
        post = Post(
            title="Busy",
            slug="busy",
            body="Talk.",
            status=PUBLISHED,
            published_at=utcnow(),
            author=alice,
        )
        render(post, "en")
        ensure_settings_row().moderate_first_comment = False
        db.session.add_all([alice, post])
        db.session.commit()
        post_id = post.id
    write_site(tmp_path, app, **config)
    return Site(tmp_path, app, post_id)


def write_site(tmp_path: Path, app: Flask, **config) -> None:
    """The instance's config.py, on `app`'s database (file or schema), and a WSGI module that
    builds the app on that instance."""
    instance = tmp_path / "instance"
    settings = {
        "SECRET_KEY": "concurrency-test-key",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "COMMENT_MIN_SECONDS": 0,
        "COMMENT_RATE_LIMIT": 0,
    } | config
    (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    (tmp_path / "site_wsgi.py").write_text(
        f"from cms import create_app\n\napp = create_app(instance_path={str(instance)!r})\n"
    )


def add_old_comments(site: Site, count: int) -> None:
    """`count` approved comments on a second published post (/posts/old-talk/), in one
    transaction: a database of some size for an operation to work through, while the busy
    post's page stays light."""
    with site.app.app_context():
        alice = db.session.scalar(select(Author).filter_by(username="alice"))
        post = Post(
            title="Old talk",
            slug="old-talk",
            body="Years of it.",
            status=PUBLISHED,
            published_at=utcnow(),
            author=alice,
        )
        db.session.add(post)
        db.session.flush()
        rows = [
            {
                "post_id": post.id,
                "author_name": f"Old reader {n % 50}",
                "author_email": f"old{n % 50}@example.org",
                "body": f"Old comment {n}: the harbour was quiet that winter, and the boats "
                "stayed in, their ropes creaking through the long nights.",
                "body_html": f"<p>Old comment {n}: the harbour was quiet that winter.</p>",
                "status": APPROVED,
            }
            for n in range(count)
        ]
        db.session.execute(insert(Comment), rows)
        db.session.commit()


def every_comment(site: Site) -> set[tuple[int, str]]:
    """(id, body) of every comment in the live database, on any post."""
    with site.app.app_context():
        return {tuple(row) for row in db.session.execute(select(Comment.id, Comment.body))}


def stored_comments(site: Site) -> list[tuple[int, str]]:
    """(id, body) of every comment the database holds on the site's post (an import beside the
    load brings others), in id order."""
    query = select(Comment.id, Comment.body).where(Comment.post_id == site.post_id)
    with site.app.app_context():
        return [tuple(row) for row in db.session.execute(query.order_by(Comment.id))]


def archived_comments(archive: Path, into: Path) -> list[tuple[int, str]]:
    """(id, body) of every comment in a backup archive's database, which is extracted to
    `into`/causerie.sqlite3 (and left there, for further checks)."""
    with tarfile.open(archive) as tar:
        tar.extract("causerie.sqlite3", into, filter="data")
    with closing(sqlite3.connect(into / "causerie.sqlite3")) as connection:
        return connection.execute("SELECT id, body FROM comments ORDER BY id").fetchall()


def flask(site: Site, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """A `flask` command run by the operator in the site's folder, on its instance (the
    developer's own CMS_* settings left out); its output captured as text."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    command = [str(Path(sys.executable).parent / "flask"), "--app", "site_wsgi", *args]
    return subprocess.run(
        command, cwd=site.folder, env=environment, capture_output=True, text=True, timeout=timeout
    )


# --- The server ------------------------------------------------------------------------------


class Gunicorn:
    """gunicorn serving a Site on one loopback port, in a process group of its own, and the
    ways production ends or disrupts it. Its output goes to `log`."""

    def __init__(
        self,
        site: Site,
        *,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 4,
        code: Path | None = None,
    ) -> None:
        self.site = site
        self.code = code  # a folder holding another version's cms package, served instead
        self.port = free_port()
        self.workers = workers
        # On the command line, over deploy/gunicorn.conf.py's sync workers. Only for gthread:
        # gunicorn runs sync workers as gthread ones when given more than one thread.
        self.worker_options = ["--worker-class", worker_class]
        if worker_class == "gthread":
            self.worker_options += ["--threads", str(threads)]
        self.log = site.folder / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server, and return once it answers /healthz."""
        # The developer's own CMS_* settings must not reach the test server.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
        environment["WEB_CONCURRENCY"] = str(self.workers)
        if self.code is not None:
            environment["PYTHONPATH"] = str(self.code)
        command = [str(Path(sys.executable).parent / "gunicorn"), "--config"]
        command += [str(DEPLOY / "gunicorn.conf.py"), *self.worker_options]
        command += ["--bind", f"127.0.0.1:{self.port}", "--chdir", str(self.site.folder)]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, "site_wsgi:app"],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=environment,
                # gunicorn puts the folder it starts in first on the path: the site's, never
                # this checkout's, so that `code` is the cms package the workers import.
                cwd=self.site.folder,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 30
            while True:
                with suppress(*NO_ANSWER):
                    if send(self.port, "GET", "/healthz").status == 200:
                        return
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, (
                    "gunicorn did not start:\n" + self.log.read_text()
                )
                time.sleep(0.05)
        except BaseException:
            self.kill()
            raise

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def kill_worker(self, rng: random.Random) -> None:
        """SIGKILL to one worker (the OOM killer's choice): the master starts another."""
        with suppress(ProcessLookupError):
            os.kill(rng.choice(self.worker_pids()), signal.SIGKILL)

    def kill_master(self) -> None:
        """SIGKILL to the master alone. Its workers go on serving, orphaned, until kill()."""
        self.process.kill()
        self.process.wait()

    def reload(self) -> None:
        """SIGHUP, as `systemctl reload`: new workers start, the old ones finish their requests."""
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        """A graceful stop (SIGTERM: requests in flight are answered), SIGKILL if it lingers."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        finally:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once, as a crash would (or systemd,
        KillMode=mixed, to the workers a dead master left); returns once the port is closed.
        Not a power cut: what the processes wrote stays in the kernel's cache and reaches the
        disk, so this cannot tell synchronous=FULL from NORMAL."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.02)
        raise AssertionError(f"port {self.port} still answers after the kill")


# --- Readers ---------------------------------------------------------------------------------


@dataclass
class Submission:
    """One comment a reader sends: the form (with the token its page carried) and every answer
    it got. `sends` counts the times it was sent; each send after the first followed one that
    got no answer."""

    form: dict
    answers: list[Answer] = field(default_factory=list)
    sends: int = 0

    @property
    def body(self) -> str:
        return self.form["body"]

    @property
    def comment_ids(self) -> set[int]:
        return {answer.comment_id for answer in self.answers if answer.comment_id is not None}


def send_until_answered(
    port: int, method: str, path: str, form=None, headers=None, *, deadline: float
) -> tuple[Answer | None, int]:
    """Send the same request again and again until an answer comes (a browser's retry after a
    reset, or a reader pressing the button again), at most until `deadline`. The answer, or None,
    and how many times the request was sent."""
    sends = 0
    while True:
        sends += 1
        try:
            return send(port, method, path, form, headers), sends
        except NO_ANSWER:
            if time.monotonic() > deadline:
                return None, sends
            time.sleep(0.05)


class Reader:
    """A reader commenting on a site: each comment is fetched (the post page, for the form's
    token), filled in and sent, and sent again while no answer comes."""

    def __init__(self, port: int, site: Site, name: str, headers: dict | None = None) -> None:
        self.port, self.site, self.name, self.headers = port, site, name, headers or {}

    def fill_in(self, body: str, *, patience: float = 60) -> dict:
        """The comment form as the post page serves it, with `body`."""
        page, _ = send_until_answered(
            self.port, "GET", f"/posts/{self.site.slug}/", deadline=time.monotonic() + patience
        )
        assert page is not None and page.status == 200, page
        token = TOKEN_RE.search(page.text)
        assert token, "the post page has no comment form"
        email = f"{self.name.lower().replace(' ', '.')}@example.org"
        return {"name": self.name, "email": email, "website": "", "body": body, "token": token[1]}

    def comment(self, body: str, *, patience: float = 60) -> Submission:
        submission = Submission(self.fill_in(body, patience=patience))
        self.send(submission, patience=patience)
        return submission

    def send(self, submission: Submission, *, patience: float = 60) -> None:
        answer, sends = send_until_answered(
            self.port,
            "POST",
            self.site.comments_path,
            submission.form,
            self.headers,
            deadline=time.monotonic() + patience,
        )
        submission.sends += sends
        if answer is not None:
            submission.answers.append(answer)


class Load:
    """Threads started by `with`, told to stop at its end and waited for."""

    threads: list[threading.Thread]
    stop: threading.Event

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in self.threads)


class Commenters(Load):
    """`count` readers, each commenting again and again until stopped, every comment with words
    of its own: a context manager, running while its block runs. `waits` holds how long each
    comment took to be answered, from its first send."""

    def __init__(self, server: Gunicorn, site: Site, count: int = 4) -> None:
        self.submissions: list[Submission] = []
        self.waits: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._comment, args=(Reader(server.port, site, f"Reader {i}"),))
            for i in range(count)
        ]

    def _comment(self, reader: Reader) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                body = f"{reader.name}, comment {n}: the tide is turning."
                submission = Submission(reader.fill_in(body))
                self.submissions.append(submission)
                started = time.monotonic()
                reader.send(submission)
                self.waits.append(time.monotonic() - started)
        except AssertionError as error:
            self.errors.append(f"{reader.name}: {error}")

    def acknowledged(self) -> set[tuple[int, str]]:
        """(id, body) of every comment the site has acknowledged so far."""
        return {(i, s.body) for s in list(self.submissions) for i in s.comment_ids}

    def acknowledged_since(self, count: int) -> int:
        """How many of the submissions after the first `count` were acknowledged."""
        return sum(1 for s in self.submissions[count:] if s.comment_ids)

    def wait_for(self, count: int, *, since: int = 0, timeout: float = 30) -> None:
        """Return once `count` of the submissions after the first `since` are acknowledged, or
        after `timeout` seconds (the test's own figures then say how far the load got)."""
        deadline = time.monotonic() + timeout
        while self.acknowledged_since(since) < count and time.monotonic() < deadline:
            time.sleep(0.05)


class PageReaders(Load):
    """`count` readers loading `pages` in turn until stopped, each page as soon as the last one
    came: a context manager, running while its block runs. `reads` holds (seconds, page,
    status) of each page read, `errors` each request that got no answer."""

    def __init__(self, port: int, pages: tuple[str, ...], count: int = 1) -> None:
        self.port, self.pages = port, pages
        self.reads: list[tuple[float, str, int]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read) for _ in range(count)]

    def _read(self) -> None:
        n = 0
        while not self.stop.is_set():
            page = self.pages[n % len(self.pages)]
            n += 1
            started = time.monotonic()
            try:
                status = send(self.port, "GET", page).status
            except NO_ANSWER as error:
                self.errors.append(f"GET {page}: no answer ({error})")
                continue
            self.reads.append((time.monotonic() - started, page, status))

    def slowest(self) -> tuple[float, str, int]:
        """The slowest read: (seconds, page, status)."""
        return max(self.reads)

    def failures(self) -> list[tuple[str, int]]:
        """(page, status) of every read not answered 200."""
        return [(page, status) for _, page, status in self.reads if status != 200]


# --- What must hold --------------------------------------------------------------------------


def answer_problems(submissions: list[Submission], *, taken: bool = True) -> list[str]:
    """What is wrong with the answers: a 5xx, a redirect that names no comment, answers naming
    different comments for one submission, no answer at all, a page that is not one. With
    `taken`, a submission answered on its first send must be taken (a redirect to its comment):
    for loads that nothing refuses (distinct bodies, no rate limit). A submission sent again may
    also get a friendly refusal (200 or 4xx): its first send may have been stored."""
    problems = []
    for submission in submissions:
        sends = "once" if submission.sends == 1 else f"{submission.sends} times"
        what = f"{submission.body!r} (sent {sends})"
        if not submission.answers:
            problems.append(f"{what}: never answered")
        for answer in submission.answers:
            if answer.status >= 500:
                problems.append(f"{what}: answered {answer.status}")
            elif answer.status in REDIRECTS and answer.comment_id is None:
                problems.append(f"{what}: redirected to {answer.location!r}, no comment")
            elif answer.comment_id is None and "</html>" not in answer.text:
                problems.append(f"{what}: answered {answer.status} without a page")
            elif taken and submission.sends == 1 and answer.comment_id is None:
                problems.append(f"{what}: refused with {answer.status} on its only send")
        if len(submission.comment_ids) > 1:
            problems.append(f"{what}: acknowledged as comments {sorted(submission.comment_ids)}")
    return problems


def storage_problems(site: Site, submissions: list[Submission]) -> list[str]:
    """What the database holds that it should not: an acknowledged comment missing, or holding
    another body; a body stored more than once (the bodies sent are all different); a comment
    nobody sent."""
    rows = stored_comments(site)
    bodies = dict(rows)
    copies = Counter(body for _, body in rows)
    sent = {submission.body for submission in submissions}
    problems = []
    for submission in submissions:
        for comment_id in sorted(submission.comment_ids):
            if comment_id not in bodies:
                problems.append(f"acknowledged comment {comment_id} is missing")
            elif bodies[comment_id] != submission.body:
                problems.append(f"acknowledged comment {comment_id} holds another body")
    for body, count in copies.items():
        if count > 1:
            ids = [comment_id for comment_id, stored in rows if stored == body]
            problems.append(f"{body!r} stored {count} times (ids {ids})")
        if body not in sent:
            problems.append(f"{body!r} stored, never sent")
    return problems


def burst_problems(site: Site, form: dict, answers: list[Answer | None]) -> list[str]:
    """What is wrong after the same submission was sent several times at once: it must be
    stored exactly once and taken at least once; every copy is answered, with a redirect to
    that comment or a friendly page (200 or 4xx), never a 5xx."""
    copies = Submission(form, [answer for answer in answers if answer is not None], len(answers))
    ids = [comment_id for comment_id, body in stored_comments(site) if body == copies.body]
    problems = answer_problems([copies], taken=False)
    if len(ids) != 1:
        problems.append(f"{copies.body!r} stored {len(ids)} times (ids {ids})")
    if None in answers:
        problems.append(f"{answers.count(None)} of {len(answers)} copies got no answer")
    if copies.answers and not copies.comment_ids:
        problems.append(f"{copies.body!r}: no copy was taken ({outcome(answers)})")
    if copies.comment_ids - set(ids):
        problems.append(f"acknowledged as {sorted(copies.comment_ids)}, stored as {ids}")
    return problems


def outcome(answers: list[Answer | None]) -> str:
    """Answers in a few words: "302 ×2, 200 ×4", "none" for a request without one."""
    counts = Counter("none" if answer is None else str(answer.status) for answer in answers)
    return ", ".join(f"{status} ×{count}" for status, count in sorted(counts.items()))
