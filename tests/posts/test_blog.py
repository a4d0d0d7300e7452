"""Public reading: home, post page, tags, archives, feed, sitemap, robots, visibility of drafts."""

import sqlite3
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from cms.clock import utcnow
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.models import DRAFT, Post
from cms.posts import refresh_rendering
from tests.conftest import get_post


def test_home_lists_published_posts_newest_first_with_excerpt(client, make_post):
    make_post("Older post", body="First paragraph of the older one.", ago=timedelta(days=2))
    make_post("Newer post", body="Intro of the newer one.\n\nSecond paragraph.", tags=["Travel"])
    page = client.get("/").get_data(as_text=True)
    assert page.index("Newer post") < page.index("Older post")
    assert "Intro of the newer one." in page
    assert "Second paragraph." not in page
    assert "Read more" in page  # the newer one has more than its first paragraph
    assert 'href="/tags/travel/"' in page


def test_excerpt_stops_at_more_marker(client, make_post):
    make_post("Marked", body="Teaser one.\n\nTeaser two.\n\n<!--more-->\n\nThe rest.")
    page = client.get("/").get_data(as_text=True)
    assert "Teaser one." in page and "Teaser two." in page
    assert "The rest." not in page


def test_home_is_paginated(app, client, make_post):
    for n in range(12):
        make_post(f"Post {n:02d}", ago=timedelta(hours=n + 1))
    first = client.get("/").get_data(as_text=True)
    assert "Post 00" in first and "Post 09" in first and "Post 10" not in first
    assert 'href="/?page=2"' in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Post 10" in second and "Post 11" in second and "Post 00" not in second
    assert client.get("/?page=3").status_code == 404
    assert client.get("/?page=abc").status_code == 404


def test_posts_per_page_setting(app, client, make_post):
    for n in range(3):
        make_post(f"Post {n}", ago=timedelta(hours=n + 1))
    with app.test_request_context():
        site_settings().posts_per_page = 2
        db.session.commit()
    assert "Post 2" not in client.get("/").get_data(as_text=True)
    assert "Post 2" in client.get("/?page=2").get_data(as_text=True)


def test_post_page_shows_title_author_date_tags_body(client, make_post):
    make_post(
        "Hello world",
        body="## Section\n\nSome **bold** words.",
        tags=["Notes"],
        published_at=datetime(2026, 11, 20, 9, 30),
    )
    response = client.get("/posts/hello-world/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Hello world</h1>" in page
    assert "Alice Martin" in page
    assert "November 20, 2026" in page
    assert "<strong>bold</strong>" in page
    assert 'href="/tags/notes/"' in page


def test_every_public_page_has_canonical_description_and_open_graph(client, make_post):
    make_post("Hello world", body="A short summary sentence.", tags=["Notes"])
    for url in ["/", "/posts/hello-world/", "/tags/notes/", "/archive/"]:
        page = client.get(url).get_data(as_text=True)
        assert f'<link rel="canonical" href="http://blog.test{url}">' in page, url
        assert '<meta property="og:title"' in page, url
        assert '<meta name="description"' in page or url == "/", url
    post_page = client.get("/posts/hello-world/").get_data(as_text=True)
    assert '<meta name="description" content="A short summary sentence.">' in post_page
    assert '<meta property="og:type" content="article">' in post_page


def test_unknown_post_is_a_styled_404(client):
    response = client.get("/posts/nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert '<link rel="stylesheet"' in response.get_data(as_text=True)


def test_drafts_are_invisible_to_visitors(client, make_post):
    make_post("Secret draft", status=DRAFT)
    assert client.get("/posts/secret-draft/").status_code == 404
    assert "Secret draft" not in client.get("/").get_data(as_text=True)
    assert "Secret draft" not in client.get("/feed.xml").get_data(as_text=True)
    assert "secret-draft" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_author_sees_draft_and_scheduled_with_banner(logged_in, make_post):
    make_post("Secret draft", status=DRAFT)
    make_post("Tomorrow", published_at=utcnow() + timedelta(days=1))
    draft = logged_in.get("/posts/secret-draft/")
    assert draft.status_code == 200
    assert "Draft: only you can see this post." in draft.get_data(as_text=True)
    scheduled = logged_in.get("/posts/tomorrow/")
    assert "Scheduled: visitors will see this post from" in scheduled.get_data(as_text=True)


def test_scheduled_post_appears_by_itself_when_its_time_comes(app, client, make_post):
    post_id = make_post("Soon", published_at=utcnow() + timedelta(hours=1))
    assert client.get("/posts/soon/").status_code == 404
    assert "Soon" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        from cms.models import Post

        db.session.get(Post, post_id).published_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/posts/soon/").status_code == 200
    assert "Soon" in client.get("/").get_data(as_text=True)


def test_tag_page_lists_only_tagged_published_posts(client, make_post):
    make_post("Tagged", tags=["Été à Montréal"])
    make_post("Untagged")
    make_post("Tagged draft", status=DRAFT, tags=["Été à Montréal"])
    response = client.get("/tags/ete-a-montreal/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Été à Montréal" in page and "Tagged" in page
    assert "Untagged" not in page and "Tagged draft" not in page
    assert client.get("/tags/unknown/").status_code == 404


def test_monthly_archives(client, make_post):
    make_post("October post", published_at=datetime(2026, 10, 3, 12))
    make_post("November post", published_at=datetime(2026, 11, 2, 12))
    index = client.get("/archive/").get_data(as_text=True)
    assert 'href="/archive/2026/11/"' in index and 'href="/archive/2026/10/"' in index
    assert "November 2026" in index and "1 post" in index
    november = client.get("/archive/2026/11/").get_data(as_text=True)
    assert "November post" in november and "October post" not in november
    assert client.get("/archive/2026/13/").status_code == 404


def test_archive_months_end_where_dates_do(client, make_post):
    """/archive/9999/12/ was a 500: the month's end, 1 January 10000, is past datetime's range."""
    make_post("Posted today")
    for year, month in [(9999, 12), (10000, 1), (1899, 12), (2026, 0), (2026, 13)]:
        assert client.get(f"/archive/{year}/{month}/").status_code == 404, (year, month)
    for year, month in [(9999, 11), (1900, 1)]:
        response = client.get(f"/archive/{year}/{month}/")
        assert response.status_code == 200, (year, month)
        assert "Posted today" not in response.get_data(as_text=True), (year, month)


def test_archive_months_follow_the_site_time_zone(app, client, make_post):
    # 23:30 UTC on 31 October is already November in Paris.
    make_post("Halloween night", published_at=datetime(2026, 10, 31, 23, 30))
    with app.test_request_context():
        site_settings().timezone = "Europe/Paris"
        db.session.commit()
    assert "Halloween night" in client.get("/archive/2026/11/").get_data(as_text=True)
    assert 'href="/archive/2026/11/"' in client.get("/archive/").get_data(as_text=True)


def test_atom_feed_lists_latest_posts(client, make_post):
    make_post("Feed me", body="Body with <em>html</em> & ampersand.")
    response = client.get("/feed.xml")
    xml = response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    assert "<title>Feed me</title>" in xml
    assert "http://blog.test/posts/feed-me/" in xml
    assert "&lt;em&gt;html&lt;/em&gt;" in xml  # HTML content is escaped inside the XML


def test_sitemap_and_robots(client, make_post):
    make_post("Mapped", tags=["Maps"])
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://blog.test/posts/mapped/</loc>" in sitemap
    assert "<loc>http://blog.test/tags/maps/</loc>" in sitemap
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    assert "Disallow: /editor/" in robots.get_data(as_text=True)
    assert "Sitemap: http://blog.test/sitemap.xml" in robots.get_data(as_text=True)


def test_stale_rendering_is_refreshed_on_view(app, client, make_post):
    post_id = make_post("Old render", body="Plain text.")
    with app.app_context():
        from cms.models import Post

        post = db.session.get(Post, post_id)
        post.body_html, post.render_key = "<p>outdated</p>", "0:en"
        db.session.commit()
    page = client.get("/posts/old-render/").get_data(as_text=True)
    assert "Plain text." in page and "outdated" not in page


def make_stale(app, post_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(body_html="<p>outdated</p>", render_key="0:en")
        )
        db.session.commit()


def test_stale_posts_are_rendered_again_a_batch_per_request(app, client, make_post):
    """The feed lists 20 posts: after a language change, two requests put them right."""
    ids = [make_post(f"Post {n}", body=f"Text {n}.") for n in range(20)]
    for post_id in ids:
        make_stale(app, post_id)

    def outdated() -> int:
        return sum(get_post(app, id=post_id).body_html == "<p>outdated</p>" for post_id in ids)

    first = client.get("/feed.xml")
    assert first.status_code == 200 and outdated() == 10 and "ETag" not in first.headers
    second = client.get("/feed.xml")
    assert outdated() == 0 and "ETag" in second.headers
    assert "outdated" not in client.get("/feed.xml").get_data(as_text=True)


def test_a_reader_saving_fresh_html_waits_for_a_writer_instead_of_failing(app, client, make_post):
    post_id = make_post("Old render", body="Plain text.")
    make_stale(app, post_id)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write lock")
        path = db.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE site_settings SET tagline = 'Written meanwhile'")
    threading.Timer(0.3, writer.execute, ["COMMIT"]).start()
    page = client.get("/posts/old-render/")
    writer.close()
    assert page.status_code == 200 and "Plain text." in page.get_data(as_text=True)
    stored = get_post(app, id=post_id)
    assert "Plain text." in stored.body_html and stored.render_key.endswith(":en")


def test_html_rendered_from_a_stale_read_never_overwrites_a_save_made_meanwhile(app, make_post):
    post_id = make_post("Old render", body="Plain text.")
    make_stale(app, post_id)
    with app.test_request_context("/posts/old-render/"):
        read = db.session.get(Post, post_id)
        with db.engine.begin() as other_request:  # the author saves while the reader renders
            other_request.execute(
                update(Post)
                .where(Post.id == post_id)
                .values(body="Saved.", body_html="<p>Saved.</p>", version=Post.version + 1)
            )
        assert refresh_rendering([read], "en") is False
        db.session.commit()
    stored = get_post(app, id=post_id)
    assert (stored.body, stored.body_html) == ("Saved.", "<p>Saved.</p>")


def test_code_highlighting_stylesheet_only_where_code_is(client, make_post):
    make_post("With code", body="```python\nprint('hi')\n```")
    make_post("Prose only", body="Just words.")
    assert "css/pygments.css" in client.get("/posts/with-code/").get_data(as_text=True)
    assert "css/pygments.css" not in client.get("/posts/prose-only/").get_data(as_text=True)
    with client.get("/static/css/pygments.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_server_error_is_a_styled_500_that_leaks_nothing(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and '<link rel="stylesheet"' in page
    assert "secret internals" not in page and "Traceback" not in page
