"""`flask db upgrade` run by the operator on a live site whose database is one migration behind:
the production server (gunicorn, two sync workers) runs the previous version's code (from the
project's git history) on it, commenters and a reader keep at it, and the upgrade runs in a
process of its own with this version's code, as an operator's upgrade does before the server
restarts. It succeeds; every comment the site acknowledged is stored once, under its id and
words; nobody gets a 5xx; no id is given again; and `flask check` finds the schema up to date.
The old code goes on serving the new schema until the restart: a migration must keep it working
(add, never rename or drop what the previous version reads)."""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory

from cms.extensions import db
from cms.ops import schema
from cms.ops.migrations import DIRECTORY, migration_revisions
from tests.conftest import TEST_DATABASE_URL
from tests.support.previous_version import previous_code
from tests.support.production_server import (
    Commenters,
    Gunicorn,
    PageReaders,
    Site,
    add_old_comments,
    answer_problems,
    every_comment,
    flask,
    new_site,
    storage_problems,
)

COMMENTERS = 4
WORKERS = 2
# Comments already stored: a database of some size for the upgrade to work through (a migration
# that rebuilds a table copies them while it holds the write lock).
OLD_COMMENTS = 20_000
PAGES = ("/", "/posts/busy/", "/feed.xml", "/archive/")
# The longest a reader may wait for a page. Readers never wait for the write lock, but with
# two sync workers both may be serving commenters who wait for it, and the reader waits too:
# the bound is the lock's hold, well under SQLite's busy timeout (10 s), after which a waiting
# commenter would get a 503.
WORST_READ_SECONDS = 5.0


def head_and_previous() -> tuple[str, str, str]:
    """(the newest shipped migration, the one before it, the newest one's file)."""
    head = ScriptDirectory(str(DIRECTORY)).get_revision("head")
    return head.revision, head.down_revision, head.path


def schema_difference(site: Site, revision: str) -> str | None:
    """On SQLite, how the site's database differs from the schema the shipped migrations build
    at `revision` (None when it does not); None on PostgreSQL, whose schema is not compared."""
    if TEST_DATABASE_URL:
        return None
    with site.app.app_context():
        path = Path(db.engine.url.database)
        expected = schema.migrated_schema(revision)
    with closing(sqlite3.connect(path)) as connection:
        return schema.describe_difference(schema.schema_of(connection), expected)


def test_upgrade_beside_commenters_and_a_reader_loses_nothing_and_reuses_no_id(tmp_path):
    head, previous, head_path = head_and_previous()
    site = new_site(tmp_path)
    add_old_comments(site, OLD_COMMENTS)
    # The site as it was before this version: its database one migration behind, as the
    # operator's own `flask db downgrade` leaves it.
    for args in (("db", "stamp", head), ("db", "downgrade", previous)):
        result = flask(site, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    with site.app.app_context():
        assert migration_revisions() == (previous, head)
    assert schema_difference(site, previous) is None, schema_difference(site, previous)

    # The server runs the previous version's code, as the site did until this upgrade.
    served = previous_code(Path(head_path), tmp_path / "previous-version")
    server = Gunicorn(site, workers=WORKERS, code=served)
    server.start()
    try:
        with (
            Commenters(server, site, COMMENTERS) as commenters,
            PageReaders(server.port, PAGES) as reader,
        ):
            commenters.wait_for(10)  # the site takes comments at the previous migration
            # Every comment given an id so far: stored, or acknowledged since that look. Any
            # comment sent from now on must get a higher id, on SQLite as on PostgreSQL.
            before = every_comment(site) | commenters.acknowledged()
            sent_before = len(commenters.submissions)
            started = time.monotonic()
            upgrade = flask(site, "db", "upgrade")
            seconds = time.monotonic() - started
            sent_during = len(commenters.submissions)
            commenters.wait_for(10, since=sent_during)  # and at the new one
    finally:
        server.stop()
    during = commenters.acknowledged_since(sent_before) - commenters.acknowledged_since(sent_during)
    since = commenters.acknowledged_since(sent_during)

    submissions = commenters.submissions
    acknowledged = commenters.acknowledged()
    slowest = reader.slowest()
    figures = (
        f"upgrade {previous} -> {head}: exit {upgrade.returncode} in {seconds:.2f} s; "
        f"{len(submissions)} comments sent, {len(acknowledged)} acknowledged (beside "
        f"{OLD_COMMENTS} old ones), {during} of them sent while the upgrade ran and "
        f"{since} after it, the longest answered in {max(commenters.waits):.2f} s; "
        f"{len(reader.reads)} pages read, the slowest in {slowest[0]:.2f} s ({slowest[1]})"
    )
    print(figures)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert "Traceback" not in upgrade.stdout + upgrade.stderr, upgrade.stderr
    errors = commenters.errors + reader.errors
    assert not errors, [*errors[:20], figures]
    problems = answer_problems(submissions) + storage_problems(site, submissions)
    assert not problems, "\n".join([*problems[:20], figures])
    assert not reader.failures(), [*reader.failures()[:20], figures]

    # By identity: what the database held before the upgrade is still there, id for id; a
    # comment sent since has an id above every id given before; no id names two texts.
    after = every_comment(site)
    lost = sorted(before - after)
    assert not lost, f"comments lost or changed by the upgrade: {lost[:10]}; {figures}"
    highest_before = max(comment_id for comment_id, _ in before)
    newer = {(i, s.body) for s in submissions[sent_before:] for i in s.comment_ids}
    reused = sorted((i, body) for i, body in newer if i <= highest_before)
    assert not reused, f"ids at or below {highest_before} given again: {reused[:10]}"
    bodies: dict[int, set[str]] = defaultdict(set)
    for comment_id, body in before | after | acknowledged:
        bodies[comment_id].add(body)
    twice = {i: sorted(texts) for i, texts in bodies.items() if len(texts) > 1}
    assert not twice, f"ids given to two comments: {list(twice.items())[:10]}"
    assert max(comment_id for comment_id, _ in after) > highest_before, figures

    check = flask(site, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"up to date (migration {head})" in check.stdout, check.stdout
    assert schema_difference(site, head) is None, schema_difference(site, head)
    assert slowest[0] < WORST_READ_SECONDS, figures
    assert during > 0, figures  # comments came in while the upgrade ran
    assert since > 0, figures  # and after it, at the new schema
    assert len(acknowledged) >= 20, figures
