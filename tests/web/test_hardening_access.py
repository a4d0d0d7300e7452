"""Nobody gets in: CSRF on every state change, the login guard for scripts, and sessions that end.

tests/kernel/test_security.py already walks the editor for anonymous page requests, and tests/web/test_auth.py
proves the login throttle (per client, per account, X-Forwarded-For ignored) and the session
renewal at login; this module adds what they leave open.
"""

from __future__ import annotations

import re
import statistics
import time

import pytest
from sqlalchemy import select

from cms.clock import utcnow
from cms.extensions import db
from cms.models import PENDING, PUBLISHED, Author, Post
from cms.posts import render, tags_named
from tests.conftest import PASSWORD, make_app
from tests.kernel.test_security import editor_rules, fill
from tests.support.comments import add_comment

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table but the logs of refused attempts (*_events), to prove that a
    refused request changed nothing."""
    with app.app_context():
        return {
            table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables
            if not table.name.endswith("_events")
        }


def csrf_login(client, username: str = "alice", password: str = PASSWORD):
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def seed_author_and_post(app, tags=()) -> int:
    """Alice and her published post /posts/target/ (inside an app context); returns the post id."""
    alice = Author(username="alice", display_name="Alice")
    alice.set_password(PASSWORD)
    db.session.add(alice)
    db.session.flush()
    post = Post(
        title="Target",
        slug="target",
        body="Text.",
        status=PUBLISHED,
        published_at=utcnow(),
        author_id=alice.id,
    )
    post.tags = tags_named(list(tags))
    render(post, "en")
    db.session.add(post)
    db.session.commit()
    return post.id


@pytest.fixture
def csrf_app(tmp_path):
    """CSRF on, as in production, with a post and a pending comment for the routes to act on."""
    app = make_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        post_id = seed_author_and_post(app)
    add_comment(app, post_id, "Reader", "Held.", status=PENDING)
    app.test_client().get("/")  # the first request stores the default settings
    return app


def state_changing_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.methods & STATE_CHANGING and not rule.endpoint.startswith("static")
    ]


@pytest.mark.parametrize("token", [None, "not-a-valid-token"])
def test_every_state_changing_endpoint_refuses_a_post_without_a_valid_token(csrf_app, token):
    client = csrf_app.test_client()
    assert csrf_login(client).status_code == 302
    rules = state_changing_rules(csrf_app)
    endpoints = {rule.endpoint for rule in rules}
    # The walk is over the whole url_map: these must be among what it found, new ones join it.
    assert {"auth.login", "auth.logout", "comments.create", "editor.edit", "editor.autosave"} <= (
        endpoints
    )
    before = snapshot(csrf_app)
    for rule in rules:
        url = fill(rule).replace("/posts/1/comments", "/posts/target/comments")
        data = {"title": "Changed", "body": "Changed", "name": "x", "username": "alice"}
        data |= {"password": PASSWORD} if rule.endpoint == "auth.login" else {}
        if token is not None:
            data |= {"csrf_token": token, "token": token}
        for method in sorted(rule.methods & STATE_CHANGING):
            for headers in ({}, {"X-Requested-With": "fetch", "Accept": "application/json"}):
                response = client.open(url, method=method, data=data, headers=headers)
                assert response.status_code == 400, (rule.rule, method, headers)
    assert snapshot(csrf_app) == before  # nothing stored, nothing deleted, nobody logged out
    assert client.get("/editor/").status_code == 200


def test_the_comment_form_refuses_a_post_without_its_own_signed_token(csrf_app):
    """The comment form is exempt from the session token; its signed token must stand in."""
    client = csrf_app.test_client()
    before = snapshot(csrf_app)
    data = {"name": "Mallory", "email": "", "website": "", "body": "Forged from elsewhere."}
    for extra in ({}, {"token": ""}, {"token": "forged.token"}):
        response = client.post("/posts/target/comments", data=data | extra)
        assert response.status_code == 400
        assert "This form could not be verified" in response.get_data(as_text=True)
    assert snapshot(csrf_app) == before


def test_scripts_get_401_from_every_editor_endpoint_and_nothing_is_stored(app, client, make_post):
    make_post("Existing")
    client.get("/")  # the first request stores the default settings
    before = snapshot(app)
    for rule in editor_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(
                fill(rule),
                method=method,
                json={"title": "x", "body": "x", "post_id": 1},
                headers={"X-Requested-With": "fetch", "Accept": "application/json"},
            )
            assert response.status_code == 401, (rule.rule, method)
            assert response.get_json()["error"] == "login"
    assert snapshot(app) == before


def session_cookie(client) -> str:
    return client.get_cookie("session", domain="blog.test").value


def test_a_copied_session_cookie_stops_working_at_logout(app, logged_in):
    stolen = session_cookie(logged_in)
    assert logged_in.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="blog.test")
    response = thief.get("/editor/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    # A Save with text gets the login page that keeps it (the session ended), nothing more.
    assert thief.post("/editor/posts/new", data={"title": "T", "body": "B"}).status_code == 401
    assert db_posts(app) == []


def db_posts(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Post.title)))


def test_logout_ends_every_session_of_the_author_and_login_still_works(app, client, author):
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/login", data={"username": "alice", "password": PASSWORD})
        assert device.get("/editor/").status_code == 200
    laptop.post("/logout")
    assert phone.get("/editor/").status_code == 302
    phone.post("/login", data={"username": "alice", "password": PASSWORD})
    assert phone.get("/editor/").status_code == 200


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, logged_in):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", "alice", "--password", "a brand new secret"])
    assert result.exit_code == 0, result.output
    assert logged_in.get("/editor/").status_code == 302


@pytest.mark.parametrize("forged", ["1", "1:", "1:0000", "x:y", ":", "99:abc"])
def test_a_forged_session_identity_is_refused(app, client, author, forged):
    with client.session_transaction() as session:
        session["_user_id"] = forged
        session["_fresh"] = True
    assert client.get("/editor/").status_code == 302


@pytest.mark.parametrize(
    "header",
    ["X-Forwarded-For", "X-Real-IP", "Forwarded", "Client-IP", "True-Client-IP", "X-Client-IP"],
)
def test_no_client_header_dodges_the_login_throttle(app, client, author, header):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = 2
    for n in range(2):
        client.post(
            "/login",
            data={"username": f"guess{n}", "password": "x"},
            headers={header: f"198.51.100.{n}"},
        )
    response = client.post(
        "/login",
        data={"username": "guess9", "password": "x"},
        headers={header: "203.0.113.7", "X-Forwarded-For": "203.0.113.8"},
    )
    assert response.status_code == 429


def test_unknown_user_and_wrong_password_look_and_take_the_same(app, client, author):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = app.config["LOGIN_FREE_ATTEMPTS"] = 1000

    def attempt(username: str) -> tuple[float, str]:
        started = time.perf_counter()
        response = client.post("/login", data={"username": username, "password": "wrong guess"})
        elapsed = time.perf_counter() - started
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        return elapsed, re.sub(r'value="[^"]*"', "", page)

    attempt("nobody")  # the dummy hash is made on first use: not part of the measure
    unknown = [attempt("nobody") for _ in range(20)]
    wrong = [attempt("alice") for _ in range(20)]
    assert {page for _, page in unknown} == {page for _, page in wrong}
    unknown_mean = statistics.mean(t for t, _ in unknown)
    wrong_mean = statistics.mean(t for t, _ in wrong)
    # Both hash a password: a missing hash on either side is a factor of ten or more.
    assert 1 / 3 < unknown_mean / wrong_mean < 3, (unknown_mean, wrong_mean)
