"""The spam defences through the real form: what is refused, held or sent to spam, and why."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms.clock import utcnow
from cms.comments import tokens
from cms.extensions import db
from cms.models import APPROVED, PENDING, PUBLISHED, SPAM, CommentEvent, Post
from tests.conftest import make_app
from tests.support.comments import (
    TOKEN_RE,
    add_comment,
    comment_count,
    form_token,
    post_comment,
    set_site,
    stored_comments,
)


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def talk(app, make_post) -> int:
    """A post on a site that publishes comments at once, so each defence shows on its own."""
    set_site(app, moderate_first_comment=False)
    return make_post("Talk")


def refusals(app) -> list[CommentEvent]:
    with app.app_context():
        events = db.session.scalars(select(CommentEvent).order_by(CommentEvent.id)).all()
        for event in events:
            db.session.expunge(event)
        return list(events)


# --- Refused, not stored -------------------------------------------------------------------------


def test_filled_honeypot_is_refused_with_the_text_kept(app, client, talk):
    page = client.get("/posts/talk/").get_data(as_text=True)
    assert '<div class="hp-field" aria-hidden="true">' in page
    assert (
        'autocomplete="off" id="comment-subject" name="subject" tabindex="-1" type="text"' in page
    )
    response = post_comment(client, "talk", name="Bot", subject="Buy now", body="Great post!")
    assert response.status_code == 400
    assert "Great post!</textarea>" in response.get_data(as_text=True)
    assert comment_count(app) == 0
    [event] = refusals(app)
    assert (event.reason, event.author_name, event.post_id, event.ip) == (
        "honeypot",
        "Bot",
        talk,
        "127.0.0.1",
    )


def test_form_sent_too_fast_is_refused_then_accepted_when_sent_again(app, client, talk):
    app.config["COMMENT_MIN_SECONDS"] = 10
    token = form_token(client, "talk")
    response = post_comment(client, "talk", token=token, body="Typed very fast.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That was quick! Please check your comment, then send it again." in page
    assert "Typed very fast.</textarea>" in page
    assert f'value="{token}"' in page  # the same form, which is old enough by the next click
    assert comment_count(app) == 0
    assert refusals(app)[0].reason.startswith("too-fast:")
    app.config["COMMENT_MIN_SECONDS"] = 1  # rather than wait ten seconds
    time.sleep(1.1)
    assert post_comment(client, "talk", token=token, body="Typed very fast.").status_code == 302
    assert comment_count(app) == 1


def test_default_time_trap_is_three_seconds(tmp_path):
    assert make_app(tmp_path).config["COMMENT_MIN_SECONDS"] == 3


def test_form_older_than_seven_days_is_refused_with_the_text_kept(app, client, talk):
    with app.app_context():
        old = tokens.issue(talk, issued_at=int(time.time()) - 8 * 24 * 3600)
    response = post_comment(client, "talk", token=old, body="Written last week.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form is too old." in page and "Written last week.</textarea>" in page
    assert comment_count(app) == 0 and refusals(app)[0].reason == "too-old"
    with app.app_context():
        fresh = tokens.read(page.split('name="token" type="hidden" value="')[1].split('"')[0])
    assert fresh is not None and fresh.age < 60
    with app.app_context():
        week_old = tokens.issue(talk, issued_at=int(time.time()) - 6 * 24 * 3600)
    assert post_comment(client, "talk", token=week_old, body="Still fine.").status_code == 302


def test_rate_limit_per_client_address(app, client, talk):
    app.config.update(COMMENT_RATE_LIMIT=3, COMMENT_RATE_WINDOW=60)
    for n in range(3):
        assert post_comment(client, "talk", body=f"Comment {n}.").status_code == 302
    response = post_comment(client, "talk", body="One too many.")
    assert response.status_code == 429
    assert "Please wait a minute" in response.get_data(as_text=True)
    assert "One too many.</textarea>" in response.get_data(as_text=True)
    # A forged X-Forwarded-For does not make a new client: no proxy is trusted.
    response = post_comment(
        client, "talk", body="Dodging.", headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert response.status_code == 429
    assert comment_count(app) == 3
    assert [e.reason for e in refusals(app)] == ["rate-limit", "rate-limit"]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.55"
    assert post_comment(other, "talk", body="Another reader.").status_code == 302


def test_forwarded_address_counts_when_a_proxy_is_trusted(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=1, PROXY_COUNT=1)
    set_site(app, moderate_first_comment=False)
    with app.app_context():
        db.session.add(
            Post(
                title="Talk",
                slug="talk",
                status=PUBLISHED,
                published_at=utcnow() - timedelta(hours=1),
            )
        )
        db.session.commit()
    client = app.test_client()
    first = {"X-Forwarded-For": "198.51.100.1"}
    assert post_comment(client, "talk", body="One.", headers=first).status_code == 302
    assert post_comment(client, "talk", body="Two.", headers=first).status_code == 429
    second = {"X-Forwarded-For": "198.51.100.2"}
    assert post_comment(client, "talk", body="Three.", headers=second).status_code == 302
    assert [c.ip for c in stored_comments(app)] == ["198.51.100.1", "198.51.100.2"]
    with app.app_context():
        db.engine.dispose()


def test_limits_can_be_switched_off_for_a_benchmark(app, client, talk):
    app.config.update(COMMENT_RATE_LIMIT=0, COMMENT_MIN_SECONDS=0)
    for n in range(12):
        assert post_comment(client, "talk", body=f"Quick {n}.").status_code == 302
    assert comment_count(app) == 12


def test_duplicate_body_on_the_same_post_is_refused(app, client, talk, make_post):
    post_comment(client, "talk", name="Ada", body="Great  post,\nthank you!")
    response = post_comment(client, "talk", name="Bob", body="  great post, THANK you!  ")
    page = response.get_data(as_text=True)
    assert "This comment has already been posted on this post." in page
    assert 'id="comment-body-error"' in page
    assert comment_count(app) == 1 and refusals(app)[0].reason == "duplicate"
    make_post("Elsewhere")
    assert post_comment(client, "elsewhere", body="Great post, thank you!").status_code == 302


# --- Held or sent to spam ------------------------------------------------------------------------


def test_too_many_links_hold_the_comment_with_the_reason(app, client, talk):
    body = "See https://a.example, [this](https://b.example) and www.c.example."
    response = post_comment(client, "talk", name="Linker", body=body)
    [comment] = stored_comments(app)
    assert (comment.status, comment.reason) == (PENDING, "links:3")
    assert "awaiting moderation" in client.get(response.headers["Location"]).get_data(as_text=True)
    post_comment(client, "talk", name="Two links", body="https://a.example and https://b.example")
    assert stored_comments(app)[-1].status == APPROVED
    set_site(app, max_links=0)
    post_comment(client, "talk", name="One link", body="Only https://a.example here")
    assert stored_comments(app)[-1].reason == "links:1"


@pytest.mark.parametrize(
    ("setting", "entries", "fields", "reason"),
    [
        ("blocked_words", "casino\nviagra", {"body": "Cheap VIAGRA here"}, "blocked-word:viagra"),
        ("blocked_words", "casino", {"website": "https://casino.example"}, "blocked-word:casino"),
        (
            "blocked_emails",
            "spam@example.com",
            {"email": "Spam@Example.com"},
            "blocked-email:spam@example.com",
        ),
        (
            "blocked_emails",
            "@junk.example",
            {"email": "anyone@junk.example"},
            "blocked-email:@junk.example",
        ),
        ("blocked_ips", "127.0.0.1", {}, "blocked-ip:127.0.0.1"),
        ("blocked_ips", " 127.0.0.0/8 \n", {}, "blocked-ip:127.0.0.0/8"),
    ],
)
def test_blocklists_send_comments_to_spam(app, client, talk, setting, entries, fields, reason):
    set_site(app, **{setting: entries})
    response = post_comment(client, "talk", **({"name": "Sender", "body": "Hello."} | fields))
    assert response.status_code == 302
    [comment] = stored_comments(app)
    assert (comment.status, comment.reason) == (SPAM, reason)
    # Its writer is told it awaits moderation; nobody else sees anything.
    assert "Your comment is awaiting moderation." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert "Sender" not in app.test_client().get("/posts/talk/").get_data(as_text=True)


def test_blocklists_do_not_catch_innocent_comments(app, client, talk):
    set_site(app, blocked_words="casino", blocked_emails="@junk.example", blocked_ips="10.0.0.0/8")
    post_comment(client, "talk", email="ada@example.org", body="A fine post.")
    assert stored_comments(app)[0].status == APPROVED


def test_first_comment_is_held_then_the_commenter_is_known(app, client, make_post):
    post_id = make_post("Talk")
    post_comment(client, "talk", name="Ada", email="ada@example.org", body="Hello, first time.")
    [first] = stored_comments(app)
    assert (first.status, first.reason) == (PENDING, "first-comment")
    post_comment(client, "talk", name="Ada", email="ada@example.org", body="Still held.")
    assert stored_comments(app)[-1].status == PENDING  # nothing approved under that name yet
    add_comment(app, post_id, "Ada", "Approved earlier.", author_email="ada@example.org")
    post_comment(client, "talk", name="ada", email="ADA@example.org", body="Known now.")
    assert stored_comments(app)[-1].status == APPROVED
    post_comment(client, "talk", name="Ada", email="impostor@example.org", body="Other address.")
    assert stored_comments(app)[-1].status == PENDING
    post_comment(client, "talk", name="Ada", email="", body="No address.")
    assert stored_comments(app)[-1].status == PENDING


def test_the_logged_in_author_is_published_at_once(app, logged_in, make_post):
    make_post("Talk")
    post_comment(logged_in, "talk", name="Alice Martin", body="Thanks for reading!")
    assert stored_comments(app)[0].status == APPROVED


# --- What the author sees ------------------------------------------------------------------------


def test_reasons_and_refusals_are_shown_on_the_moderation_page(app, client, talk, logged_in):
    visitor = app.test_client()
    post_comment(
        visitor, "talk", name="Linker", body="https://a.example https://b.example https://c.example"
    )
    post_comment(visitor, "talk", name="Bot", subject="filled", body="Spam.")
    post_comment(visitor, "talk", name="Script", token="", body="No token.")
    page = logged_in.get("/editor/comments").get_data(as_text=True)
    assert "Why: Contains 3 links" in page
    refused = page[page.index("Recently refused") :]
    assert "Filled in the hidden field that only robots see" in refused and "Bot" in refused
    assert "The form’s signature was missing or wrong" in refused and "Script" in refused
    assert "127.0.0.1" in refused and "Talk" in refused
    assert "Spam." not in refused  # the text of a refused comment is not kept


def test_refusals_older_than_thirty_days_are_pruned(app, client, talk):
    with app.app_context():
        db.session.add(
            CommentEvent(post_id=talk, reason="honeypot", at=utcnow() - timedelta(days=31))
        )
        db.session.add(
            CommentEvent(post_id=talk, reason="honeypot", at=utcnow() - timedelta(days=29))
        )
        db.session.commit()
    post_comment(client, "talk", subject="filled")
    assert len(refusals(app)) == 2


# --- One comment per form ----------------------------------------------------------------------


def test_the_same_form_sent_twice_stores_one_comment_and_answers_the_same(app, client, talk):
    """A double click or a retry: the second sending is led to the comment the first stored."""
    token = form_token(client, "talk")
    first = post_comment(client, "talk", token=token, body="Sent twice by a double click.")
    second = post_comment(client, "talk", token=token, body="Sent twice by a double click.")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    stored = stored_comments(app, post_id=talk)
    assert [c.body for c in stored] == ["Sent twice by a double click."]
    assert refusals(app) == []


def test_a_used_form_with_other_words_is_refused_with_a_new_form_and_the_text_kept(
    app, client, talk
):
    token = form_token(client, "talk")
    assert post_comment(client, "talk", token=token, body="The first remark.").status_code == 302
    response = post_comment(client, "talk", token=token, body="A second remark.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has already sent a comment." in page
    assert "A second remark.</textarea>" in page
    fresh = TOKEN_RE.search(page).group(1)
    assert fresh != token
    assert post_comment(client, "talk", token=fresh, body="A second remark.").status_code == 302
    assert [c.body for c in stored_comments(app, post_id=talk)] == [
        "The first remark.",
        "A second remark.",
    ]
    assert [e.reason for e in refusals(app)] == ["form-used"]


def test_tokens_from_before_the_upgrade_are_still_read(app, client, talk):
    from itsdangerous import URLSafeSerializer

    older = URLSafeSerializer(app.config["SECRET_KEY"], salt="comment-form").dumps(
        [talk, int(time.time()) - 60]
    )
    assert post_comment(client, "talk", token=older, body="From an open tab.").status_code == 302


# --- Limits that count every attempt and stay bounded -------------------------------------------


def test_refused_attempts_count_towards_the_limit(app, client, talk):
    app.config.update(COMMENT_RATE_LIMIT=3, COMMENT_RATE_WINDOW=60)
    for _ in range(3):
        assert post_comment(client, "talk", token="forged").status_code == 400
    response = post_comment(client, "talk", body="Now a real one.")
    assert response.status_code == 429
    assert comment_count(app) == 0


def test_an_ipv6_network_is_limited_as_one_client(app, talk):
    app.config.update(COMMENT_RATE_LIMIT=2, COMMENT_RATE_WINDOW=60)
    answers = []
    for n, address in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"]):
        visitor = app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = address
        answers.append(post_comment(visitor, "talk", body=f"From the same /64, {n}.").status_code)
    assert answers == [302, 302, 429]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "2001:db8:1:3::1"
    assert post_comment(elsewhere, "talk", body="From the next /64.").status_code == 302


def test_refusals_leave_a_bounded_trace(app, talk):
    from cms.comments import spam

    app.config.update(COMMENT_RATE_LIMIT=0)
    noisy = app.test_client()
    for _ in range(spam.REFUSALS_PER_NETWORK + 5):
        assert post_comment(noisy, "talk", token="forged").status_code == 400
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.80"
    assert post_comment(other, "talk", token="forged").status_code == 400
    addresses = [e.ip for e in refusals(app)]
    assert addresses.count("127.0.0.1") == spam.REFUSALS_PER_NETWORK
    assert addresses.count("192.0.2.80") == 1


def test_a_visitor_signing_with_an_authors_name_is_held_with_the_reason(app, client, talk):
    from cms.models import Author

    with app.app_context():
        db.session.add(Author(username="claire", display_name="Claire Dubois", password_hash="x"))
        db.session.commit()
    response = post_comment(client, "talk", name="claire  DUBOIS", body="Trust me, I wrote it.")
    assert response.status_code == 302
    (comment,) = stored_comments(app, post_id=talk)
    assert (comment.status, comment.reason) == (PENDING, "author-name")


def add_claire(app):
    from cms.models import Author

    with app.app_context():
        db.session.add(Author(username="claire", display_name="Claire Dubois", password_hash="x"))
        db.session.commit()


@pytest.mark.parametrize(
    "name",
    [
        "Claire\u200b Dubois",  # a zero-width space
        "Ｃｌａｉｒｅ Ｄｕｂｏｉｓ",  # full-width letters
        "Cl\u0430ire Dub\u043eis",  # a Cyrillic а and о
    ],
)
def test_a_name_that_passes_for_the_authors_is_held_too(app, client, talk, name):
    add_claire(app)
    assert post_comment(client, "talk", name=name, body="It is me.").status_code == 302
    (comment,) = stored_comments(app, post_id=talk)
    assert (comment.status, comment.reason) == (PENDING, "author-name")
    assert "\u200b" not in comment.author_name


def test_a_right_to_left_override_is_dropped_from_the_name(app, client, talk):
    """ "\u202esiobuD erialC" displays as "Claire Dubois": stored without the override, it reads
    as what it is."""
    add_claire(app)
    assert post_comment(client, "talk", name="\u202esiobuD erialC", body="Hi.").status_code == 302
    (comment,) = stored_comments(app, post_id=talk)
    assert comment.author_name == "siobuD erialC"


# --- A refused page, reloaded --------------------------------------------------------------------


def test_reloading_a_refused_comment_never_ends_in_too_many_comments(app, client, talk):
    """A reload of the refused page sends the same form again: it gets the same answer with the
    text kept, and counts once, so a visitor who reloads is never told to wait."""
    app.config.update(COMMENT_RATE_LIMIT=2, COMMENT_RATE_WINDOW=60)
    token = form_token(client, "talk")
    for _ in range(4):
        response = post_comment(client, "talk", token=token, name="", body="Kept on reloads.")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Please enter your name." in page and "Kept on reloads.</textarea>" in page
    response = post_comment(client, "talk", token=token, name="Ada", body="Kept on reloads.")
    assert response.status_code == 302
    assert [c.body for c in stored_comments(app, post_id=talk)] == ["Kept on reloads."]


def test_a_reloaded_refusal_leaves_one_trace_and_changed_words_count_anew(app, client, talk):
    app.config.update(COMMENT_MIN_SECONDS=60, COMMENT_RATE_LIMIT=2, COMMENT_RATE_WINDOW=60)
    token = form_token(client, "talk")
    for _ in range(3):
        assert post_comment(client, "talk", token=token, body="Too quick.").status_code == 400
    assert [e.reason.split(":")[0] for e in refusals(app)] == ["too-fast"]
    # Other words are another attempt, counted as before: this one reaches the limit.
    assert post_comment(client, "talk", token=token, body="Too quick, edited.").status_code == 400
    for _ in range(2):  # sent, then reloaded: the same clear answer, the text kept
        response = post_comment(client, "talk", token=token, body="Edited again.")
        page = response.get_data(as_text=True)
        assert response.status_code == 429
        assert "Please wait a minute, then send this one again." in page
        assert "Edited again.</textarea>" in page


def test_a_forged_form_sent_again_still_counts_every_time(app, client, talk):
    """Only a form this site signed is spared: a script repeating one request is limited."""
    app.config.update(COMMENT_RATE_LIMIT=2, COMMENT_RATE_WINDOW=60)
    for _ in range(2):
        assert post_comment(client, "talk", token="forged", body="Same.").status_code == 400
    assert post_comment(client, "talk", body="Now a real one.").status_code == 429
