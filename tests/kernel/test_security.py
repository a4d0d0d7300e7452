"""Guards that hold for the whole app: login on every editor route, CSRF, headers, cookies, limits."""

import re

import pytest
from werkzeug.routing import Rule

from tests.conftest import PASSWORD, make_app


def fill(rule: Rule) -> str:
    """A concrete URL for a rule, with 1 for every argument."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def editor_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("editor.")]


def test_every_editor_endpoint_refuses_an_anonymous_visitor(app, client, make_post):
    make_post("Existing")  # so that routes taking an id have something to find
    rules = editor_rules(app)
    assert len(rules) >= 5
    for rule in rules:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(fill(rule), method=method)
            assert response.status_code == 302, (rule.rule, method)
            assert response.headers["Location"].startswith("/login"), (rule.rule, method)


def test_post_without_csrf_token_is_refused_with_a_friendly_page(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.post("/logout").status_code == 400


def test_login_form_works_with_its_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token})
    assert response.status_code == 200 and "Wrong username or password." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("url", ["/", "/posts/missing/", "/login", "/feed.xml"])
def test_security_headers_on_every_response(client, url):
    headers = client.get(url).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_flags(client, author):
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.post(
        "/login", data={"username": "alice", "password": PASSWORD}, base_url="https://blog.test"
    )
    assert "Secure" in secure.headers.get("Set-Cookie", "Secure")


def test_oversized_request_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_a_body_without_files_is_limited_like_a_form_field(app, client, make_post):
    """An 11 MB urlencoded comment was read whole and echoed back in the error page."""
    make_post("Talk")
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    body = "x" * (limit + 1)
    response = client.post("/posts/talk/comments", data={"name": "Ada", "body": body})
    assert response.status_code == 413 and len(response.get_data()) < 10_000
    json = client.post("/editor/autosave", json={"body": body})
    assert json.status_code == 413


def test_development_secret_key_is_refused_outside_debug(tmp_path):
    from cms.config import DEV_SECRET_KEY

    with pytest.raises(RuntimeError, match="SECRET_KEY is the development default"):
        make_app(tmp_path, SECRET_KEY=DEV_SECRET_KEY, TESTING=False)


def test_security_headers_on_every_page_type(tmp_path):
    """Every page type of a full site, as a visitor and as the author, carries the headers."""
    from tests.support.sample_site import (
        PASSWORD as AUTHOR_PASSWORD,
    )
    from tests.support.sample_site import (
        USERNAME,
        build_sample_site,
        editor_pages,
        public_pages,
    )

    app = make_app(tmp_path)
    site = build_sample_site(app)
    visitor, author = app.test_client(), app.test_client()
    author.post("/login", data={"username": USERNAME, "password": AUTHOR_PASSWORD})
    extra = [
        "/feed.xml",
        f"/posts/{site.post_slug}/comments.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
        f"/comments/{site.comment_id}",
    ]
    visits = [(visitor, url) for url in [*public_pages(site).values(), *extra]]
    visits += [(author, url) for url in editor_pages(site).values()]
    for client, url in visits:
        with client.get(url) as response:
            headers = response.headers
            assert response.status_code < 500, url
            assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), url
            assert "default-src 'self'" in headers["Content-Security-Policy"], url
            assert headers.get("X-Content-Type-Options") == "nosniff", url
            assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url


def test_hsts_over_https_only_and_only_when_set(tmp_path):
    quiet = make_app(tmp_path / "quiet").test_client()
    assert "Strict-Transport-Security" not in quiet.get("/", base_url="https://blog.test").headers
    app = make_app(tmp_path / "set", HSTS_SECONDS=31536000, PROXY_COUNT=1)
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://blog.test").headers
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    # Behind a proxy that says the visitor came over HTTPS.
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    assert proxied["Strict-Transport-Security"] == "max-age=31536000"
