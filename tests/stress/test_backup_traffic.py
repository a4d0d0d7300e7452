"""`flask backup` run by the operator while the production server (gunicorn, two sync workers)
takes comments and serves pages. Every comment the site acknowledged is stored once, nobody gets
a 5xx, pages stay quick; each archive is a sound database, of the schema the migrations build,
holding every comment acknowledged before its backup started, by id and words. On PostgreSQL
`flask backup` refuses in one line (pg_dump does that job), and the traffic goes on untouched."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from cms.ops.backup import DATABASE_NAME, BackupError, check_archive_schema
from tests.conftest import TEST_DATABASE_URL
from tests.support.production_server import (
    Commenters,
    Gunicorn,
    PageReaders,
    add_old_comments,
    answer_problems,
    archived_comments,
    every_comment,
    flask,
    new_site,
    storage_problems,
)

BACKUPS = 3
COMMENTERS = 4
WORKERS = 2
# Comments the site holds before the load starts (on a post of their own, so that the busy
# post's page stays light): a database of a few megabytes, which the backup copies and gzips.
OLD_COMMENTS = 20_000
PAGES = ("/", "/posts/busy/", "/feed.xml", "/archive/")
# The longest a reader may wait for a page while a backup runs: the copy only reads (SQLite's
# online backup, in WAL mode, holds neither the site's writers nor its readers), so a page
# takes what it takes without one (under a second on two CPUs; more when the machine is
# shared with other work, hence the margin).
WORST_READ_SECONDS = 3.0


def integrity(database: Path) -> list[str]:
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as c:
        return [row[0] for row in c.execute("PRAGMA integrity_check")]


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="flask backup copies SQLite databases")
def test_backups_beside_commenters_and_a_reader_are_whole_and_lose_nothing(tmp_path):
    site = new_site(tmp_path)
    add_old_comments(site, OLD_COMMENTS)
    server = Gunicorn(site, workers=WORKERS)
    # Each backup: its archive, (id, body) of the comments acknowledged before it started, how
    # long it took, and how many comments were acknowledged while it ran.
    backups: list[tuple[Path, set[tuple[int, str]], float, int]] = []
    server.start()
    try:
        with (
            Commenters(server, site, COMMENTERS) as commenters,
            PageReaders(server.port, PAGES) as reader,
        ):
            for _ in range(BACKUPS):
                commenters.wait_for(10, since=len(commenters.submissions))
                before = commenters.acknowledged()
                sent = len(commenters.submissions)
                started = time.monotonic()
                backup = flask(site, "backup")
                seconds = time.monotonic() - started
                assert backup.returncode == 0, backup.stdout + backup.stderr
                during = commenters.acknowledged_since(sent)
                backups.append((Path(backup.stdout.strip()), before, seconds, during))
            commenters.wait_for(10, since=len(commenters.submissions))
    finally:
        server.stop()

    submissions = commenters.submissions
    acknowledged = commenters.acknowledged()
    slowest = reader.slowest()
    figures = (
        f"{len(submissions)} comments sent, {len(acknowledged)} acknowledged "
        f"(beside {OLD_COMMENTS} old ones); backups took "
        + ", ".join(f"{seconds:.2f} s" for _, _, seconds, _ in backups)
        + f"; comments acknowledged while each ran: {[during for *_, during in backups]}, "
        f"the longest answered in {max(commenters.waits):.2f} s; "
        f"{len(reader.reads)} pages read, the slowest in {slowest[0]:.2f} s ({slowest[1]})"
    )
    print(figures)
    errors = commenters.errors + reader.errors
    assert not errors, [*errors[:20], figures]
    problems = answer_problems(submissions) + storage_problems(site, submissions)
    assert not problems, "\n".join([*problems[:20], figures])
    assert not reader.failures(), [*reader.failures()[:20], figures]

    live = every_comment(site)
    for n, (archive, before, _, _) in enumerate(backups, 1):
        into = tmp_path / f"archive-{n}"
        archived = archived_comments(archive, into)
        database = into / DATABASE_NAME
        assert integrity(database) == ["ok"], f"archive {n}: {integrity(database)}"
        with site.app.app_context():
            try:
                check_archive_schema(database)  # what `flask restore` checks first
            except BackupError as error:
                pytest.fail(f"archive {n}: {error.message}")
        rows = set(archived)
        assert len(rows) == len(archived) == len({body for _, body in archived}), (
            f"archive {n} holds a comment twice"
        )
        missing = sorted(before - rows)
        assert not missing, f"archive {n} lacks acknowledged comments {missing[:10]}; {figures}"
        # Nothing in it that the site does not hold under the same id and words.
        foreign = sorted(rows - live)
        assert not foreign, f"archive {n} holds comments the site does not: {foreign[:10]}"
        # A snapshot of one moment: SQLite gives ids in commit order and nothing was deleted,
        # so the archive holds every comment up to its newest one, without a gap.
        newest = max(comment_id for comment_id, _ in rows)
        gaps = sorted(row for row in live if row[0] <= newest and row not in rows)
        assert not gaps, f"archive {n} skips comments {gaps[:10]} older than its newest"
        assert len(rows) >= OLD_COMMENTS + len(before), figures
    assert slowest[0] < WORST_READ_SECONDS, figures
    assert len(acknowledged) >= 10 * (BACKUPS + 1), figures  # the load went on throughout
    assert all(during > 0 for *_, during in backups), figures  # comments came in during each


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the PostgreSQL pass")
def test_backup_on_postgresql_refuses_in_one_line_and_traffic_goes_on(tmp_path):
    """PostgreSQL is backed up with its own tools: `flask backup` says so in one line, exits
    non-zero, writes no archive, and the site's comments and pages go on as before."""
    site = new_site(tmp_path)
    server = Gunicorn(site, workers=WORKERS)
    durations: list[float] = []
    server.start()
    try:
        with (
            Commenters(server, site, COMMENTERS) as commenters,
            PageReaders(server.port, PAGES) as reader,
        ):
            for _ in range(BACKUPS):
                commenters.wait_for(10, since=len(commenters.submissions))
                started = time.monotonic()
                backup = flask(site, "backup")
                durations.append(time.monotonic() - started)
                message = (backup.stdout + backup.stderr).strip()
                assert backup.returncode == 1, message
                assert "pg_dump" in message and "Traceback" not in message, message
                assert len(message.splitlines()) == 1, message
            commenters.wait_for(10, since=len(commenters.submissions))
    finally:
        server.stop()
    submissions = commenters.submissions
    slowest = reader.slowest()
    figures = (
        f"{len(submissions)} comments sent, {len(commenters.acknowledged())} acknowledged, "
        f"the longest answered in {max(commenters.waits):.2f} s; "
        f"`flask backup` refused in " + ", ".join(f"{seconds:.2f} s" for seconds in durations)
        + f" ({message!r}); {len(reader.reads)} pages read, the slowest in {slowest[0]:.2f} s "
        f"({slowest[1]})"
    )  # fmt: skip
    print(figures)
    errors = commenters.errors + reader.errors
    assert not errors, [*errors[:20], figures]
    problems = answer_problems(submissions) + storage_problems(site, submissions)
    assert not problems, "\n".join([*problems[:20], figures])
    assert not reader.failures(), [*reader.failures()[:20], figures]
    assert slowest[0] < WORST_READ_SECONDS, figures
    assert not list((site.folder / "instance").glob("**/*.tar.gz")), "an archive was written"
    assert len(commenters.acknowledged()) >= 10 * (BACKUPS + 1), figures
