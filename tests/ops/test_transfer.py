"""`flask export` and `flask import-json`: the whole site to one JSON file and back."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from cms import markup
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.models import (
    APPROVED,
    PENDING,
    SPAM,
    Author,
    Autosave,
    Comment,
    CommentEvent,
    Post,
    Revision,
    Upload,
)
from cms.ops.json_export import DERIVED, EXPORTED, NOT_EXPORTED, RETIRED
from tests.conftest import PASSWORD, make_app
from tests.support import WXR_EXPORT

WXR = WXR_EXPORT
CAT = "CatCatCatCatCat_.png"


def export(app, path: Path) -> dict:
    result = app.test_cli_runner().invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}" in result.output
    return json.loads(path.read_text(encoding="utf-8"))


def import_json(app, path: Path):
    return app.test_cli_runner().invoke(args=["import-json", str(path)])


@pytest.fixture
def full_site(app, author, make_post):
    """A site with something in every exported table."""
    assert app.test_cli_runner().invoke(args=["import-wxr", str(WXR)]).exit_code == 0
    post_id = make_post(
        "Written here", body="Some *Markdown*.\n\n<!--more-->\n\nMore.", tags=["Notes"]
    )
    make_post("A picture", body=f"![A cat asleep](/media/{CAT})")
    with app.test_request_context():
        settings = site_settings()
        settings.title, settings.language, settings.posts_per_page = "Mon carnet", "fr", 7
        # A reply whose id is smaller than its parent's, as a WordPress import can leave them.
        reply = Comment(post_id=post_id, author_name="Bea", body="Agreed!", status=APPROVED)
        db.session.add(reply)
        db.session.flush()
        parent = Comment(post_id=post_id, author_name="Al", body="First!", status=SPAM)
        db.session.add(parent)
        db.session.flush()
        reply.parent_id = parent.id
        db.session.add_all(
            [
                Revision(post_id=post_id, author_id=author, title="Written", body="Some."),
                Autosave(author_id=author, post_id=post_id, title="Written here", body="Typed"),
                Upload(
                    name=CAT,
                    original_name="cat.png",
                    content_type="image/png",
                    size=1234,
                    width=1000,
                    height=2000,
                    author_id=author,
                    alt="A cat asleep on a chair",
                    sha256="c0ffee" * 10 + "beef",
                    variant_widths="640 960",
                ),
                CommentEvent(post_id=post_id, author_name="Bot", reason="honeypot", ip="192.0.2.1"),
            ]
        )
        db.session.commit()
    return app


def test_every_table_is_exported_or_deliberately_left_out(app):
    exported = {spec.table for spec in EXPORTED}
    assert exported.isdisjoint(NOT_EXPORTED)
    assert set(db.metadata.tables) | {"alembic_version"} == exported | NOT_EXPORTED


def test_a_retired_field_is_no_longer_a_column(app):
    for table, fields in RETIRED.items():
        assert fields.isdisjoint(db.metadata.tables[table].c.keys())


def test_an_older_export_with_a_retired_field_still_imports(full_site, tmp_path):
    data = export(full_site, tmp_path / "site.json")
    for event in data["comment_events"]:
        event["decision"] = "refused"  # what Causerie wrote before migration 0003
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    fresh = make_app(tmp_path / "elsewhere")
    result = import_json(fresh, old)
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        event = db.session.scalars(select(CommentEvent)).one()
        assert (event.author_name, event.reason) == ("Bot", "honeypot")


def test_export_then_import_then_export_gives_the_same_content(full_site, tmp_path):
    first = export(full_site, tmp_path / "first.json")
    assert first["format"] == "causerie-export" and first["version"] == 1
    for spec in EXPORTED:
        assert first[spec.table], f"the test site has nothing in {spec.table}"

    fresh = make_app(tmp_path / "elsewhere")
    result = import_json(fresh, tmp_path / "first.json")
    assert result.exit_code == 0, result.output
    second = export(fresh, tmp_path / "second.json")

    first.pop("exported_at"), second.pop("exported_at")
    # HTML is not carried over but rendered again, in the site's language ("fr" here, while
    # the test site's rows were rendered in English or not at all): the rest is the same.
    for table, fields in DERIVED.items():
        for row in second[table]:
            assert row["render_key"] == f"{markup.RENDERER_VERSION}:fr"
        for rows in (first[table], second[table]):
            for row in rows:
                for name in fields:
                    row.pop(name)
    assert second == first


def test_export_holds_content_but_no_password_hash(full_site, tmp_path):
    data = export(full_site, tmp_path / "site.json")
    text = (tmp_path / "site.json").read_text(encoding="utf-8")
    assert "password_hash" not in text and "session_token" not in text
    assert {a["username"] for a in data["authors"]} == {"alice", "keeper", "visitor"}
    storm = next(post for post in data["posts"] if post["slug"] == "storm-season")
    assert storm["body"].startswith("<p>The wind started before supper.")  # the source
    assert storm["body_html"] and storm["published_at"] == "2021-03-14T21:05:00.000000"
    statuses = {comment["status"] for comment in data["comments"]}
    assert {APPROVED, PENDING, SPAM} <= statuses
    assert any(comment["parent_id"] for comment in data["comments"])
    assert data["site_settings"][0]["title"] == "Mon carnet"
    assert (tmp_path / "site.json").stat().st_mode & 0o077 == 0  # readers' e-mail addresses


def test_imported_site_works_and_its_authors_must_set_a_password(full_site, tmp_path):
    data = export(full_site, tmp_path / "site.json")
    # An image's description, the hash of its file and its narrower copies travel with it.
    [cat] = data["uploads"]
    assert (cat["alt"], cat["sha256"], cat["variant_widths"]) == (
        "A cat asleep on a chair",
        "c0ffee" * 10 + "beef",
        "640 960",
    )
    fresh = make_app(tmp_path / "elsewhere")
    result = import_json(fresh, tmp_path / "site.json")
    assert "flask --app app set-password NAME" in result.output
    client = fresh.test_client()
    page = client.get("/posts/storm-season/")
    assert page.status_code == 200 and "We saw the beam all night." in page.get_data(as_text=True)
    # Rendered before the uploads were written, the post still offers the image's copies.
    stem = CAT.removesuffix(".png")
    picture = client.get("/posts/a-picture/").get_data(as_text=True)
    assert (
        f'srcset="/media/{stem}-640.png 640w, /media/{stem}-960.png 960w, /media/{CAT} 1000w"'
        in picture
    )
    with fresh.app_context():
        row = db.session.scalars(select(Upload)).one()
        assert (row.alt, row.widths) == ("A cat asleep on a chair", [640, 960])
    assert client.get("/log/2021/03/storm-season/").status_code == 301
    # The old password does not travel; a new one does the job.
    assert (
        client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 200
    )
    runner = fresh.test_cli_runner()
    assert runner.invoke(args=["set-password", "alice", "--password", PASSWORD]).exit_code == 0
    assert (
        client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    )
    # New rows get new ids after the imported ones (PostgreSQL's sequences were moved on).
    with fresh.app_context():
        highest = db.session.scalar(select(func.max(Post.id)))
        post = Post(title="After the move", slug="after-the-move", author_id=1)
        db.session.add(post)
        db.session.commit()
        assert post.id > highest


def test_import_refuses_a_site_that_is_not_empty(full_site, tmp_path, make_post):
    export(full_site, tmp_path / "site.json")
    before = post_count(full_site)
    result = import_json(full_site, tmp_path / "site.json")
    assert result.exit_code == 1
    assert "This site is not empty" in result.output and "flask --app app init" in result.output
    assert post_count(full_site) == before


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"posts": []}', "not a Causerie export"),
        ('{"format": "causerie-export", "version": 99}', "format version 99"),
        (
            '{"format": "causerie-export", "version": 1, "posts": [{"id": 1, "mood": "happy"}]}',
            "fields this Causerie does not know (mood)",
        ),
        (
            '{"format": "causerie-export", "version": 1, "authors": '
            '[{"id": 1, "username": "x", "display_name": "X", "created_at": "yesterday"}]}',
            "authors.created_at holds 'yesterday'",
        ),
    ],
)
def test_a_bad_file_fails_clearly_and_imports_nothing(app, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = import_json(app, path)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Author.id))) == 0


# --- an export is data we did not write ----------------------------------------------------------

HOSTILE = (
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    "<script>alert('owned')</script>"
)


def tampered(full_site, tmp_path, change) -> Path:
    """An export of the test site, changed by change(data) as someone could edit the file."""
    data = export(full_site, tmp_path / "site.json")
    change(data)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_stored_html_in_an_export_is_not_trusted(full_site, tmp_path):
    def poison(data):
        # A render key that matches the site's: served as it is, if it were trusted.
        key = f"{markup.RENDERER_VERSION}:{data['site_settings'][0]['language']}"
        for post in data["posts"]:
            post.update(body_html=HOSTILE, excerpt_html=HOSTILE, summary=HOSTILE, render_key=key)
        for comment in data["comments"]:
            comment.update(body_html=HOSTILE, render_key=key)

    path = tampered(full_site, tmp_path, poison)
    fresh = make_app(tmp_path / "elsewhere")
    result = import_json(fresh, path)
    assert result.exit_code == 0, result.output

    client = fresh.test_client()
    for address in ("/", "/posts/storm-season/", "/about/", "/feed.xml"):
        page = client.get(address)
        assert page.status_code == 200, address
        text = page.get_data(as_text=True)
        assert "evil.example" not in text and "owned" not in text, address
    post = client.get("/posts/storm-season/").get_data(as_text=True)
    # Rendered again from the sources: the post's Markdown, its comments' text.
    assert "The wind started before supper." in post and "We saw the beam all night." in post
    with fresh.app_context():
        assert not any(HOSTILE in html for html in db.session.scalars(select(Comment.body_html)))
        assert all(html for html in db.session.scalars(select(Comment.body_html)))


def site_state(app, tmp_path: Path) -> dict:
    data = export(app, tmp_path / f"state-{uuid4().hex}.json")
    data.pop("exported_at")
    return data


def deeply_nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda data: data["site_settings"][0].update(language="xx"),
            "site_settings.language holds 'xx'; this Causerie knows 'en', 'fr'.",
        ),
        (
            lambda data: data["site_settings"][0].update(posts_per_page=10**30),
            "site_settings.posts_per_page holds 1000000000000000000000000000000, outside "
            "the 1 to 100",
        ),
        (
            lambda data: data["posts"][0].update(id=10**30),
            "posts.id holds 1000000000000000000000000000000, outside the 1 to 2147483647",
        ),
        (
            lambda data: data["site_settings"][0].update(timezone="Mars/Olympus_Mons"),
            "site_settings.timezone holds 'Mars/Olympus_Mons', which is not a time zone.",
        ),
        (
            lambda data: data["posts"][0].update(title="x" * 201),
            "posts.title holds 201 characters, more than its 200.",
        ),
        (
            lambda data: data["posts"][0].update(status="hidden"),
            "posts.status holds 'hidden'; this Causerie knows 'draft', 'published'.",
        ),
        (
            lambda data: data["posts"][0].update(slug="../admin"),
            "posts.slug holds '../admin', which is not an address",
        ),
        (
            lambda data: data["comments"][0].update(created_at="2021-02-30T10:00:00"),
            "comments.created_at holds '2021-02-30T10:00:00', which is not a datetime.",
        ),
        (
            lambda data: data["comments"][0].update(body="a\x00b"),
            "comments.body holds a NUL character",
        ),
        (
            lambda data: data["posts"][0].update(title=[[["deep"]]]),
            "posts.title holds a list, which is not a value of a field.",
        ),
        (
            lambda data: data["posts"][0].update(title="\ud800bad"),
            "posts.title holds half of a character (a lone surrogate)",
        ),
        (
            lambda data: data["comments"][0].update(created_at="0001-01-01T00:00:00+05:00"),
            "comments.created_at holds '0001-01-01T00:00:00+05:00', which is not a datetime.",
        ),
        (
            lambda data: data["uploads"][0].update(sha256="not-a-hash"),
            "uploads.sha256 holds 'not-a-hash', which is not a SHA-256 in hexadecimal.",
        ),
        (
            lambda data: data["uploads"][0].update(variant_widths="640,../x"),
            "uploads.variant_widths holds '640,../x', which is not widths separated by spaces.",
        ),
        (
            # The desk deletes an image's file by its name: this one is the site's secret key.
            lambda data: data["uploads"][0].update(name="../config.py"),
            "uploads.name holds '../config.py', which is not a name Causerie gives its uploads.",
        ),
    ],
    ids=[
        "language",
        "huge-setting",
        "huge-id",
        "timezone",
        "long-title",
        "status",
        "slug",
        "date",
        "nul",
        "nested-value",
        "lone-surrogate",
        "year-one-east-of-utc",
        "upload-hash",
        "upload-widths",
        "upload-path",
    ],
)
def test_a_wrong_value_is_refused_in_one_line_and_changes_nothing(
    full_site, tmp_path, change, message
):
    path = tampered(full_site, tmp_path, change)
    fresh = make_app(tmp_path / "elsewhere")
    before = site_state(fresh, tmp_path)
    result = import_json(fresh, path)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert site_state(fresh, tmp_path) == before
    assert fresh.test_client().get("/").status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"format": "causerie-export", "version": 1, "posts": [{"title": '
            + deeply_nested(10_000)
            + "}]}",
            "is nested too deeply to be a Causerie export. Nothing was imported.",
        ),
        (
            '{"format": "causerie-export", "version": 1, "posts": [{"id": ' + "9" * 10_000 + "}]}",
            "is not valid JSON: Exceeds the limit (4300 digits)",
        ),
    ],
    ids=["10000-deep", "10000-digits"],
)
def test_deep_or_huge_input_is_refused_in_one_line(app, tmp_path, content, message):
    path = tmp_path / "hostile.json"
    path.write_text(content, encoding="utf-8")
    before = site_state(app, tmp_path)
    result = import_json(app, path)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert site_state(app, tmp_path) == before


def test_a_file_larger_than_an_export_may_be_is_refused_unread(app, tmp_path, monkeypatch):
    monkeypatch.setattr("cms.ops.json_export.IMPORT_MAX_BYTES", 1024)
    path = tmp_path / "large.json"
    path.write_text(json.dumps({"format": "causerie-export", "padding": "x" * 2048}))
    result = import_json(app, path)
    assert result.exit_code == 1
    assert (
        "large.json is 2,092 bytes, larger than the 1,024 bytes an export may be. Nothing was imported."
        in result.output
    )
