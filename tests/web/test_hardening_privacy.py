"""Commenters never see another person's pending comment nor anyone's e-mail, on any public page.

tests/comments/test_comments.py proves it on the post page and the comments feed; this module crawls every
public page type and feed, after the writer of a held comment has loaded them first (so a page
cached for them would be served to the next visitor).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from cms.clock import utcnow
from cms.extensions import db
from cms.models import APPROVED, PAGE, PENDING, PUBLISHED, Comment, Post
from cms.posts import render
from tests.conftest import make_app
from tests.support.comments import add_comment, post_comment, set_site
from tests.web.test_hardening_access import seed_author_and_post

HELD_BODY = "Held words only the writer may read"
EMAILS = ("ada.private@example.org", "held.writer@example.net")
# GET endpoints that are not public pages of the site (or need a secret the crawl cannot know).
NOT_PAGES = {"static", "blog.media_file", "blog.preview", "health.healthz"}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def public_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.endpoint.startswith(("editor.", "auth."))
        and rule.endpoint not in NOT_PAGES
    }


def crawl(app, client) -> dict[str, tuple[int, str]]:
    """Every page reachable from the home page and the feeds, with its status and text."""
    adapter = app.url_map.bind("blog.test")
    seen: dict[str, tuple[int, str]] = {}
    queue = ["/", "/feed.xml", "/sitemap.xml", "/robots.txt"]
    while queue and len(seen) < 300:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        text = response.get_data(as_text=True)
        seen[url] = (response.status_code, text)
        if response.status_code in (301, 302):
            queue.append(response.headers["Location"])
            continue
        parser = Links()
        parser.feed(text)
        for href in parser.hrefs + [loc for loc in text.split("<loc>")[1:]]:
            href = href.split("</loc>")[0]
            parts = urlsplit(urljoin("http://blog.test" + url, href))
            if parts.netloc != "blog.test":
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            try:
                endpoint, _ = adapter.match(parts.path)
            except (NotFound, MethodNotAllowed):
                continue
            except Exception:  # a redirect rule (trailing slash) still names a page
                endpoint = ""
            if endpoint not in NOT_PAGES and not endpoint.startswith(("editor.", "auth.")):
                queue.append(target)
    return seen


def test_no_public_page_or_feed_shows_a_pending_comment_or_an_email(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    with app.app_context():
        post_id = seed_author_and_post(app, tags=["walk"])
        seed_page(app)
    add_comment(app, post_id, "Ada", "An approved remark.", author_email=EMAILS[0])
    set_site(app, moderate_first_comment=True)
    writer, other = app.test_client(), app.test_client()
    response = post_comment(writer, "target", name="Held Writer", email=EMAILS[1], body=HELD_BODY)
    assert response.status_code == 302
    with app.app_context():
        statuses = dict(db.session.execute(select(Comment.body, Comment.status)).all())
    assert statuses == {"An approved remark.": APPROVED, HELD_BODY: PENDING}

    own_pages = crawl(app, writer)
    assert any(HELD_BODY in text for _, text in own_pages.values())  # the writer sees theirs
    pages = crawl(app, other)
    adapter = app.url_map.bind("blog.test")
    visited = set()
    for url, (status, text) in pages.items():
        assert status < 500, url
        if status == 200:
            visited.add(adapter.match(urlsplit(url).path)[0])
        for secret in (HELD_BODY, "Held Writer", *EMAILS, "mailto:"):
            assert secret not in text, (url, secret)
    for url in ("/comments/2", "/posts/target/comments.xml", "/posts/target/?page=2"):
        status, text = other.get(url).status_code, other.get(url).get_data(as_text=True)
        assert HELD_BODY not in text and status in (200, 404), url
    # Every public page type was part of the walk (a new one joins it or fails here).
    assert public_endpoints(app) <= visited | {"comments.permalink"}, visited
    assert {"blog.index", "blog.post", "blog.tag", "blog.archive", "comments.feed"} <= visited


def seed_page(app) -> None:
    page = Post(
        title="About", slug="about", body="Me.", status=PUBLISHED, kind=PAGE, published_at=utcnow()
    )
    render(page, "en")
    db.session.add(page)
    db.session.commit()
