"""A real full disk (a small tmpfs, filled up): /healthz answers 503 and `check` fails, each
naming the filesystem that filled, wherever it is; `backup` says so in one line and leaves no
partial archive; a commenter gets the form back with their words; once there is room again,
everything stored before is there and the site takes writes.

Mounting needs root (or CAP_SYS_ADMIN): without it these tests are skipped, saying why."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from cms.extensions import db
from cms.models import Comment
from tests.conftest import TEST_DATABASE_URL, make_app
from tests.support.comments import add_comment, post_comment, set_site
from tests.web.test_hardening_access import seed_author_and_post

sqlite_only = pytest.mark.skipif(
    bool(TEST_DATABASE_URL),
    reason="the database's disk is the PostgreSQL server's: the app cannot fill or measure it",
)

SIZE_MB = 4
HEALTHY = {"HEALTH_MIN_FREE_MB": 1, "CHECK_MIN_FREE_MB": 1}  # a 4 MB disk is healthy when empty
SPAM_OFF = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": 0}
LONG_BODY = "A remark long enough to need new pages in the database. " * 80


class SmallDisk:
    """A tmpfs of SIZE_MB mounted at `where`, filled up and freed on demand."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.filler = where / "filler"

    def fill(self) -> None:
        """Take every free byte, as a log file or a runaway upload would."""
        with open(self.filler, "ab", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path):
    """Mounts a small disk at the path a test names (mount(path) returns it); unmounted after."""
    if not sys.platform.startswith("linux"):
        pytest.skip("tmpfs is Linux's")
    mounted: list[Path] = []

    def mount(where: Path) -> SmallDisk:
        where.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
        mounted.append(where)
        return SmallDisk(where)

    yield mount
    for where in reversed(mounted):
        # Lazily: the app's connections still hold the database open until the suite closes them.
        subprocess.run(["umount", "--lazy", str(where)], check=True)


def migrated_site(tmp_path, **config):
    """A site built by the migrations (as `flask init` builds it) with a post and a comment."""
    app = make_app(tmp_path, **HEALTHY, **SPAM_OFF, **config)
    result = app.test_cli_runner().invoke(args=["db", "stamp", "head"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        post_id = seed_author_and_post(app)
    add_comment(app, post_id, "Ada", "Stored before the disk filled up.")
    set_site(app, moderate_first_comment=False)
    return app


def comment_bodies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Comment.body).order_by(Comment.id)))


def integrity(app) -> str:
    with app.app_context():
        path = db.engine.url.database
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def healthz(app) -> tuple[int, str]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_data(as_text=True)


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


@sqlite_only
def test_a_full_instance_disk_is_reported_refused_in_one_line_and_damages_nothing(
    tmp_path, small_disk
):
    disk = small_disk(tmp_path / "instance")  # the database, uploads/ and backups/ live here
    app = migrated_site(tmp_path)
    uploads = Path(app.instance_path) / "uploads"
    uploads.mkdir()
    (uploads / "photo.png").write_bytes(b"\x89PNG stored before")
    assert healthz(app) == (200, "ok\n")
    assert invoke(app, "check").exit_code == 0

    disk.fill()
    status, body = healthz(app)
    assert status == 503
    assert body == "disk nearly full: 0 MB free for the database and uploads (minimum 1 MB)\n"

    checked = invoke(app, "check")
    assert checked.exit_code == 1
    assert f"FAIL  disk             only 0 MB free for the database and uploads ({disk.where})" in (
        checked.output
    )
    assert checked.output.splitlines()[-1].startswith("Error: 1 problem to fix, first the disk: ")

    backup = invoke(app, "backup")
    assert backup.exit_code == 1
    assert backup.output == (
        f"Error: No room for a backup in {disk.where / 'backups'} (0 MB free): nothing was kept. "
        "Free some space, or write it elsewhere: flask --app app backup DEST\n"
    )
    assert list((disk.where / "backups").iterdir()) == []  # no partial archive, no scratch

    visitor = app.test_client()
    refused = post_comment(visitor, "target", name="Grace", body=LONG_BODY)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert "Your comment could not be saved" in page
    assert LONG_BODY.strip() in page and 'value="Grace"' in page
    assert visitor.get("/posts/target/").status_code == 200  # reading goes on

    disk.free()
    assert comment_bodies(app) == ["Stored before the disk filled up."]
    assert integrity(app) == "ok"
    assert (uploads / "photo.png").read_bytes() == b"\x89PNG stored before"
    assert healthz(app) == (200, "ok\n")
    assert invoke(app, "check").exit_code == 0
    assert post_comment(visitor, "target", name="Grace", body=LONG_BODY).status_code == 302
    assert comment_bodies(app) == ["Stored before the disk filled up.", LONG_BODY.strip()]
    archive = invoke(app, "backup")
    assert archive.exit_code == 0 and Path(archive.output.strip()).is_file()


@sqlite_only
def test_a_full_disk_under_a_database_outside_the_instance_folder_is_the_one_measured(
    tmp_path, small_disk
):
    disk = small_disk(tmp_path / "elsewhere")
    database = disk.where / "site.sqlite3"
    app = migrated_site(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    assert healthz(app) == (200, "ok\n")

    disk.fill()
    assert healthz(app) == (
        503,
        "disk nearly full: 0 MB free for the database (minimum 1 MB)\n",
    )
    checked = invoke(app, "check")
    assert checked.exit_code == 1
    assert f"only 0 MB free for the database ({disk.where})" in checked.output
    # The instance folder, on another filesystem with room, is measured on its own.
    assert f"MB free for the uploads ({tmp_path / 'instance'})" in checked.output
    assert "FAIL  disk" in checked.output

    disk.free()
    assert healthz(app) == (200, "ok\n")
    assert comment_bodies(app) == ["Stored before the disk filled up."]
    assert integrity(app) == "ok"


def test_a_full_uploads_disk_is_reported_on_either_database(tmp_path, small_disk):
    app = make_app(tmp_path, **HEALTHY)
    disk = small_disk(Path(app.instance_path) / "uploads")
    assert healthz(app) == (200, "ok\n")

    disk.fill()
    assert healthz(app) == (503, "disk nearly full: 0 MB free for the uploads (minimum 1 MB)\n")
    checked = invoke(app, "check")
    assert checked.exit_code == 1
    assert f"FAIL  disk             only 0 MB free for the uploads ({disk.where})" in (
        checked.output
    )

    disk.free()
    assert healthz(app) == (200, "ok\n")
