"""Backups, restores and upgrades through the CLI runner, on real SQLite files."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from contextlib import closing
from io import BytesIO
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from cms import PROJECT_ROOT, create_app
from cms.clock import utcnow
from cms.extensions import db
from cms.media import store_upload
from cms.models import PUBLISHED, Author, Comment, Post, Tag, Upload
from cms.ops.migrations import migration_extension, migration_revisions
from cms.posts import render
from tests.conftest import make_app
from tests.support.comments import add_comment


def sqlite_app(tmp_path, name: str = "site"):
    """A site on its own SQLite file (this module is about files, whatever database the suite
    runs on)."""
    instance = tmp_path / name / "instance"
    return make_app(
        tmp_path / name, SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'causerie.sqlite3'}"
    )


def database_file(app) -> Path:
    return Path(app.instance_path) / "causerie.sqlite3"


def rows(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def site(tmp_path):
    """A SQLite site with two posts, a comment, an uploaded image and a secret config file."""
    app = sqlite_app(tmp_path)
    with app.app_context():
        first = Post(title="First", slug="first", body="One.")
        second = Post(title="Second", slug="second", body="Two.")
        first.comments.append(Comment(author_name="Ann", body="Nice."))
        db.session.add_all([first, second])
        db.session.commit()
    uploads = Path(app.instance_path) / "uploads"
    uploads.mkdir()
    (uploads / "cat.png").write_bytes(b"\x89PNG cat")
    (Path(app.instance_path) / "config.py").write_text("SECRET_KEY = 'do not copy me'\n")
    return app


def backup(app, *args: str) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output
    archive = Path(result.output.strip())
    assert archive.is_file()
    return archive


def slugs(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Post.slug)))


def test_backup_holds_database_and_uploads_but_not_the_secret(site, tmp_path):
    archive = backup(site, str(tmp_path / "saved"))
    assert archive.parent == tmp_path / "saved"
    assert archive.name.startswith("causerie-backup-") and archive.name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path / "out", filter="data")
    assert names == {"backup.json", "causerie.sqlite3", "uploads", "uploads/cat.png"}
    copy = tmp_path / "out" / "causerie.sqlite3"
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "SELECT slug FROM posts ORDER BY slug") == [("first",), ("second",)]
    assert rows(copy, "SELECT author_name FROM comments") == [("Ann",)]
    assert (tmp_path / "out" / "uploads" / "cat.png").read_bytes() == b"\x89PNG cat"


def test_backup_goes_to_the_instance_folder_by_default(site):
    first, second = backup(site), backup(site)
    assert first.parent == Path(site.instance_path) / "backups"
    assert first != second  # two backups in the same second keep both


def test_backups_taken_while_the_site_writes_are_consistent(site):
    """The online backup API copies a live database: a writer in another connection (as in
    another gunicorn worker) keeps committing while the copies are taken."""
    stop = threading.Event()
    written = []

    def write() -> None:
        with closing(sqlite3.connect(database_file(site), timeout=10)) as connection:
            n = 0
            while not stop.is_set():
                n += 1
                with connection:
                    connection.execute(
                        "INSERT INTO throttle_events (key, at) VALUES (?, CURRENT_TIMESTAMP)",
                        (f"k{n}",),
                    )
                written.append(n)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        archives = [backup(site) for _ in range(3)]
    finally:
        stop.set()
        writer.join(timeout=10)
    assert written, "the writer never wrote"
    counts = []
    for archive in archives:
        folder = archive.with_suffix("").with_suffix("")
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        copy = folder / "causerie.sqlite3"
        assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
        counts.append(rows(copy, "SELECT count(*) FROM throttle_events")[0][0])
    assert counts == sorted(counts) and counts[-1] <= len(written)


def test_restore_brings_back_database_and_uploads_and_keeps_a_safety_copy(site):
    archive = backup(site)
    with site.app_context():
        db.session.delete(db.session.scalar(select(Post).where(Post.slug == "first")))
        db.session.add(Post(title="Third", slug="third"))
        db.session.commit()
    uploads = Path(site.instance_path) / "uploads"
    (uploads / "cat.png").unlink()
    (uploads / "dog.png").write_bytes(b"dog")

    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Restored {archive.name}." in result.output
    assert slugs(site) == ["first", "second"]
    with site.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 1
    assert sorted(p.name for p in uploads.iterdir()) == ["cat.png"]

    safety = Path(result.output.split("Safety copy of the previous content: ")[1].split("\n")[0])
    assert safety.name.startswith("before-restore-")
    with tarfile.open(safety) as tar:
        tar.extractall(safety.parent / "safety", filter="data")
    kept = safety.parent / "safety" / "causerie.sqlite3"
    assert rows(kept, "SELECT slug FROM posts ORDER BY slug") == [("second",), ("third",)]
    assert (safety.parent / "safety" / "uploads" / "dog.png").exists()


def test_restore_asks_first(site):
    archive = backup(site)
    with site.app_context():
        db.session.add(Post(title="Third", slug="third"))
        db.session.commit()
    runner = site.test_cli_runner()
    refused = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert refused.exit_code == 1 and "Replace the database" in refused.output
    assert "third" in slugs(site)
    accepted = runner.invoke(args=["restore", str(archive)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert slugs(site) == ["first", "second"]


def test_restore_refuses_a_damaged_archive_and_changes_nothing(site, tmp_path):
    damaged = tmp_path / "damaged.tar.gz"
    bad_db = tmp_path / "causerie.sqlite3"
    shutil.copy(database_file(site), bad_db)
    data = bytearray(bad_db.read_bytes())
    data[4096:8192] = b"\xff" * 4096
    bad_db.write_bytes(bytes(data))
    with tarfile.open(damaged, "w:gz") as tar:
        tar.add(bad_db, "causerie.sqlite3")
    result = site.test_cli_runner().invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code == 1
    assert "is damaged" in result.output and "nothing was changed" in result.output
    assert slugs(site) == ["first", "second"]
    assert not (Path(site.instance_path) / "backups").exists()  # not even a safety copy


@pytest.mark.parametrize("member", ["../escape.txt", "config.py", "uploads/../../x"])
def test_restore_refuses_an_archive_that_is_not_a_backup(site, tmp_path, member):
    strange = tmp_path / "strange.tar.gz"
    payload = tmp_path / "payload"
    payload.write_text("hello")
    with tarfile.open(strange, "w:gz") as tar:
        tar.add(database_file(site), "causerie.sqlite3")
        tar.add(payload, member)
    result = site.test_cli_runner().invoke(args=["restore", str(strange), "--yes"])
    assert result.exit_code == 1
    assert "not a Causerie backup" in result.output or "cannot be read" in result.output
    assert not (tmp_path / "escape.txt").exists()
    not_a_tar = tmp_path / "notes.tar.gz"
    not_a_tar.write_text("just text")
    result = site.test_cli_runner().invoke(args=["restore", str(not_a_tar), "--yes"])
    assert result.exit_code == 1 and "cannot be read as a backup archive" in result.output


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    # No server behind this address: the command must say what to do before connecting.
    app = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://causerie@127.0.0.1:1/causerie",
        },
        instance_path=tmp_path / "instance",
    )
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "Traceback" not in result.output


# --- Upgrades ---------------------------------------------------------------------------------


def first_and_head(app) -> tuple[str, str]:
    migrations = migration_extension(app)
    with app.app_context():
        config = migrations.migrate.get_config(migrations.directory)
    script = ScriptDirectory.from_config(config)
    return script.get_base(), script.get_current_head()


# Rows written with the SQL of the first migration's tables, as a site of that time held them.
FIRST_SCHEMA_ROWS = """
INSERT INTO authors (id, username, display_name, password_hash, created_at)
    VALUES (1, 'mara', 'Mara Keeper', 'scrypt:32768:8:1$x$y', '2020-01-01 10:00:00');
INSERT INTO site_settings (id, title, tagline, language, timezone, posts_per_page, comments_open,
    close_comments_after_days, closed_notice, require_email, moderate_first_comment, max_links,
    blocked_words, blocked_emails, blocked_ips, updated_at)
    VALUES (1, 'Old blog', 'Since 2020', 'fr', 'Europe/Paris', 5, 1, 0, '', 0, 1, 2, '', '', '',
    '2020-01-01 10:00:00');
INSERT INTO tags (id, name, slug) VALUES (1, 'Mer', 'mer');
INSERT INTO posts (id, title, slug, body, body_html, excerpt_html, summary, has_more, render_key,
    status, published_at, created_at, updated_at, allow_comments, version, author_id)
    VALUES (1, 'Tempête', 'tempete', 'Le *vent*.', '<p>Le <em>vent</em>.</p>', '', '', 0, '',
    'published', '2020-02-01 08:00:00', '2020-02-01 08:00:00', '2020-02-01 08:00:00', 1, 3, 1),
           (2, 'Brouillon', 'brouillon', 'Plus tard.', '', '', '', 0, '', 'draft', NULL,
    '2020-03-01 08:00:00', '2020-03-01 08:00:00', 0, 1, 1);
INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1);
INSERT INTO comments (id, post_id, parent_id, author_name, author_email, author_website, body,
    body_html, render_key, status, reason, ip, created_at)
    VALUES (1, 1, NULL, 'Tom', 'tom@example.org', '', 'Bravo.', '<p>Bravo.</p>', '', 'approved',
    '', '192.0.2.1', '2020-02-02 08:00:00'),
           (2, 1, 1, 'Mara', '', '', 'Merci !', '<p>Merci !</p>', '', 'approved', '', '',
    '2020-02-03 08:00:00'),
           (3, 1, NULL, 'Spammer', '', 'https://spam.example', 'Buy', '', '', 'spam', 'links',
    '', '2020-02-04 08:00:00');
"""


def site_at_first_migration(tmp_path, migrations: Path | None = None):
    """A site whose database was built by the first migration only, and filled with rows."""
    instance = tmp_path / "old" / "instance"
    app = create_app(
        {
            "SECRET_KEY": "upgrade-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'causerie.sqlite3'}",
        },
        instance_path=instance,
    )
    if migrations is not None:
        migration_extension(app).directory = str(migrations)
    first, _head = first_and_head(app)
    result = app.test_cli_runner().invoke(args=["db", "upgrade", first])
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(instance / "causerie.sqlite3")) as connection:
        connection.executescript(FIRST_SCHEMA_ROWS)
    return app


def assert_old_content_is_intact(app) -> None:
    with app.app_context():
        posts = {post.slug: post for post in db.session.scalars(select(Post))}
        assert set(posts) == {"tempete", "brouillon"}
        storm = posts["tempete"]
        assert storm.title == "Tempête" and storm.body == "Le *vent*." and storm.version == 3
        assert storm.author.display_name == "Mara Keeper"
        assert [tag.slug for tag in storm.tags] == ["mer"]
        comments = {c.id: c for c in db.session.scalars(select(Comment))}
        assert {c.author_name for c in comments.values()} == {"Tom", "Mara", "Spammer"}
        assert comments[2].parent_id == 1 and comments[3].status == "spam"
        assert db.session.scalar(select(func.count(Tag.id))) == 1
        current, head = migration_revisions()
        assert current == head


def test_init_upgrades_an_old_database_with_nothing_lost(tmp_path):
    app = site_at_first_migration(tmp_path)
    first, head = first_and_head(app)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert_old_content_is_intact(app)
    backups = sorted((Path(app.instance_path) / "backups").glob("before-upgrade-*.tar.gz"))
    # Only a database behind the migrations is backed up first (the first one may be the head).
    assert len(backups) == (1 if first != head else 0)
    with app.app_context():
        db.engine.dispose()


def test_upgrade_that_rebuilds_tables_keeps_every_row_and_backs_up_first(tmp_path):
    """A migration that rebuilds the posts table (SQLite's batch mode: copy, drop, rename) must
    not cascade the drop to comments and tags: foreign keys are off while migrating."""
    migrations = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", migrations)
    app = site_at_first_migration(tmp_path, migrations)
    _first, head = first_and_head(app)
    (migrations / "versions" / "9999_rebuild_posts.py").write_text(
        f'''"""Rebuild the posts table, as a column change does on SQLite."""
from alembic import op

revision = "9999"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts", recreate="always"):
        pass


def downgrade():
    pass
'''
    )
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Backed up the database before upgrading it" in result.output
    assert_old_content_is_intact(app)
    with app.app_context():
        assert migration_revisions()[0] == "9999"
    (archive,) = (Path(app.instance_path) / "backups").glob("before-upgrade-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "before", filter="data")
    before = tmp_path / "before" / "causerie.sqlite3"
    assert rows(before, "SELECT version_num FROM alembic_version") != [("9999",)]
    assert rows(before, "SELECT count(*) FROM comments") == [(3,)]
    with app.app_context():
        db.engine.dispose()


def fresh_machine(tmp_path):
    """A new installation: instance folder, no database yet."""
    instance = tmp_path / "new" / "instance"
    return create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'causerie.sqlite3'}",
        },
        instance_path=instance,
    )


def test_restore_onto_a_new_machine_and_backup_before_any_database(site, tmp_path):
    archive = backup(site)
    new = fresh_machine(tmp_path)
    runner = new.test_cli_runner()
    nothing = runner.invoke(args=["backup"])
    assert nothing.exit_code == 1 and "There is no database" in nothing.output
    assert not database_file(new).exists()  # asking did not create an empty one
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Safety copy" not in result.output
    assert slugs(new) == ["first", "second"]
    assert (Path(new.instance_path) / "uploads" / "cat.png").exists()
    with new.app_context():
        db.engine.dispose()


# --- Restores that lose nothing ---------------------------------------------------------------


def archive_with(site, tmp_path, *statements: str) -> Path:
    """A backup of `site` whose database was then changed by `statements` (a doctored archive)."""
    archive = backup(site)
    folder = tmp_path / "doctored"
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    with closing(sqlite3.connect(folder / "causerie.sqlite3")) as connection, connection:
        for statement in statements:
            connection.executescript(statement)
    doctored = tmp_path / "doctored.tar.gz"
    with tarfile.open(doctored, "w:gz") as tar:
        for member in sorted(folder.iterdir()):
            tar.add(member, member.name)
    return doctored


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "CREATE TRIGGER keep_watch AFTER INSERT ON comments BEGIN "
            "UPDATE authors SET password_hash = 'pbkdf2:sha256:1$known$hash'; END",
            "a trigger 'keep_watch' that Causerie does not create",
        ),
        (
            "CREATE VIEW everyone AS SELECT author_email FROM comments",
            "a view 'everyone' that Causerie does not create",
        ),
        ("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)", "a table 'notes'"),
        ("ALTER TABLE posts ADD COLUMN extra TEXT", "table 'posts' differs"),
        ("DROP INDEX ix_posts_status_published", "table 'posts' differs"),
        (
            # A CHECK clause slipped into the table's SQL: it would refuse chosen comments.
            "PRAGMA writable_schema = ON;"
            "UPDATE sqlite_master SET sql = replace(sql, 'body TEXT NOT NULL', "
            "'body TEXT NOT NULL CHECK (body NOT LIKE ''%zz%'')') WHERE name = 'comments';",
            "table 'comments' differs",
        ),
        (
            "DROP INDEX uq_comments_post_fingerprint_sent;"
            "CREATE UNIQUE INDEX uq_comments_post_fingerprint_sent"
            " ON comments (post_id, fingerprint) WHERE form_key IS NULL;",
            "table 'comments' differs",
        ),
    ],
    ids=["trigger", "view", "table", "column", "index", "check", "partial-index"],
)
def test_restore_refuses_a_schema_causerie_did_not_build_and_changes_nothing(
    site, tmp_path, statement, named
):
    doctored = archive_with(site, tmp_path, statement)
    with site.app_context():
        db.session.add(Post(title="Third", slug="third"))
        db.session.commit()
    before = rows(database_file(site), "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    result = site.test_cli_runner().invoke(args=["restore", str(doctored), "--yes"])
    assert result.exit_code == 1
    assert named in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert slugs(site) == ["first", "second", "third"]
    assert rows(database_file(site), "SELECT type, name, sql FROM sqlite_master ORDER BY name") == (
        before
    )
    assert not (Path(site.instance_path) / "backups" / "doctored").exists()
    assert not list((Path(site.instance_path) / "backups").glob("before-restore-*"))


def test_a_restore_builds_the_schema_from_the_migrations_never_from_the_archive(site, tmp_path):
    """What the comparison leaves out (a default, the SQL's spelling) is not taken from the
    archive either: the restored tables are the migrations' own, holding the archive's rows."""
    doctored = archive_with(
        site,
        tmp_path,
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_master SET sql = replace(sql, 'title VARCHAR(200) NOT NULL', "
        "'title VARCHAR(200) NOT NULL DEFAULT ''planted''') WHERE name = 'posts';",
    )
    archived = rows(tmp_path / "doctored" / "causerie.sqlite3", "SELECT sql FROM sqlite_master")
    assert "planted" in str(archived)

    result = site.test_cli_runner().invoke(args=["restore", str(doctored), "--yes"])

    assert result.exit_code == 0, result.output
    assert slugs(site) == ["first", "second"]
    assert "planted" not in str(rows(database_file(site), "SELECT sql FROM sqlite_master"))


def published(site):
    """The site, its post "first" published and comments let through at once (the backup test
    site keeps drafts)."""
    site.config.update(COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    with site.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "first"))
        post.status, post.published_at = PUBLISHED, utcnow()
        db.session.commit()
    return site


def test_after_a_restore_no_id_is_given_again(site):
    """Comments and posts written after the backup are restored away: their ids stay theirs,
    so an old link or a visitor's own-comment list never points at someone else's words."""
    published(site)
    archive = backup(site)
    with site.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "first"))
        later = [Comment(author_name="Bea", body=f"Later {n}.") for n in range(3)]
        post.comments.extend(later)
        db.session.add(Post(title="Third", slug="third"))
        db.session.commit()
        given = {
            "comments": max(c.id for c in later),
            "posts": db.session.scalar(func.max(Post.id)),
        }
        db.session.delete(later[-1])  # the highest comment id given is not in the table any more
        db.session.commit()

    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output

    client = site.test_client()
    form = client.get("/posts/first/").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', form)[1]
    answer = client.post(
        "/posts/first/comments",
        data={
            "name": "Cy",
            "email": "",
            "website": "",
            "body": "After the restore.",
            "token": token,
        },
    )
    assert answer.status_code == 302
    new_id = int(answer.headers["Location"].rsplit("#comment-", 1)[1])
    assert new_id > given["comments"]
    with site.app_context():
        db.session.add(Post(title="Fourth", slug="fourth"))
        db.session.commit()
        assert db.session.scalar(select(Post.id).where(Post.slug == "fourth")) > given["posts"]


def test_a_restore_shows_at_once_on_cached_pages(site):
    """The page cache trusts its stored pages while the content version holds: a restore that
    took the version back would let the next change land on a version a worker already served."""
    published(site)
    archive = backup(site)
    reader = site.test_client()
    add_comment(site, 1, "Bea", "Written after the backup.")
    assert "Written after the backup." in reader.get("/posts/first/").get_data(as_text=True)

    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    add_comment(site, 1, "Cy", "Written after the restore.")

    page = reader.get("/posts/first/").get_data(as_text=True)
    assert "Written after the restore." in page
    assert "Written after the backup." not in page


def test_a_write_in_flight_waits_for_the_restore_and_is_kept(site):
    """A writer holding the lock when the restore starts: the restore waits for its commit, and
    the safety copy holds what it wrote (before, it was copied too early and overwritten too)."""
    archive = backup(site)
    locked, done = threading.Event(), threading.Event()

    def write() -> None:
        with site.app_context():
            db.session.add(Post(title="Late", slug="late"))
            db.session.flush()  # holds the write lock from here to the commit
            locked.set()
            time.sleep(1)
            db.session.commit()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert locked.wait(10)
        result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    finally:
        writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert done.is_set()
    assert slugs(site) == ["first", "second"]
    safety = Path(result.output.split("Safety copy of the previous content: ")[1].split("\n")[0])
    with tarfile.open(safety) as tar:
        tar.extractall(safety.parent / "safety", filter="data")
    kept = safety.parent / "safety" / "causerie.sqlite3"
    assert rows(kept, "SELECT slug FROM posts ORDER BY slug") == [
        ("first",),
        ("late",),
        ("second",),
    ]


def test_restoring_an_older_backup_brings_it_to_the_current_schema(tmp_path):
    old = site_at_first_migration(tmp_path)
    archive = backup(old)
    new = fresh_machine(tmp_path)
    result = new.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    result = new.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert_old_content_is_intact(new)  # the newest revision, with every row
    for app in (old, new):
        with app.app_context():
            db.engine.dispose()


def test_copies_left_by_a_killed_backup_or_restore_are_removed_by_the_next_one(site):
    """A backup or restore killed on the way leaves its scratch copy of the database behind;
    the next one removes it, and never the copy of a process still at work."""
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    dead = Path(site.instance_path) / f".scratch-{killed.pid}-x"
    alive = Path(site.instance_path) / f".scratch-{os.getpid()}-y"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "causerie.sqlite3").write_bytes(b"copy")

    backup(site)
    result = site.test_cli_runner().invoke(args=["restore", str(backup(site)), "--yes"])

    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert (alive / "causerie.sqlite3").exists()


def test_a_restore_brings_back_each_image_with_its_copies_and_description(tmp_path):
    """An uploaded photo is three things now: the image, its narrower copies (srcset) and its
    row (description, hash, widths). A restore on a new machine serves all of them."""
    app = sqlite_app(tmp_path)
    photo = BytesIO()
    Image.linear_gradient("L").resize((1400, 700)).convert("RGB").save(photo, "JPEG")
    with app.test_request_context():
        author = Author(username="mara", display_name="Mara")
        author.set_password("a long enough password")
        db.session.add(author)
        db.session.flush()
        photo.seek(0)
        upload = store_upload(FileStorage(photo, filename="dunes.jpg"), author.id, "Dunes").upload
        post = Post(
            title="Dunes", slug="dunes", body=f"![Dunes](/media/{upload.name})", author_id=author.id,
            status=PUBLISHED, published_at=utcnow(),
        )  # fmt: skip
        render(post, "en")
        db.session.add(post)
        db.session.commit()
        name, widths = upload.name, upload.widths
    assert widths == [640, 960, 1280]
    archive = backup(app)

    new = fresh_machine(tmp_path)
    assert new.test_cli_runner().invoke(args=["restore", str(archive), "--yes"]).exit_code == 0
    with new.app_context():
        row = db.session.scalars(select(Upload)).one()
        assert (row.name, row.alt, row.widths) == (name, "Dunes", widths)
        assert row.sha256 and len(row.sha256) == 64
    client = new.test_client()
    page = client.get("/posts/dunes/").get_data(as_text=True)
    copies = re.search(r'srcset="([^"]+)"', page).group(1)
    for candidate in copies.split(","):
        url = candidate.split()[0]
        with client.get(url) as served:
            assert served.status_code == 200 and served.mimetype == "image/jpeg", url
    with new.app_context():
        db.engine.dispose()


def test_restore_refuses_an_upload_named_by_a_path_and_changes_nothing(site, tmp_path):
    """Deleting that image in the desk would delete the file its name points at."""
    doctored = archive_with(
        site,
        tmp_path,
        "INSERT INTO uploads (name, original_name, content_type, size, width, height,"
        " created_at, alt, sha256, variant_widths) VALUES ('../config.py', 'x.png',"
        " 'image/png', 1, 1, 1, '2026-01-01 00:00:00', '', '" + "a" * 64 + "', '')",
    )
    result = site.test_cli_runner().invoke(args=["restore", str(doctored), "--yes"])
    assert result.exit_code == 1
    assert "'../config.py'" in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert slugs(site) == ["first", "second"]
    assert not list((Path(site.instance_path) / "backups").glob("before-restore-*"))
