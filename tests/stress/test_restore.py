"""`flask restore` run against the real production server while readers comment: every comment
the site acknowledged is, by its id and words, in the restored database or in the safety copy
that restore kept, once; and no id is ever given to two different comments."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, make_app
from tests.support.production_server import (
    Commenters,
    Gunicorn,
    answer_problems,
    archived_comments,
    flask,
    new_site,
    stored_comments,
)

ROUNDS = 3
COMMENTERS = 4
WORKERS = 2
SAFETY = "Safety copy of the previous content: "


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="restore copies SQLite databases")
def test_restore_under_comments_loses_nothing_and_reuses_no_id(tmp_path):
    site = new_site(tmp_path)
    server = Gunicorn(site, workers=WORKERS)
    safety_copies: list[Path] = []
    during: list[int] = []  # comments acknowledged while each restore ran
    server.start()
    try:
        with Commenters(server, site, COMMENTERS) as commenters:
            for _ in range(ROUNDS):
                time.sleep(1)
                backup = flask(site, "backup")
                assert backup.returncode == 0, backup.stdout + backup.stderr
                time.sleep(1)  # comments the restore takes away, kept in its safety copy
                before = len(commenters.submissions)
                restore = flask(site, "restore", backup.stdout.strip(), "--yes")
                assert restore.returncode == 0, restore.stdout + restore.stderr
                during.append(commenters.acknowledged_since(before))
                safety_copies.append(Path(restore.stdout.split(SAFETY)[1].splitlines()[0]))
            time.sleep(1)
    finally:
        server.stop()

    submissions = commenters.submissions
    acknowledged = {(s.body, i) for s in submissions for i in s.comment_ids}
    figures = (
        f"{len(submissions)} comments sent, {len(acknowledged)} acknowledged, "
        f"acknowledged while each restore ran: {during}"
    )
    assert not commenters.errors, commenters.errors
    problems = answer_problems(submissions)
    # Where each comment is: the database, and each safety copy, by (id, body).
    places = {"the database": stored_comments(site)}
    for n, copy in enumerate(safety_copies, 1):
        places[f"safety copy {n}"] = archived_comments(copy, tmp_path / f"safety-{n}")
    bodies_by_id: dict[int, set[str]] = defaultdict(set)
    for name, rows in places.items():
        seen: dict[str, int] = {}
        for comment_id, body in rows:
            bodies_by_id[comment_id].add(body)
            if body in seen:
                problems.append(f"{body!r} twice in {name} (ids {seen[body]}, {comment_id})")
            seen[body] = comment_id
    for body, comment_id in sorted(acknowledged, key=lambda item: item[1]):
        if not any((comment_id, body) in rows for rows in places.values()):
            problems.append(f"acknowledged comment {comment_id} ({body!r}) is nowhere")
    acknowledged_ids: dict[int, set[str]] = defaultdict(set)
    for body, comment_id in acknowledged:
        acknowledged_ids[comment_id].add(body)
        bodies_by_id[comment_id].add(body)
    for comment_id, bodies in sorted(bodies_by_id.items()):
        if len(bodies) > 1:
            problems.append(f"id {comment_id} given to {len(bodies)} comments: {sorted(bodies)}")
    assert not problems, "\n".join([*problems[:20], figures])
    assert len(acknowledged) >= 20 * ROUNDS, figures  # the load went on throughout
    assert sum(during) > 0, figures  # comments came in while restores ran


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the PostgreSQL pass")
def test_restore_on_postgresql_refuses_and_comments_go_on(tmp_path):
    """PostgreSQL is backed up and restored with its own tools: `flask restore` refuses in one
    line before it touches anything, and the site's comments go on, each stored once."""
    site = new_site(tmp_path)
    source = make_app(
        tmp_path / "sqlite",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'sqlite' / 'instance' / 'site.sqlite3'}",
    )
    archive = Path(source.test_cli_runner().invoke(args=["backup"]).output.strip())
    server = Gunicorn(site, workers=WORKERS)
    server.start()
    try:
        with Commenters(server, site, COMMENTERS) as commenters:
            time.sleep(1)
            for _ in range(ROUNDS):
                restore = flask(site, "restore", str(archive), "--yes")
                assert restore.returncode == 1, restore.stdout + restore.stderr
                message = (restore.stdout + restore.stderr).strip()
                assert "pg_dump" in message and "Traceback" not in message, message
                assert len(message.splitlines()) == 1, message
            time.sleep(1)
    finally:
        server.stop()
    submissions = commenters.submissions
    assert not commenters.errors, commenters.errors
    stored = stored_comments(site)
    problems = answer_problems(submissions)
    for submission in submissions:
        for comment_id in submission.comment_ids:
            if stored.count((comment_id, submission.body)) != 1:
                problems.append(f"acknowledged comment {comment_id} is not stored once")
    assert not problems, "\n".join(problems[:20])
    assert len({body for _, body in stored}) == len(stored)
