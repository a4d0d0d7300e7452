"""A WordPress import of 3,000 posts beside a live site: the production server (gunicorn, sync
workers) takes comments and serves pages while `flask import-wxr` runs in a process of its own.
Every comment is answered (never a 5xx) and stored exactly once, readers are served throughout
within a bound, and the import completes whole. On the suite's database: SQLite, or PostgreSQL
under scripts/with-postgres."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from cms.extensions import db
from cms.models import Comment, Post
from tests.support.imports import export_with_copies, start_import
from tests.support.production_server import (
    Commenters,
    Gunicorn,
    PageReaders,
    answer_problems,
    new_site,
    storage_problems,
)

COPIES = 3_000  # posts added to the fixture export's own
COMMENTERS = 4
READERS = 2
# Pages read during the import, and the longest a reader may wait for one: the import renders
# outside any lock, and writes in one short transaction. Readers once stalled 30 s; a cold
# archive of 3,000 posts on a busy two-core machine takes up to about 2 s.
PAGES = ("/", "/posts/busy/", "/feed.xml", "/archive/")
WORST_READ_SECONDS = 5.0
# On SQLite the import holds the write lock for its whole transaction: at most half the busy
# timeout, so commenters wait and none gives up. PostgreSQL's commenters never wait for it
# (its rows are locked only by the content version's bump, just before the commit).
WORST_WRITE_SECONDS = 5.0


def test_import_beside_commenters_and_readers_loses_nothing_and_stalls_nobody(tmp_path):
    export = export_with_copies(tmp_path / "large.xml", COPIES)
    site = new_site(tmp_path)
    server = Gunicorn(site, workers=2)
    server.start()
    try:
        with (
            Commenters(server, site, COMMENTERS) as commenters,
            PageReaders(server.port, PAGES, READERS) as readers,
        ):
            time.sleep(1)  # the load is running before the import starts
            importer = start_import(site.app, export)
            output, _ = importer.communicate(timeout=600)
            time.sleep(1)  # and goes on after it
    finally:
        server.stop()
    submissions, reads = commenters.submissions, readers.reads
    output = output.decode()
    # The import's own measure: from its first statement to its commit, lock wait included.
    written = re.search(r"Written in one transaction of ([\d.]+) s", output)
    worst_read = readers.slowest()
    acknowledged = [s for s in submissions if s.comment_ids]
    figures = (
        f"import: exit {importer.returncode}, {written[0] if written else 'no write time'}; "
        f"{len(reads)} pages read, "
        f"the slowest in {worst_read[0]:.2f} s ({worst_read[1]}); {len(submissions)} comments "
        f"sent, {len(acknowledged)} acknowledged"
    )
    print(figures)
    errors = commenters.errors + readers.errors
    assert not errors, [*errors[:20], figures]
    problems = answer_problems(submissions) + storage_problems(site, submissions)
    assert not problems, "\n".join([*problems[:20], figures])
    failed_reads = readers.failures()
    assert not failed_reads, [*failed_reads[:20], figures]
    assert worst_read[0] < WORST_READ_SECONDS, figures
    assert importer.returncode == 0, output
    assert written, output
    if site.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        assert float(written[1]) < WORST_WRITE_SECONDS, figures
    assert len(acknowledged) >= 20, figures
    with site.app.app_context():
        posts = db.session.scalar(select(func.count(Post.id)).where(Post.import_key.is_not(None)))
        imported = select(func.count(Comment.id)).where(Comment.import_key.is_not(None))
        comments = db.session.scalar(imported)
    assert posts == COPIES + 7, figures  # the export's own 6 posts and 1 page, and the copies
    assert comments == 3 * (COPIES + 1), figures
