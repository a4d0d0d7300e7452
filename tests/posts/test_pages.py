"""Pages: undated, kept out of the home page, tags, archives and feed; in the navigation and sitemap."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from cms.clock import utcnow
from cms.extensions import db
from cms.models import DRAFT, PAGE, POST, PUBLISHED, Post
from tests.conftest import get_post


def page_form(**fields):
    data = {
        "title": "About",
        "slug": "",
        "body": "Who *writes* here.",
        "status": PUBLISHED,
        "nav_order": "",
        "action": "save",
    }
    return data | fields


@pytest.fixture
def make_page(make_post):
    def make(title="About", nav_order=None, **fields) -> int:
        return make_post(title, kind=PAGE, nav_order=nav_order, tags=(), **fields)

    return make


def test_writing_a_page_in_the_editor(app, logged_in, client):
    form = logged_in.get("/editor/pages/new", follow_redirects=True).get_data(as_text=True)
    assert "New page" in form and 'name="nav_order"' in form
    assert 'name="tags"' not in form and 'name="published_at"' not in form

    response = logged_in.post("/editor/pages/new", data=page_form(nav_order="2"))
    page = get_post(app, slug="about")
    assert (page.kind, page.nav_order, page.status) == (PAGE, 2, PUBLISHED)
    assert response.headers["Location"] == f"/editor/posts/{page.id}/edit"
    assert "Page published." in logged_in.get(response.headers["Location"]).get_data(as_text=True)

    public = client.get("/about/")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "<h1>About</h1>" in html and "<em>writes</em>" in html
    assert "<time" not in html.split("<main")[1]  # no date on a page


def test_pages_stay_out_of_home_tags_archives_and_feed(app, client, make_post, make_page):
    make_post("A dated post", tags=["life"])
    page_id = make_page("Contact", body="Write to me.", nav_order=1)
    with app.app_context():  # even a page that somehow carries a tag
        page = db.session.get(Post, page_id)
        page.tags = db.session.get(Post, 1).tags
        db.session.commit()
    for url in ("/", "/tags/life/", "/feed.xml", "/archive/"):
        body = client.get(url).get_data(as_text=True)
        assert "A dated post" in body or url == "/archive/", url
        assert "Write to me." not in body, url
    assert "Contact" not in client.get("/tags/life/").get_data(as_text=True).split("<main")[1]
    month = utcnow().strftime("/archive/%Y/%m/")
    assert "Write to me." not in client.get(month).get_data(as_text=True)
    assert "1 post" in client.get("/archive/").get_data(as_text=True)


def test_navigation_lists_published_pages_with_a_position_in_order(client, make_page):
    make_page("Contact", nav_order=2)
    make_page("About", nav_order=1)
    make_page("Colophon")  # no position: not in the navigation
    make_page("Secret plans", status=DRAFT, nav_order=0)
    home = client.get("/").get_data(as_text=True)
    nav = home[home.index('<nav class="site-nav"') : home.index("</nav>")]
    assert nav.index('href="/about/">About') < nav.index('href="/contact/">Contact')
    assert "Colophon" not in nav and "Secret plans" not in nav
    assert client.get("/colophon/").status_code == 200
    assert client.get("/secret-plans/").status_code == 404


def test_sitemap_lists_published_pages(client, make_post, make_page):
    make_post("A post")
    make_page("About")
    make_page("Draft page", status=DRAFT)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://blog.test/about/</loc>" in sitemap
    assert "<loc>http://blog.test/posts/a-post/</loc>" in sitemap
    assert "draft-page" not in sitemap


def test_page_addresses(app, client, logged_in, make_page):
    make_page("About")
    assert client.get("/about").status_code == 308  # the canonical address ends with a slash
    assert client.get("/about").headers["Location"].endswith("/about/")
    assert client.get("/posts/about/").headers["Location"].endswith("/about/")
    assert client.get("/nowhere/").status_code == 404
    assert client.get("/nowhere").status_code == 404
    # The site's own addresses are never taken by the page route.
    assert client.get("/logout").status_code == 405
    assert client.get("/archive").status_code == 308


def test_a_draft_page_is_seen_only_by_the_author(app, client, logged_in, make_page):
    make_page("Upcoming", status=DRAFT)
    assert "Draft: only you can see this page." in logged_in.get("/upcoming/").get_data(
        as_text=True
    )
    anonymous = app.test_client()
    assert anonymous.get("/upcoming/").status_code == 404


@pytest.mark.parametrize(
    "slug", ["archive", "editor", "media", "login", "tags", "feeds", "healthz", "static"]
)
def test_a_page_cannot_take_an_address_of_the_site(app, logged_in, slug):
    response = logged_in.post("/editor/pages/new", data=page_form(title="Mine", slug=slug))
    page = response.get_data(as_text=True)
    assert "The site itself uses this address: choose another one." in page
    assert 'value="Mine"' in page and "Who *writes* here.</textarea>" in page  # kept as typed
    assert get_post(app, title="Mine") is None


def test_check_names_a_page_stored_at_an_address_the_site_took_since(app, make_page):
    """A page made at /feeds/ before the site had its feeds page there is hidden by it: the
    editor refuses the address when a page is saved, which says nothing of one stored."""
    make_page("Our feeds", slug="feeds")
    make_page("About")
    check = app.test_cli_runner().invoke(args=["check"])
    assert "warn  pages" in check.output
    assert (
        "/feeds/ (“Our feeds”) is hidden by the site's own address: give it another in the editor"
        in check.output
    )
    assert "/about/" not in check.output


def test_a_page_titled_like_a_site_address_gets_another_slug(app, logged_in):
    logged_in.post("/editor/pages/new", data=page_form(title="Archive"))
    assert get_post(app, title="Archive").slug == "archive-2"
    logged_in.post("/editor/posts/new", data=page_form(title="Archive", tags="", published_at=""))
    with app.app_context():
        posts = db.session.scalars(select(Post.slug).where(Post.kind == POST)).all()
    assert posts == ["archive"]  # a post lives under /posts/: the word is free there


def test_slugs_are_unique_across_posts_and_pages(app, logged_in, make_post):
    make_post("Taken", slug="about")
    response = logged_in.post("/editor/pages/new", data=page_form(slug="about"))
    assert "Another post already uses this address." in response.get_data(as_text=True)


def test_pages_list_and_dashboard_are_separate(logged_in, make_post, make_page):
    make_post("Dated one")
    make_page("Undated one", nav_order=3)
    pages = logged_in.get("/editor/pages").get_data(as_text=True)
    assert "Undated one" in pages and "Dated one" not in pages and "</span>3</td>" in pages
    dashboard = logged_in.get("/editor/").get_data(as_text=True).split("<main")[1]
    assert "Dated one" in dashboard and "Undated one" not in dashboard  # (it is in the site's nav)


def test_republishing_a_page_keeps_its_first_date(app, logged_in, make_page):
    page_id = make_page("About", published_at=utcnow() - timedelta(days=30))
    first = get_post(app, id=page_id).published_at
    logged_in.post(f"/editor/posts/{page_id}/edit", data=page_form(slug="about", version="1"))
    assert get_post(app, id=page_id).published_at == first


def count_queries(app, client, url) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_navigation_costs_one_query_however_many_pages(app, client, make_page):
    make_page("About", nav_order=1)
    one = count_queries(app, client, "/archive/")
    for n in range(2, 7):
        make_page(f"Page {n}", nav_order=n)
    assert count_queries(app, client, "/archive/") == one
    assert "Page 6" in client.get("/archive/").get_data(as_text=True)
