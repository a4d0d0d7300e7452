"""Random hostile input (hypothesis) to every form and query parameter: never a 500, oversized
bodies get 413, and every refusal is the styled error page in the site's language."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cms.extensions import db
from cms.models import Post
from tests.conftest import PASSWORD, make_app
from tests.kernel.test_security import fill
from tests.support.comments import TOKEN_RE, add_comment, set_site
from tests.web.test_hardening_access import seed_author_and_post

SPECIAL = [
    b"\x00",
    b"a\x00b",
    "\u202e\u200f\u2066evil\u2069".encode(),  # right-to-left overrides and isolates
    b"\xed\xa0\x80",  # a lone surrogate, as some encoders write it
    b"\xff\xfe\xc3",  # not UTF-8 at all
    b"x" * 200_000,  # 200 KB
    "é€😀".encode() * 20_000,
    b"%",
    b"../../etc/passwd",
    b"-1",
    b"99999999999999999999999",
    b"",
]
VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=300).map(str.encode),
    st.binary(max_size=300),
)
# Every field any form of the app has, so that each form meets hostile values in its own fields.
FIELDS = [
    "username", "password", "next", "name", "email", "website", "body", "token", "title", "slug",
    "tags", "status", "published_at", "allow_comments", "nav_order", "version", "language",
    "timezone", "posts_per_page", "close_comments_after_days", "closed_notice", "max_links",
    "blocked_words", "blocked_emails", "blocked_ips", "tagline", "action", "ids", "post_id",
    "reply_to", "parent_id", "remember", "confirm", "page", "q", "file", "text", "kind",
]  # fmt: skip
QUERY_NAMES = ["page", "status", "q", "next", "replyto", "post", "kind", "tag", "sort", "x"]
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def site(tmp_path):
    """One site per test, shared by its examples (they only add to it): French, so that every
    error page must speak it, with a post, a comment and an author logged in."""
    app = make_app(
        tmp_path,
        COMMENT_MIN_SECONDS=0,
        COMMENT_RATE_LIMIT=0,
        PROPAGATE_EXCEPTIONS=False,  # a crash is answered as in production: a 500 to catch
    )
    with app.app_context():
        post_id = seed_author_and_post(app)
    add_comment(app, post_id, "Ada", "Hello.")
    set_site(app, language="fr")
    desk = app.test_client()
    assert desk.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    yield app, desk
    with app.app_context():
        db.engine.dispose()


def url_for_rule(rule) -> str:
    return fill(rule).replace("/posts/1/", "/posts/target/")


def post_rules(app):
    return [
        r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint != "auth.logout"
    ]


def get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]


def assert_answered_well(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code)
    if response.status_code >= 400 and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert '<html lang="fr">' in page and 'rel="stylesheet"' in page, what


def encode(form: dict[str, bytes]) -> bytes:
    return "&".join(f"{k}={quote_from_bytes(v)}" for k, v in form.items()).encode()


@settings(HOSTILE, max_examples=300)
@given(data=st.data(), form=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
def test_every_form_survives_hostile_values(site, data, form):
    app, desk = site
    rule = data.draw(st.sampled_from(post_rules(app)), label="rule")
    url = url_for_rule(rule)
    if rule.endpoint == "comments.create":
        page = app.test_client().get("/posts/target/").get_data(as_text=True)
        form.setdefault("token", TOKEN_RE.search(page).group(1).encode())
    for client in (desk, app.test_client()):  # the author, and an anonymous visitor
        with client.post(
            url, data=encode(form), content_type="application/x-www-form-urlencoded"
        ) as response:
            assert_answered_well(response, (rule.endpoint, sorted(form)))


@HOSTILE
@given(
    rule_index=st.integers(min_value=0, max_value=1000),
    segment=VALUES,
    query=st.dictionaries(st.sampled_from(QUERY_NAMES), VALUES, max_size=4),
)
def test_every_page_survives_hostile_addresses_and_query_parameters(
    site, rule_index, segment, query
):
    app, desk = site
    rules = get_rules(app)
    rule = rules[rule_index % len(rules)]
    # The rule's own address with hostile query parameters, then with a hostile path segment.
    query_string = encode(query).decode("ascii")
    hostile_path = url_for_rule(rule).replace("/1", "/" + quote_from_bytes(segment[:2000]), 1)
    for url in (f"{url_for_rule(rule)}?{query_string}", hostile_path):
        for client in (desk, app.test_client()):
            with client.get(url) as response:
                assert_answered_well(response, url[:200])


def test_oversized_bodies_get_a_styled_413(site):
    app, desk = site
    # Past the limit of a form field: only a multipart body, which carries files, may be larger.
    too_large = b"x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    for rule in post_rules(app):
        for client in (app.test_client(), desk):
            response = client.post(
                url_for_rule(rule), data=too_large, content_type="application/x-www-form-urlencoded"
            )
            assert response.status_code == 413, rule.endpoint
            assert "Trop volumineux" in response.get_data(as_text=True), rule.endpoint


def test_numbers_too_large_for_the_database_in_addresses_are_404(site):
    """Found by the test above: an id past 64 bits overflowed inside the database driver."""
    app, desk = site
    rules = [r for r in get_rules(app) if "<int:" in r.rule]
    assert rules
    for rule in rules:
        url = re.sub(r"<int:[^>]+>", "99999999999999999999999", rule.rule)
        url = re.sub(r"<[^>]+>", "target", url)
        for client in (desk, app.test_client()):
            with client.get(url) as response:
                assert response.status_code == 404, url
                assert_answered_well(response, url)


def test_a_blank_address_is_made_from_the_title_every_time(site):
    """Found by the form test above: a slug of only whitespace was stored as it was, and the
    second such post hit the unique constraint (a 500)."""
    app, desk = site
    for _ in range(2):
        response = desk.post("/editor/posts/new", data={"title": "Blank address", "slug": "\t "})
        assert response.status_code == 302
    with app.app_context():
        slugs = set(db.session.scalars(select(Post.slug).where(Post.title == "Blank address")))
    assert slugs == {"blank-address", "blank-address-2"}


def test_page_numbers_too_large_for_the_database_are_404(site):
    _app, desk = site
    for url in ["/?page=99999999999999999999999", "/editor/comments?post=99999999999999999999"]:
        response = desk.get(url)
        assert response.status_code == 404, url
