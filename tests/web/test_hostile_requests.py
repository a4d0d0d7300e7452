"""No 5xx for any anonymous request: every public route with hostile path segments and query
arguments (hypothesis), the comment form with hostile numbers, each case an audit found, and
bodies that the real production server (gunicorn) cannot decode."""

from __future__ import annotations

import html
import itertools
import re
import socket
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cms.extensions import db
from cms.models import Comment, Upload
from tests.conftest import make_app
from tests.support.comments import form_token, set_site
from tests.support.production_server import Gunicorn, Site, write_site
from tests.support.sample_site import PASSWORD, USERNAME, build_sample_site
from tests.web.test_fuzz import HOSTILE, VALUES, assert_answered_well, encode

# Numbers as a visitor may write them: every script's digits (int() reads "٣" as 3), other
# digits ("²": str.isdigit() says yes, int() says no), signs, spaces, underscores, and sizes
# from zero to far past 64 bits, and each side of PostgreSQL's four-byte INTEGER.
ODD_NUMBERS = [
    "0", "-1", "²", "٣", "١٢", "+1", " 1", "1 ", "1_0", "1e3", "0x10", "", "9" * 30, "٩" * 30,
    "+" + "9" * 30, " " + "9" * 30, str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63),
    "1" * 16,
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(ODD_NUMBERS),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=25),
)
# An <int:...> segment only matches ASCII digits: what matters there is how large they are.
INT_SEGMENTS = st.one_of(
    st.integers(min_value=0, max_value=10**25).map(str),
    st.sampled_from(
        ["0", "12", "13", "1899", "1900", "9999", "10000", str(2**31), str(2**63), "²"]
    ),
)
# tests/web/test_fuzz.py sends the 200 KB ones already: 2,000 bytes keep a walk of every route short.
SHORT_VALUES = VALUES.map(lambda value: value[:2000])
SEGMENTS = st.one_of(SHORT_VALUES.map(quote_from_bytes), NUMBERS.map(quote))
# The query arguments pages read, WordPress's ids, Flask-SQLAlchemy's own, and url_for's options.
QUERY_NAMES = ["page", "replyto", "status", "post", "q", "next", "p", "page_id", "per_page"]
QUERY_NAMES += ["_method", "_scheme", "_external", "_anchor"]
QUERY_VALUES = st.one_of(
    NUMBERS.map(str.encode), SHORT_VALUES, st.sampled_from([b"POST", b"javascript", b"true"])
)
# Query strings no encoder writes: broken escapes, empty names, repeated arguments.
BROKEN_QUERIES = ["%", "%zz", "page=%ff", "page=%", "page=%2", "&&=&", "page", "=1"]
BROKEN_QUERIES += ["page=1&page=%C2%B2", "replyto=%00", "page=%EF%BC%91"]
ARGUMENT = re.compile(r"<(?:([^:>]+):)?([^>]+)>")
REMARKS = itertools.count()


@pytest.fixture
def sample(tmp_path):
    """The French sample site, answering a crash as production does (a 500 to catch), with one
    post per page and two comments per page, so that every listing and thread has page links."""
    app = make_app(
        tmp_path,
        PROPAGATE_EXCEPTIONS=False,
        COMMENTS_PER_PAGE=2,
        COMMENT_MIN_SECONDS=0,
        COMMENT_RATE_LIMIT=0,
    )
    site = build_sample_site(app)
    set_site(app, posts_per_page=1)
    with app.app_context():
        upload = db.session.get(Upload, site.upload_id).name
    post = {"slug": site.post_slug}
    real = {
        "blog.post": post,
        "comments.create": post,
        "comments.feed": post,
        "blog.tag": {"slug": site.tag_slug},
        "blog.archive": {"year": str(site.year), "month": str(site.month)},
        "pages.page": {"slug": site.page_slug},
        "comments.permalink": {"comment_id": str(site.comment_id)},
        "blog.media_file": {"name": upload},
        "blog.preview": {"token": "no-such-token"},
        "static": {"filename": "css/site.css"},
    }
    return app, site, real


def public_get_rules(app):
    """Every rule an anonymous visitor may GET: all but the desk's."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith("editor.")
    ]


def address(rule, real: dict, hostile: dict[str, str] | None = None) -> str:
    """The rule's address with the sample site's values, but the `hostile` ones (already
    percent-encoded) in place of theirs."""

    def value(match: re.Match) -> str:
        name = match.group(2)
        return hostile[name] if name in (hostile or {}) else quote(real[rule.endpoint][name])

    return ARGUMENT.sub(value, rule.rule)


def hostile_query(data) -> str:
    """A query string of a few QUERY_NAMES with hostile values, sometimes with a piece no
    encoder writes. A few: one refused value (a 404) would hide what the others do."""
    query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_VALUES, max_size=3))
    broken = data.draw(st.none() | st.sampled_from(BROKEN_QUERIES), label="broken")
    return "&".join(filter(None, [encode(query).decode("ascii"), broken]))


def test_the_walk_covers_every_public_route(sample):
    app, _site, real = sample
    endpoints = {rule.endpoint for rule in public_get_rules(app)}
    assert {"blog.index", "blog.post", "blog.archive", "pages.page", "auth.login"} <= endpoints
    for rule in public_get_rules(app):
        assert address(rule, real).startswith("/"), rule.endpoint  # a value for each argument


@settings(HOSTILE, max_examples=300)
@given(data=st.data())
def test_every_public_route_answers_hostile_values_without_a_server_error(sample, data):
    """Each example sends one hostile query string to every public route, at its real address
    and at one where some of its arguments are hostile too."""
    app, _site, real = sample
    client = app.test_client()
    query = hostile_query(data)
    for rule in public_get_rules(app):
        hostile = {
            name: data.draw(INT_SEGMENTS if converter == "int" else SEGMENTS, label=name)
            for converter, name in ARGUMENT.findall(rule.rule)
            if data.draw(st.booleans(), label=f"hostile {name}")
        }
        for url in {f"{address(rule, real)}?{query}", f"{address(rule, real, hostile)}?{query}"}:
            with client.get(url) as response:
                assert_answered_well(response, url[:300])


@settings(HOSTILE, max_examples=200)
@given(data=st.data(), parent_id=NUMBERS, page=NUMBERS)
def test_the_comment_form_answers_hostile_numbers_without_a_server_error(
    sample, data, parent_id, page
):
    """A comment that passes every check but its numbers (each example's text is new, or it
    would be refused as a duplicate before its parent is read)."""
    app, site, _real = sample
    client = app.test_client()
    form = {
        "name": "Reader",
        "body": f"Remark number {next(REMARKS)}.",
        "token": form_token(client, site.post_slug),
        "parent_id": parent_id,
        "page": page,
    }
    url = f"/posts/{site.post_slug}/comments?{hostile_query(data)}"
    with client.post(url, data=form) as response:
        assert_answered_well(response, (url[:300], parent_id, page))


# --- The audit's cases, one test each ------------------------------------------------------------


def test_digits_that_are_not_ascii_are_no_page_number(sample):
    """?page=² was a 500 on a post page: str.isdigit() says "²" is a digit, int() does not."""
    app, site, _real = sample
    client = app.test_client()
    listings = ["/", f"/tags/{site.tag_slug}/", f"/archive/{site.year}/{site.month}/"]
    for path in [*listings, f"/posts/{site.post_slug}/"]:
        assert client.get(path).status_code == 200, path
        for page in ["²", "٣", "١", "１", "-1", "0", "+1", " 1", "1_0", ""]:
            response = client.get(path, query_string={"page": page})
            assert response.status_code == 404, (path, page)
            assert "Page introuvable" in response.get_data(as_text=True), (path, page)


def test_page_numbers_past_any_listing_are_404_however_they_are_written(sample):
    """+999…, " 999…" and "٩٩٩…" went through int() to the database driver, which overflowed."""
    app, site, _real = sample
    client = app.test_client()
    author = app.test_client()
    author.post("/login", data={"username": USERNAME, "password": PASSWORD})
    desk = ["/editor/", "/editor/pages", "/editor/media", "/editor/comments"]
    desk.append(f"/editor/posts/{site.post_id}/revisions")
    visits = [
        (client, path) for path in ["/", f"/tags/{site.tag_slug}/", f"/posts/{site.post_slug}/"]
    ]
    visits += [(author, path) for path in desk]  # the desk's listings read ?page= alike
    for visitor, path in visits:
        assert visitor.get(path).status_code == 200, path
        for page in ["+" + "9" * 25, " " + "9" * 25, "٩" * 25, "9" * 25, "9" * 16, "٣"]:
            response = visitor.get(path, query_string={"page": page})
            assert response.status_code == 404, (path, page)


def test_a_reply_to_digits_that_are_not_ascii_shows_the_plain_form(sample):
    """?replyto=² was a 500 (the same str.isdigit() before int())."""
    app, site, _real = sample
    client = app.test_client()
    for replyto in ["²", "٣", f"+{site.comment_id}", f" {site.comment_id}", "0", "-1"]:
        response = client.get(f"/posts/{site.post_slug}/", query_string={"replyto": replyto})
        assert response.status_code == 200, replyto
        assert 'name="parent_id" type="hidden" value=""' in response.get_data(as_text=True)
    replying = client.get(f"/posts/{site.post_slug}/?replyto={site.comment_id}")
    assert f'value="{site.comment_id}"' in replying.get_data(as_text=True)


def test_a_comment_whose_parent_is_not_an_ascii_number_is_posted_answering_nobody(sample):
    """parent_id=² in the comment form was a 500 once the comment had passed every check."""
    app, site, _real = sample
    for parent_id in ["²", "٣", "-1", "9" * 25, str(2**31), str(2**63)]:
        client = app.test_client()
        body = f"Une remarque sur {parent_id}."
        form = {"name": "Lectrice", "body": body, "parent_id": parent_id}
        form["token"] = form_token(client, site.post_slug)
        response = client.post(f"/posts/{site.post_slug}/comments", data=form)
        assert response.status_code == 302, parent_id
        with app.app_context():
            comment = db.session.scalar(select(Comment).where(Comment.body == body))
            assert comment is not None and comment.parent_id is None, parent_id


def test_query_arguments_named_like_url_for_options_stay_in_the_page_links(sample):
    """/?_method=POST was a 500 once a listing had a second page: its page links passed the
    query to url_for as keywords, where _method, _scheme, _external and _anchor are options
    (?_scheme=javascript&_external=1 even made the links javascript: addresses)."""
    app, _site, _real = sample
    client = app.test_client()
    for query in ["_method=POST", "_scheme=javascript&_external=1", "_anchor=x", "_external=1"]:
        response = client.get(f"/?{query}")
        assert response.status_code == 200, query
        links = re.findall(r'href="([^"]*page=2[^"]*)"', response.get_data(as_text=True))
        assert links, query
        for link in map(html.unescape, links):
            assert link.startswith("/?") and "#" not in link, (query, link)
            assert all(argument in link for argument in query.split("&")), (query, link)


# --- Bodies that the production server cannot decode ---------------------------------------------


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """gunicorn with deploy/gunicorn.conf.py (one worker) on a free loopback port, serving the
    sample site: (port, site)."""
    tmp_path = tmp_path_factory.mktemp("production")
    database = tmp_path / "instance" / "causerie.sqlite3"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    site = build_sample_site(app)
    with app.app_context():
        db.engine.dispose()
    write_site(tmp_path, app)
    server = Gunicorn(Site(tmp_path, app, site.post_id), workers=1)
    server.start()
    try:
        yield server.port, site
    finally:
        server.stop()


def send_raw(port: int, message: bytes) -> tuple[int, str]:
    """Send `message` as it is, end the sending side, and read the answer until the server
    closes the connection: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(message)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def form_post(path: str, headers: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{headers}\r\n"
    ).encode() + body


GARBLED_CHUNKS = {
    "a chunk size that is not hexadecimal": b"zz\r\nname=x\r\n0\r\n\r\n",
    "a negative chunk size": b"-6\r\nname=x\r\n0\r\n\r\n",
    "a chunk size past any body": b"ffffffffffffffffffff\r\nname=x\r\n0\r\n\r\n",
    "a chunk without its line end": b"6\r\nname=xXX0\r\n\r\n",
    "a NUL in a chunk extension": b"6;\x00\r\nname=x\r\n0\r\n\r\n",
    "a chunk cut short": b"40\r\nname=x",
    "no last chunk": b"6\r\nname=x\r\n",
}


@pytest.mark.parametrize("body", GARBLED_CHUNKS.values(), ids=GARBLED_CHUNKS.keys())
def test_a_garbled_chunked_body_is_the_styled_400(production, body):
    """A bad chunk size was a 500: gunicorn raises its parse errors from the body's read(),
    inside whichever view reads the form."""
    port, site = production
    for path in ["/login", f"/posts/{site.post_slug}/comments"]:
        status, page = send_raw(port, form_post(path, "Transfer-Encoding: chunked\r\n", body))
        assert status == 400, path
        assert "Requête incorrecte" in page and 'rel="stylesheet"' in page, path


GARBLED_BODIES = {
    "a body shorter than its Content-Length": ("Content-Length: 100\r\n", b"name=x"),
    "a Content-Length that is not a number": ("Content-Length: abc\r\n", b"name=x"),
    "a negative Content-Length": ("Content-Length: -1\r\n", b"name=x"),
    "two Content-Lengths": ("Content-Length: 6\r\nContent-Length: 7\r\n", b"name=x"),
    "chunked and a Content-Length": (
        "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
        b"6\r\nname=x\r\n0\r\n\r\n",
    ),
    "an unknown transfer coding": ("Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
}


@pytest.mark.parametrize("headers, body", GARBLED_BODIES.values(), ids=GARBLED_BODIES.keys())
def test_a_body_of_garbled_length_is_a_400(production, headers, body):
    """gunicorn refuses some before the app sees them (with a bare 400), the app the others."""
    port, site = production
    for path in ["/login", f"/posts/{site.post_slug}/comments"]:
        status, _page = send_raw(port, form_post(path, headers, body))
        assert status == 400, path


def test_addresses_the_production_server_receives_garbled_are_never_a_server_error(production):
    port, site = production
    for target in [
        b"/posts/%zz%/?page=%ff%",
        b"/posts/\xff\xfe/",
        f"/posts/{site.post_slug}/?page=%C2%B2&replyto=%C2%B2".encode(),
        b"/?_method=POST&_scheme=javascript",
        b"/archive/9999/12/",
    ]:
        request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, _page = send_raw(port, request)
        assert status < 500, target
