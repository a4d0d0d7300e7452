"""`flask import-wxr`: WordPress exports imported through the CLI runner into a real database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cms import markup
from cms.extensions import db
from cms.models import (
    APPROVED,
    DRAFT,
    PAGE,
    PENDING,
    PUBLISHED,
    Author,
    Comment,
    Post,
    Redirect,
    Tag,
)
from cms.posts import render
from tests import support
from tests.conftest import PASSWORD

DATA = support.DATA / "wxr"
EXPORT = support.WXR_EXPORT
THEME_UNIT_TEST = support.THEME_UNIT_TEST
needs_theme_unit_test = pytest.mark.skipif(
    not THEME_UNIT_TEST.exists(), reason="WordPress's theme unit test export is not there"
)


def run_import(app, *args: str):
    return app.test_cli_runner().invoke(args=["import-wxr", *map(str, args)])


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Post, Comment, Author, Tag, Redirect)
        }


def post_by_key(app, wp_id: int, site: str = "https://lighthouse.example.org/log") -> Post:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.import_key == f"wxr:{site}#{wp_id}"))
        assert post is not None, wp_id
        db.session.expunge(post)
        return post


# --- the hand-written export ------------------------------------------------------------------


@pytest.fixture
def imported(app):
    result = run_import(app, EXPORT)
    assert result.exit_code == 0, result.output
    return result


def test_report_says_what_was_imported_and_skipped(imported):
    report = imported.output
    assert "6 posts and 1 page" in report
    assert "3 comments (2 approved, 1 pending), 2 of them replies" in report
    assert "new authors: keeper, visitor" in report
    assert "flask --app app set-password NAME" in report
    assert "1 × pingbacks are not imported" in report
    assert "1 × trackbacks are not imported" in report
    assert "× it was in the trash" in report
    assert "1 × attachments are not imported" in report
    assert "Import complete." in report


def test_a_page_at_an_address_of_the_site_gets_another_and_the_report_says_so(
    app, client, tmp_path
):
    """WordPress has no /feeds/ of its own: a page there would have been hidden by this site's
    feeds page. It is imported at /feeds-2/, and the author is told."""
    export = tmp_path / "feeds.xml"
    export.write_text(
        EXPORT.read_text("utf-8").replace(
            "<wp:post_name>about</wp:post_name>", "<wp:post_name>feeds</wp:post_name>"
        ),
        "utf-8",
    )
    result = run_import(app, export)
    assert result.exit_code == 0, result.output
    assert "  1 page at another address, the site using its own: /feeds/ → /feeds-2/" in (
        result.output
    )
    assert post_by_key(app, 20).slug == "feeds-2"
    assert "Built in 1871." in client.get("/feeds-2/").get_data(as_text=True)
    assert "<h1>Follow this blog</h1>" in client.get("/feeds/").get_data(as_text=True)


def test_posts_keep_slug_dates_status_and_comment_switch(app, imported):
    storm = post_by_key(app, 10)
    assert (storm.title, storm.slug, storm.kind) == ("Storm season", "storm-season", "post")
    assert storm.status == PUBLISHED and storm.published_at == datetime(2021, 3, 14, 21, 5)
    assert storm.allow_comments is True
    # An unsaved draft has no slug in WordPress: its title gives one.
    assert post_by_key(app, 11).slug == "half-written-thoughts"
    assert post_by_key(app, 11).status == DRAFT
    assert post_by_key(app, 13).status == DRAFT  # private -> draft
    equinox = post_by_key(app, 14)
    assert equinox.state == "scheduled" and equinox.published_at == datetime(2031, 9, 22, 19)
    about = post_by_key(app, 20)
    assert (about.kind, about.slug, about.state) == (PAGE, "about", PUBLISHED)
    closed = {post.title for post in all_posts(app) if not post.allow_comments}
    assert len(closed) == 3


def all_posts(app) -> list[Post]:
    with app.app_context():
        posts = db.session.scalars(select(Post)).all()
        db.session.expunge_all()
        return posts


def test_tags_and_authors(app, imported):
    with app.app_context():
        storm = db.session.scalar(select(Post).where(Post.slug == "storm-season"))
        assert [tag.name for tag in storm.tags] == ["Night & Day", "Weather"]  # no Uncategorized
        assert storm.author.username == "keeper" and storm.author.display_name == "Mara Keeper"
        visitor = db.session.scalar(select(Author).where(Author.username == "visitor"))
        assert visitor.display_name == "Zoë & Friends"
        # A random password nobody knows: the author must be given one.
        assert not visitor.check_password("")
        assert not visitor.check_password(PASSWORD)


def test_comments_keep_author_status_threading_and_text(app, imported):
    with app.app_context():
        comments = {
            c.author_name + ":" + c.body[:10]: c for c in db.session.scalars(select(Comment))
        }
        assert len(comments) == 3
        tom = comments["Fisher Tom:We saw the"]
        assert tom.status == APPROVED and tom.parent_id is None
        assert tom.author_email == "tom@harbour.example"
        assert tom.author_website == "https://harbour.example/tom"
        assert tom.created_at.year == 2021
        assert tom.body == "We saw the beam all night. *Thank you.*"
        assert "<em>Thank you.</em>" in tom.body_html
        reply = comments["Mara Keeper:That is wh"]
        assert reply.parent_id == tom.id
        cake = comments["Fisher Tom:Still, cak"]
        assert cake.status == PENDING and cake.parent_id == reply.id


def test_imported_post_reads_as_on_the_old_site_and_stays_editable(app, client, imported):
    page = client.get("/posts/storm-season/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The wind started before supper." in html
    assert "<pre>wind:  NW 9\n\nrain:  heavy</pre>" in html  # wpautop keeps <pre> as it was
    assert "[caption" not in html
    assert "We saw the beam all night." in html
    storm = post_by_key(app, 10)
    # The source is the sanitized HTML: rendering it again, as a save from the editor does,
    # gives the same page, and the excerpt stops at WordPress's more tag.
    assert storm.body.startswith("<p>The wind started before supper.")
    assert markup.MORE_MARKER in storm.body and storm.has_more
    with app.app_context():
        again = db.session.get(Post, storm.id)
        render(again, "en")
        assert again.body_html == storm.body_html


def test_old_addresses_redirect_permanently(client, imported):
    for old, new in [
        ("/log/2021/03/storm-season/", "/posts/storm-season/"),
        ("/log/2021/03/storm-season", "/posts/storm-season/"),
        ("/log/?p=10", "/posts/storm-season/"),
        ("/log/about/", "/about/"),
        ("/log/?page_id=20", "/about/"),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == new, old
    assert client.get("/log/2099/01/nothing/").status_code == 404
    assert client.get("/?p=999").status_code == 200  # an unknown id shows the home page
    for hostile in ("²", "٣", "1e9", "-1", "10%00"):
        assert client.get("/", query_string={"p": hostile}).status_code == 200, hostile
        assert client.get("/log/", query_string={"page_id": hostile}).status_code == 404, hostile
    # A number no row can have is refused up front, like one in a path.
    assert client.get("/", query_string={"p": "9" * 40}).status_code == 404


def test_plain_permalinks_on_the_home_page(app, client):
    xml = EXPORT.read_text().replace(
        "<wp:base_blog_url>https://lighthouse.example.org/log</wp:base_blog_url>",
        "<wp:base_blog_url>https://lighthouse.example.org</wp:base_blog_url>",
    )
    source = app.instance_path + "/root-site.xml"
    Path(source).write_text(xml)
    assert run_import(app, source).exit_code == 0
    response = client.get("/?p=10")
    assert response.status_code == 301 and response.headers["Location"] == "/posts/storm-season/"


def test_importing_twice_creates_nothing_new(app, imported):
    before = counts(app)
    again = run_import(app, EXPORT)
    assert again.exit_code == 0, again.output
    assert "0 posts and 0 pages" in again.output
    assert "7 × it was imported before" in again.output
    assert counts(app) == before


def test_dry_run_saves_nothing(app):
    before = counts(app)
    result = run_import(app, EXPORT, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "6 posts and 1 page" in result.output
    assert "Dry run: nothing was saved." in result.output
    assert counts(app) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.xml", "ends too early"),
        ("malformed.xml", "is not valid XML (line"),
        ("feed.xml", "is not a WordPress export"),
    ],
)
def test_a_broken_file_fails_clearly_and_changes_nothing(app, imported, name, message):
    before = counts(app)
    result = run_import(app, DATA / name)
    assert result.exit_code == 1
    assert message in result.output and "Nothing was imported." in result.output
    assert "Traceback" not in result.output
    assert counts(app) == before


def test_a_failure_half_way_undoes_the_whole_import(app, monkeypatch):
    """Everything happens in one transaction: a failure on the last comment leaves no post."""
    calls = Counter()
    real = markup.render_comment

    def failing_on_the_third(source, language, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(source, language, **kwargs)

    monkeypatch.setattr(markup, "render_comment", failing_on_the_third)
    result = run_import(app, EXPORT)
    assert result.exit_code != 0
    assert counts(app) == {"posts": 0, "comments": 0, "authors": 0, "tags": 0, "redirects": 0}


def test_existing_author_is_reused_and_keeps_their_password(app, author):
    with app.app_context():
        keeper = Author(username="Keeper", display_name="Mara")
        keeper.set_password(PASSWORD)
        db.session.add(keeper)
        db.session.commit()
    result = run_import(app, EXPORT)
    assert "existing authors kept: Keeper" in result.output
    assert "new authors: visitor" in result.output
    with app.app_context():
        keeper = db.session.scalar(select(Author).where(Author.username == "Keeper"))
        assert keeper.check_password(PASSWORD)
        assert {
            post.slug for post in db.session.scalars(select(Post).where(Post.author == keeper))
        } >= {
            "storm-season",
            "about",
        }


def test_set_password_lets_an_imported_author_log_in(app, client, imported):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", "VISITOR", "--password", "a new passphrase"])
    assert result.exit_code == 0, result.output
    login = client.post("/login", data={"username": "visitor", "password": "a new passphrase"})
    assert login.status_code == 302
    assert (
        runner.invoke(args=["set-password", "nobody", "--password", "long enough"]).exit_code == 1
    )
    short = runner.invoke(args=["set-password", "visitor", "--password", "short"])
    assert short.exit_code != 0 and "at least 8 characters" in short.output


# --- WordPress's theme unit test data -------------------------------------------------------


@pytest.fixture
def theme_unit_test(app):
    result = run_import(app, THEME_UNIT_TEST)
    assert result.exit_code == 0, result.output
    return result


SITE = "https://wpthemetestdata.wordpress.com"


@needs_theme_unit_test
def test_theme_unit_test_counts_match_the_file(app, theme_unit_test):
    with app.app_context():
        posts = db.session.scalars(select(Post)).all()
        comments = db.session.scalars(select(Comment)).all()
        assert Counter(post.kind for post in posts) == {"post": 58, "page": 21}
        assert Counter(post.state for post in posts) == {
            "published": 77,
            "draft": 1,
            "scheduled": 1,
        }
        assert sum(not post.allow_comments for post in posts) == 49
        assert len(comments) == 29  # 33 in the file, less 2 pingbacks and 2 trackbacks
        assert Counter(comment.status for comment in comments) == {APPROVED: 26, PENDING: 3}
        replies = [comment for comment in comments if comment.parent_id is not None]
        assert len(replies) == 10
        by_id = {comment.id: comment for comment in comments}
        assert all(by_id[reply.parent_id].post_id == reply.post_id for reply in replies)
        on_1148 = db.session.scalar(select(Post).where(Post.import_key == f"{SITE_KEY}#1148"))
        assert len(on_1148.comments) == 20
        assert db.session.scalar(select(func.count(Author.id))) == 2
        draft = db.session.scalar(select(Post).where(Post.import_key == f"{SITE_KEY}#1164"))
        assert (draft.state, draft.slug) == ("draft", "draft")  # its WordPress slug was empty
        scheduled = db.session.scalar(select(Post).where(Post.import_key == f"{SITE_KEY}#1153"))
        assert scheduled.state == "scheduled"
    report = theme_unit_test.output
    assert "58 posts and 21 pages" in report
    assert "70 × navigation menu items are not imported" in report
    assert "37 × attachments are not imported" in report
    assert "2 × pingbacks are not imported" in report


SITE_KEY = f"wxr:{SITE}"


@needs_theme_unit_test
def test_theme_unit_test_slugs_and_titles_are_usable(app, theme_unit_test):
    with app.app_context():
        posts = {
            post.import_key.rpartition("#")[2]: post for post in db.session.scalars(select(Post))
        }
        # Percent-encoded Greek slugs: the title gives a readable address instead of "2".
        assert posts["1811"].slug == "2-second-greek-level"
        assert posts["1169"].title  # WordPress allows an empty title; the slug names it here
        assert posts["1173"].title == "Markup: Title With Markup"
        assert len({post.slug for post in posts.values()}) == 79


@needs_theme_unit_test
def test_theme_unit_test_every_public_item_renders(app, client, theme_unit_test):
    with app.app_context():
        public = [post for post in db.session.scalars(select(Post)) if post.is_public]
        urls = [f"/{p.slug}/" if p.kind == PAGE else f"/posts/{p.slug}/" for p in public]
    assert len(urls) == 77
    for url in urls:
        assert client.get(url).status_code == 200, url
    old = client.get("/2013/01/05/markup-title-with-markup/")
    assert old.status_code == 301 and old.headers["Location"] == "/posts/markup-title-with-markup/"


@needs_theme_unit_test
def test_theme_unit_test_imported_twice_has_no_duplicates(app, theme_unit_test):
    before = counts(app)
    again = run_import(app, THEME_UNIT_TEST)
    assert again.exit_code == 0, again.output
    assert "79 × it was imported before" in again.output
    assert counts(app) == before
