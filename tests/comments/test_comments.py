"""Comments on a post: posting, numbers, replies, pages, feed, closing, privacy, hostile input."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from sqlalchemy import event

from cms.clock import utcnow
from cms.extensions import db
from cms.kernel import database
from cms.models import APPROVED, PENDING, PUBLISHED, SPAM, Post
from cms.ops.cli import comments_group
from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_app
from tests.support import XSS_PAYLOADS
from tests.support.comments import (
    add_comment,
    comment_count,
    form_token,
    numbered_names,
    post_comment,
    section,
    set_site,
    stored_comments,
)
from tests.web.test_hardening_access import seed_author_and_post

XSS_PAYLOADS = [
    line
    for line in XSS_PAYLOADS.read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture
def app(tmp_path):
    # No time trap and no rate limit here: tests/comments/test_comment_spam.py covers them.
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def open_site(app):
    """Comments published at once, so that a test can read what it posted."""
    set_site(app, moderate_first_comment=False)
    return app


def comments_of(page: str) -> str:
    return section(page, '<section id="comments"', "</section>")


# --- The model page ------------------------------------------------------------------------------

POST_BODY = """\
Le mot « communauté » s’est glissé dans toutes les plaquettes : on la *gère*, on la *pilote*, on
l’*anime*. Mais qui, au juste, a déjà géré une conversation ?

## Converser plutôt que contrôler

Une marque qui ouvre un espace de discussion accepte d’y perdre un peu la main. C’est le prix
d’un échange sincère ; le reste relève de la publicité.
"""

MODEL_COMMENTS = [
    (
        "Hélène",
        "helene@example.fr",
        "J’ai connu ces débats dès les premiers forums : on parlait "
        "alors d’« animateurs », et c’était déjà le bon mot.",
    ),
    (
        "Marc",
        "marc@example.fr",
        "Plutôt d’accord : toute organisation veut d’abord garder le "
        "contrôle. Reste à savoir si une « communauté » existe vraiment.",
    ),
    (
        "Chob",
        "chob@example.fr",
        "@Marc : tout dépend de la communauté dont on parle.\n\n"
        "Une communauté métier se pilote ; les autres se rejoignent.",
    ),
    ("Paul", "", "Pas d’accord : *manager*, c’est aussi mettre les ressources au bon endroit."),
]


def test_model_page_french_conversation_then_site_wide_close(app, make_post, client, author):
    set_site(app, language="fr")
    make_post("Communauté : la grande illusion ?", slug="communaute", body=POST_BODY, language="fr")

    # Four readers, each in their own browser, post through the public form.
    for name, email, body in MODEL_COMMENTS:
        reader = app.test_client()
        response = post_comment(reader, "communaute", name=name, email=email, body=body)
        assert response.status_code == 302
        assert re.fullmatch(r"/posts/communaute/#comment-\d+", response.headers["Location"])
        page = reader.get(response.headers["Location"]).get_data(as_text=True)
        assert "Votre commentaire est en attente de modération." in page
    assert [c.status for c in stored_comments(app)] == [PENDING] * 4

    # The author approves them from the moderation queue, all four at once.
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    queue = client.get("/editor/comments").get_data(as_text=True)
    assert "Commentaires (4)" in queue
    assert queue.count("Premier commentaire sous ce nom et cette adresse e-mail") == 4
    ids = [str(c.id) for c in stored_comments(app)]
    response = client.post(
        "/editor/comments/bulk", data={"action": "approve", "ids": ids, "next": "/editor/comments"}
    )
    assert response.status_code == 302
    assert [c.status for c in stored_comments(app)] == [APPROVED] * 4

    visitor = app.test_client()
    page = visitor.get("/posts/communaute/").get_data(as_text=True)
    thread = comments_of(page)
    assert ">4 commentaires</h2>" in thread
    assert numbered_names(thread) == [(1, "Hélène"), (2, "Marc"), (3, "Chob"), (4, "Paul")]
    _helene, marc, chob, _paul = stored_comments(app)
    assert chob.parent_id == marc.id  # "@Marc" chose the comment Chob answers
    assert (
        f'<a class="comment-parent" href="#comment-{marc.id}">en réponse au n°\u00a02</a>' in thread
    )
    assert f'<a class="mention" href="/comments/{marc.id}">@Marc</a>' in thread
    assert "helene@example.fr" not in page and "marc@example.fr" not in page
    assert 'id="comment-form"' in page
    token = form_token(visitor, "communaute")  # a form served while comments were open

    # The site-wide switch, on the settings page.
    settings = client.get("/editor/settings").get_data(as_text=True)
    assert 'name="comments_open"' in settings
    response = client.post(
        "/editor/settings",
        data={
            "title": "Causerie",
            "tagline": "",
            "language": "fr",
            "timezone": "Europe/Paris",
            "posts_per_page": "10",
            "close_comments_after_days": "0",
            "closed_notice": "",
            "moderate_first_comment": "y",
            "max_links": "2",
            # comments_open left unticked: the box the author cleared.
        },
    )
    assert response.status_code == 302

    page = visitor.get("/posts/communaute/").get_data(as_text=True)
    thread = comments_of(page)
    assert numbered_names(thread) == [(1, "Hélène"), (2, "Marc"), (3, "Chob"), (4, "Paul")]
    assert "Les commentaires sont fermés." in thread
    assert 'id="comment-form"' not in page and "Répondre" not in thread

    response = post_comment(visitor, "communaute", token=token, name="Tardif", body="Trop tard ?")
    assert response.status_code == 403
    assert "Les commentaires sont fermés." in response.get_data(as_text=True)
    assert "Trop tard ?" in response.get_data(as_text=True)  # the unsent text is not lost
    assert comment_count(app) == 4


# --- Showing comments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "heading"),
    [
        ("en", 0, "No comments yet"),
        ("en", 1, "1 comment"),
        ("en", 4, "4 comments"),
        ("fr", 0, "Aucun commentaire pour l’instant"),
        ("fr", 1, "1 commentaire"),
        ("fr", 4, "4 commentaires"),
    ],
)
def test_heading_counts_comments_with_plurals(app, client, make_post, language, count, heading):
    set_site(app, language=language)
    post_id = make_post("Counted", language=language)
    for n in range(count):
        add_comment(app, post_id, f"Reader {n}", f"Remark {n}.", language=language)
    add_comment(app, post_id, "Held", "Not counted.", status=PENDING, language=language)
    add_comment(app, post_id, "Spammer", "Not counted either.", status=SPAM, language=language)
    page = client.get("/posts/counted/").get_data(as_text=True)
    assert f'<h2 id="comments-title">{heading}</h2>' in page
    assert "Not counted" not in page


def test_comment_shows_number_name_website_date_and_body_never_email(app, client, make_post):
    post_id = make_post("Shown")
    add_comment(
        app,
        post_id,
        "Zoé",
        "I *agree*.",
        author_email="zoe@example.org",
        author_website="https://zoe.example.org/",
        created_at=datetime(2026, 11, 20, 14, 5),
    )
    page = client.get("/posts/shown/").get_data(as_text=True)
    thread = comments_of(page)
    assert '<ol class="comment-list" start="1">' in thread
    assert numbered_names(thread) == [(1, "Zoé")]
    assert '<a href="https://zoe.example.org/" rel="nofollow ugc">Zoé</a>' in thread
    # Babel separates "PM" with a narrow no-break space.
    assert re.search(
        r'<time datetime="2026-11-20T14:05:00Z">November 20, 2026 at 2:05\sPM</time>', thread
    )
    assert "<p>I <em>agree</em>.</p>" in thread
    assert "zoe@example.org" not in page


def test_comment_date_in_french(app, client, make_post):
    set_site(app, language="fr", timezone="Europe/Paris")
    post_id = make_post("Daté", slug="date", language="fr")
    add_comment(app, post_id, "Zoé", "Bien vu.", created_at=datetime(2026, 11, 20, 14, 5))
    assert "20 novembre 2026 à 15:05" in client.get("/posts/date/").get_data(as_text=True)


def test_comments_in_chronological_order(app, client, make_post):
    post_id = make_post("Ordered")
    now = utcnow()
    add_comment(app, post_id, "Second", "Two.", created_at=now - timedelta(minutes=5))
    add_comment(app, post_id, "First", "One.", created_at=now - timedelta(hours=2))
    thread = comments_of(client.get("/posts/ordered/").get_data(as_text=True))
    assert numbered_names(thread) == [(1, "First"), (2, "Second")]


# --- Posting -------------------------------------------------------------------------------------


def test_posting_a_comment_redirects_to_its_anchor_with_a_message(open_site, client, make_post):
    make_post("Talk")
    response = post_comment(client, "talk", name="Ada", body="Nice *post*.")
    [comment] = stored_comments(open_site)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/talk/#comment-{comment.id}"
    assert comment.status == APPROVED and comment.body == "Nice *post*."
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment is published." in page
    assert f'<li id="comment-{comment.id}" class="comment">' in page
    assert "<p>Nice <em>post</em>.</p>" in page


def test_first_comment_is_held_and_says_so(app, client, make_post):
    make_post("Talk")
    response = post_comment(client, "talk", name="Ada", email="ada@example.org")
    [comment] = stored_comments(app)
    assert comment.status == PENDING and comment.reason == "first-comment"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment is awaiting moderation." in page


def test_get_of_a_post_page_sets_no_cookie_and_is_the_same_for_every_visitor(app, make_post):
    make_post("Cached")
    first, second = app.test_client(), app.test_client()
    one = first.get("/posts/cached/")
    two = second.get("/posts/cached/")
    assert "Set-Cookie" not in one.headers and "Set-Cookie" not in two.headers
    assert first.get_cookie("session") is None
    without_token = re.compile(r'name="token" type="hidden" value="[^"]+"')
    assert without_token.sub("", one.get_data(as_text=True)) == without_token.sub(
        "", two.get_data(as_text=True)
    )
    assert 'name="csrf_token"' not in one.get_data(as_text=True)


def test_remember_me_prefills_the_form_and_unticking_forgets(open_site, client, make_post):
    make_post("Talk")
    response = post_comment(
        client,
        "talk",
        name="Ada",
        email="ada@example.org",
        website="https://ada.example.org",
        remember="y",
        body="One.",
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("commenter="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "Secure" not in cookie
    page = client.get("/posts/talk/").get_data(as_text=True)
    assert 'name="name" required type="text" value="Ada"' in page
    assert 'value="ada@example.org"' in page and 'value="https://ada.example.org"' in page
    assert 'checked id="comment-remember"' in page

    response = post_comment(client, "talk", name="Ada", email="ada@example.org", body="Two.")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("commenter="))
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    assert 'value="Ada"' not in client.get("/posts/talk/").get_data(as_text=True)


def test_remember_cookie_is_secure_over_https(open_site, make_post):
    make_post("Talk")
    client = open_site.test_client()
    token = form_token(client, "talk")
    response = client.post(
        "/posts/talk/comments",
        base_url="https://blog.test",
        data={"token": token, "name": "Ada", "body": "Over HTTPS.", "remember": "y"},
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("commenter="))
    assert "Secure" in cookie


def test_a_tampered_remember_cookie_is_ignored(open_site, client, make_post):
    make_post("Talk")
    client.set_cookie("commenter", "eyJuYW1lIjoiTWFsbG9yeSJ9.forged")
    page = client.get("/posts/talk/").get_data(as_text=True)
    assert "Mallory" not in page


def test_pending_comment_is_shown_only_to_its_writer(app, make_post):
    make_post("Talk")
    writer, other = app.test_client(), app.test_client()
    response = post_comment(writer, "talk", name="Ada", body="Held for now.")
    [comment] = stored_comments(app)
    assert comment.status == PENDING
    own = writer.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<li id="comment-{comment.id}" class="comment comment-pending">' in own
    assert "Awaiting moderation" in own and "Held for now." in own
    # Counted for its writer, apart from the approved ones, and not numbered.
    assert ">1 comment (awaiting moderation)</h2>" in own
    assert 'class="comment-number"' not in comments_of(own)
    seen_by_other = other.get("/posts/talk/").get_data(as_text=True)
    assert "Held for now." not in seen_by_other and "Awaiting moderation" not in seen_by_other
    assert other.get(f"/comments/{comment.id}").status_code == 404
    assert writer.get(f"/comments/{comment.id}").status_code == 302


def test_validation_errors_redisplay_the_form_with_the_text_kept(open_site, client, make_post):
    make_post("Talk")
    response = post_comment(
        client,
        "talk",
        name="  ",
        email="not-an-address",
        website="javascript:alert(1)",
        body="My carefully written text.",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="comment-name-error">Please enter your name.</p>' in page
    assert "This does not look like an e-mail address" in page
    assert "Please give a web address starting with http:// or https://" in page
    assert "My carefully written text.</textarea>" in page
    assert comment_count(open_site) == 0


def test_empty_and_overlong_bodies_are_refused(open_site, client, make_post):
    make_post("Talk")
    for invisible in ("   \n ", "\u3000\u200b\u2060"):
        page = post_comment(client, "talk", body=invisible).get_data(as_text=True)
        assert "Please write your comment." in page
    long = "word " * 1001
    page = post_comment(client, "talk", body=long).get_data(as_text=True)
    assert "Your comment is 5,004 characters long; the limit is 5,000." in page
    assert comment_count(open_site) == 0
    post_comment(client, "talk", body="x" * 5000)
    assert comment_count(open_site) == 1


def test_website_without_scheme_is_completed(open_site, client, make_post):
    make_post("Talk")
    post_comment(client, "talk", name="Ada", website="ada.example.org/blog")
    [comment] = stored_comments(open_site)
    assert comment.author_website == "https://ada.example.org/blog"


def test_email_can_be_required(open_site, client, make_post):
    set_site(open_site, require_email=True)
    make_post("Talk")
    page = client.get("/posts/talk/").get_data(as_text=True)
    assert "Required, never shown." in page
    response = post_comment(client, "talk", name="Ada", body="No address.")
    assert "Please enter your e-mail address." in response.get_data(as_text=True)
    assert comment_count(open_site) == 0
    post_comment(client, "talk", name="Ada", email="Ada@Example.org", body="With one.")
    [comment] = stored_comments(open_site)
    assert comment.author_email == "ada@example.org"


def test_comments_on_drafts_are_404(app, client, make_post):
    make_post("Secret", status="draft")
    assert post_comment(client, "secret", token="x").status_code == 404
    assert client.get("/posts/secret/comments.xml").status_code == 404


# --- The form token and the Origin check ---------------------------------------------------------


@pytest.mark.parametrize("token", ["", "garbage", "WzEsMTc5NTQ5MzI1OF0.forgedsignature"])
def test_post_without_a_valid_token_is_refused_and_stores_nothing(
    open_site, client, make_post, token
):
    make_post("Talk")
    response = post_comment(client, "talk", token=token, body="Sent by a script.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form could not be verified." in page
    assert "Sent by a script.</textarea>" in page  # a person can just send it again
    assert comment_count(open_site) == 0


def test_token_of_another_post_is_refused(open_site, client, make_post):
    make_post("One")
    make_post("Two")
    response = post_comment(client, "two", token=form_token(client, "one"))
    assert response.status_code == 400
    assert comment_count(open_site) == 0


def test_token_replaces_session_csrf_even_with_csrf_protection_on(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, COMMENT_MIN_SECONDS=0)
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
    assert post_comment(client, "talk", token="").status_code == 400
    assert post_comment(client, "talk").status_code == 302
    assert comment_count(app) == 1
    with app.app_context():
        db.engine.dispose()


def test_post_from_another_site_is_refused(open_site, client, make_post):
    make_post("Talk")
    token = form_token(client, "talk")
    for foreign in ("https://evil.example", "http://[::1"):
        response = post_comment(client, "talk", token=token, headers={"Origin": foreign})
        assert response.status_code == 403
    assert comment_count(open_site) == 0
    response = post_comment(client, "talk", token=token, headers={"Origin": "http://blog.test"})
    assert response.status_code == 302
    assert comment_count(open_site) == 1


# --- Replies and @name ---------------------------------------------------------------------------


def test_reply_link_sets_the_parent_and_prefills_the_name(open_site, client, make_post):
    post_id = make_post("Talk")
    first = add_comment(open_site, post_id, "Jean Dupont", "First!")
    page = client.get("/posts/talk/").get_data(as_text=True)
    # Relative to the post, so that the same link works from a refused POST's address too.
    assert f'href="./?replyto={first}#comment-form"' in page
    for address in ("/posts/talk/", "/posts/talk/comments"):
        assert urljoin(address, f"./?replyto={first}") == f"/posts/talk/?replyto={first}"
    page = client.get(f"/posts/talk/?replyto={first}").get_data(as_text=True)
    assert f'name="parent_id" type="hidden" value="{first}"' in page
    assert "@Jean Dupont </textarea>" in page
    assert "Replying to #1, Jean Dupont" in page

    token = form_token(client, "talk", replyto=first)
    response = post_comment(
        client, "talk", token=token, parent_id=str(first), name="Ada", body="@Jean Dupont I agree."
    )
    reply = stored_comments(open_site)[-1]
    assert reply.parent_id == first
    thread = comments_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'<a class="comment-parent" href="#comment-{first}">in reply to #1</a>' in thread
    assert f'<a class="mention" href="/comments/{first}">@Jean Dupont</a> I agree.' in thread


def test_mention_names_the_latest_earlier_comment_by_that_name(open_site, client, make_post):
    post_id = make_post("Talk")
    now = utcnow()
    add_comment(open_site, post_id, "Marc", "Old.", created_at=now - timedelta(hours=3))
    latest = add_comment(open_site, post_id, "marc", "Newer.", created_at=now - timedelta(hours=2))
    add_comment(open_site, post_id, "Marcel", "Not him.", created_at=now - timedelta(hours=1))
    post_comment(client, "talk", name="Ada", body="@Marc, really?")
    reply = stored_comments(open_site)[-1]
    assert reply.parent_id == latest
    assert f'<a class="mention" href="/comments/{latest}">@Marc</a>, really?' in reply.body_html


def test_unknown_mention_is_plain_text_and_sets_no_parent(open_site, client, make_post):
    post_id = make_post("Talk")
    add_comment(open_site, post_id, "Marc", "Hello.")
    post_comment(client, "talk", name="Ada", body="@Nobody hello")
    reply = stored_comments(open_site)[-1]
    assert reply.parent_id is None and 'class="mention"' not in reply.body_html


def test_reply_to_a_comment_of_another_post_is_ignored(open_site, client, make_post):
    other = make_post("Other")
    foreign = add_comment(open_site, other, "Marc", "Elsewhere.")
    make_post("Talk")
    post_comment(client, "talk", parent_id=str(foreign), body="Hello.")
    assert stored_comments(open_site)[-1].parent_id is None


def test_mention_of_a_pending_comment_links_once_it_is_approved(app, logged_in, make_post):
    post_id = make_post("Talk")
    marc = add_comment(app, post_id, "Marc", "Held.", status=PENDING)
    add_comment(app, post_id, "Ada", "@Marc yes.", status=PENDING)
    ada = stored_comments(app)[-1]
    assert ada.parent_id is None and 'class="mention"' not in ada.body_html
    logged_in.post(f"/editor/comments/{marc}/approve")
    ada = stored_comments(app)[-1]
    assert ada.parent_id == marc
    assert f'href="/comments/{marc}">@Marc</a>' in ada.body_html


# --- Pages of comments ---------------------------------------------------------------------------


@pytest.fixture
def seven_comments(app, make_post):
    app.config["COMMENTS_PER_PAGE"] = 3
    post_id = make_post("Busy")
    start = utcnow() - timedelta(days=1)
    return [
        add_comment(
            app,
            post_id,
            f"Reader {n}",
            f"Remark number {n}.",
            created_at=start + timedelta(minutes=n),
        )
        for n in range(1, 8)
    ]


def test_comment_pages_continue_the_numbering(app, client, seven_comments):
    first = comments_of(client.get("/posts/busy/").get_data(as_text=True))
    assert ">7 comments</h2>" in first
    assert [n for n, _ in numbered_names(first)] == [1, 2, 3]
    assert 'href="./?page=2#comments"' in first
    second = comments_of(client.get("/posts/busy/?page=2").get_data(as_text=True))
    assert '<ol class="comment-list" start="4">' in second
    assert numbered_names(second) == [(4, "Reader 4"), (5, "Reader 5"), (6, "Reader 6")]
    third = comments_of(client.get("/posts/busy/?page=3").get_data(as_text=True))
    assert numbered_names(third) == [(7, "Reader 7")]
    assert client.get("/posts/busy/?page=4").status_code == 404
    assert client.get("/posts/busy/?page=zero").status_code == 404


def test_permalink_redirects_to_the_right_page(app, client, seven_comments):
    fifth = seven_comments[4]
    response = client.get(f"/comments/{fifth}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/busy/?page=2#comment-{fifth}"
    first = seven_comments[0]
    assert client.get(f"/comments/{first}").headers["Location"] == f"/posts/busy/#comment-{first}"
    assert client.get("/comments/999").status_code == 404


def test_new_comment_lands_on_the_last_page_and_replies_link_across_pages(
    app, client, seven_comments
):
    set_site(app, moderate_first_comment=False)
    first = seven_comments[0]
    response = post_comment(
        client, "busy", name="Late", body="Answering the first.", parent_id=str(first)
    )
    [reply] = [c for c in stored_comments(app) if c.author_name == "Late"]
    assert response.headers["Location"] == f"/posts/busy/?page=3#comment-{reply.id}"
    third = comments_of(client.get("/posts/busy/?page=3").get_data(as_text=True))
    assert numbered_names(third) == [(7, "Reader 7"), (8, "Late")]
    assert (
        f'<a class="comment-parent" href="/posts/busy/#comment-{first}">in reply to #1</a>' in third
    )


# --- The comments feed ---------------------------------------------------------------------------


def test_comments_feed_lists_approved_comments_without_emails(app, client, make_post):
    post_id = make_post("Fed")
    add_comment(
        app,
        post_id,
        "Ada",
        "Visible *one*.",
        author_email="ada@example.org",
        author_website="https://ada.example.org/",
    )
    add_comment(app, post_id, "Held", "Pending text.", status=PENDING, author_email="h@example.org")
    add_comment(app, post_id, "Bot", "Spam text.", status=SPAM)
    page = client.get("/posts/fed/").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Comments on “Fed”" '
        'href="/posts/fed/comments.xml">'
    ) in page
    response = client.get("/posts/fed/comments.xml")
    feed = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert "<title>Comment #1 by Ada</title>" in feed
    assert "Visible &lt;em&gt;one&lt;/em&gt;." in feed  # the HTML, escaped inside the XML
    assert "<uri>https://ada.example.org/</uri>" in feed
    assert "Pending text" not in feed and "Spam text" not in feed
    assert "@example.org" not in feed
    assert client.get("/posts/missing/comments.xml").status_code == 404


# --- Closing comments ----------------------------------------------------------------------------


def assert_closed(app, client, slug: str, notice: str = "Comments are closed.") -> None:
    """The page keeps its comments but has no form; a POST gets 403 and stores nothing."""
    before = comment_count(app)
    page = client.get(f"/posts/{slug}/").get_data(as_text=True)
    assert f'<p class="comments-closed">{notice}</p>' in page
    assert 'id="comment-form"' not in page and "comment-reply" not in page
    assert "Kept visible." in page
    response = post_comment(client, slug, token="closed", body="Knocking.")
    assert response.status_code == 403
    assert notice in response.get_data(as_text=True)
    assert comment_count(app) == before


def test_post_that_does_not_allow_comments_is_closed(app, client, make_post):
    post_id = make_post("Quiet", allow_comments=False)
    add_comment(app, post_id, "Ada", "Kept visible.")
    assert_closed(app, client, "quiet")


def test_old_posts_close_after_the_configured_days(app, client, make_post):
    set_site(app, close_comments_after_days=30, moderate_first_comment=False)
    old = make_post("Old", ago=timedelta(days=31))
    add_comment(app, old, "Ada", "Kept visible.")
    make_post("Recent", ago=timedelta(days=29))
    assert_closed(app, client, "old")
    assert post_comment(client, "recent").status_code == 302
    set_site(app, close_comments_after_days=0)
    assert post_comment(client, "old", body="Open again.").status_code == 302


def test_site_wide_switch_closes_every_post_on_the_next_request(app, client, make_post):
    post_id = make_post("Any")
    add_comment(app, post_id, "Ada", "Kept visible.")
    token = form_token(client, "any")
    set_site(app, comments_open=False)
    assert_closed(app, client, "any")
    assert post_comment(client, "any", token=token).status_code == 403


def test_author_writes_the_closed_notice(app, client, make_post):
    set_site(app, comments_open=False, closed_notice="Les commentaires sont fermés, pas moi.")
    post_id = make_post("Any")
    add_comment(app, post_id, "Ada", "Kept visible.")
    assert_closed(app, client, "any", "Les commentaires sont fermés, pas moi.")


def test_cli_closes_opens_and_reports(app, client, make_post):
    post_id = make_post("Any")
    add_comment(app, post_id, "Ada", "Kept visible.")
    add_comment(app, post_id, "Held", "Waiting.", status=PENDING)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["comments", "status"])
    assert result.exit_code == 0
    assert (
        "Comments are open site-wide." in result.output
        and "Awaiting moderation: 1." in result.output
    )
    result = runner.invoke(args=["comments", "close"])
    assert result.exit_code == 0 and "closed" in result.output
    assert_closed(app, client, "any")
    assert "closed site-wide" in runner.invoke(args=["comments", "status"]).output
    assert runner.invoke(args=["comments", "open"]).exit_code == 0
    assert 'id="comment-form"' in client.get("/posts/any/").get_data(as_text=True)
    assert comments_group.name == "comments"


# --- Hostile input -------------------------------------------------------------------------------

SAFE_TAGS = {"p", "br", "em", "strong", "code", "blockquote", "a", "pre"}


class CommentMarkup(HTMLParser):
    """Collects every element and attribute inside the comment bodies and names of a page."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if self.depth:
            self.found.append((tag, attrs))
            self.depth += tag not in ("br",)
        elif tag in ("div", "span") and classes in ("comment-body", "comment-author"):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def assert_inert(page: str, start: str = '<section id="comments"') -> None:
    """No element or attribute outside the comment allow-list in names and bodies, and no script
    anywhere after `start`."""
    parser = CommentMarkup()
    parser.feed(page)
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS, (tag, attrs)
        for name, value in attrs:
            assert name in ("href", "rel", "class"), (tag, name, value)
            if name == "href":
                assert re.match(r"(https?://|mailto:|/comments/\d+$)", value or ""), value
    assert "<script" not in section(page, start).lower()


def test_xss_payloads_in_every_field_are_stored_and_shown_inert(
    open_site, client, make_post, author
):
    open_site.config["COMMENTS_PER_PAGE"] = 1000
    make_post("Target")
    for n, payload in enumerate(XSS_PAYLOADS):
        response = post_comment(
            client, "target", name=payload[:100], body=f"{payload}\n\n(payload {n})"
        )
        assert response.status_code == 302, (payload, response.get_data(as_text=True)[-500:])
    stored = stored_comments(open_site)
    assert len(stored) == len(XSS_PAYLOADS)
    assert stored[0].body.startswith(XSS_PAYLOADS[0])  # kept as typed, made safe when shown
    page = client.get("/posts/target/").get_data(as_text=True)
    assert_inert(page)
    feed = client.get("/posts/target/comments.xml").get_data(as_text=True)
    assert "<script" not in feed.lower()
    # The author's moderation queue shows the same names and bodies, inert too.
    desk = open_site.test_client()
    desk.post("/login", data={"username": "alice", "password": PASSWORD})
    for number in range(1, len(XSS_PAYLOADS) // 50 + 2):
        queue = desk.get(f"/editor/comments?status=approved&page={number}")
        assert queue.status_code == 200
        assert_inert(queue.get_data(as_text=True), '<ul class="moderation-list">')


def test_stored_website_that_is_not_a_web_address_is_not_linked(app, client, make_post):
    # Comments imported from elsewhere were never checked by the form.
    post_id = make_post("Imported")
    add_comment(app, post_id, "Eve", "Hello.", author_website="javascript:alert(1)")
    page = client.get("/posts/imported/").get_data(as_text=True)
    assert '<span class="comment-author">Eve</span>' in page
    assert "javascript:" not in page
    assert "javascript:" not in client.get("/posts/imported/comments.xml").get_data(as_text=True)


@pytest.mark.parametrize(
    "email",
    ['"><script>alert(1)</script>@evil.example', "a@b", "x@exa mple.org", "<a@b.example>"],
)
def test_hostile_emails_are_refused(open_site, client, make_post, email):
    make_post("Target")
    response = post_comment(client, "target", email=email, body="Hi.")
    assert "This does not look like an e-mail address" in response.get_data(as_text=True)
    assert "<script>alert" not in response.get_data(as_text=True)
    assert comment_count(open_site) == 0


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        'http://x" onmouseover="alert(1)',
        "https://ex.example/'><script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example",
        "http://",
        "java\u200bscript:alert(1)",
    ],
)
def test_hostile_websites_are_refused_and_redisplayed_inert(open_site, client, make_post, website):
    make_post("Target")
    response = post_comment(client, "target", name="Eve", website=website, body="Hi.")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please give a web address starting with http:// or https://" in page
    assert "<script>alert" not in page and 'onmouseover="alert' not in page
    assert comment_count(open_site) == 0


def test_hostile_text_in_the_body_is_escaped_in_the_redisplayed_form(open_site, client, make_post):
    make_post("Target")
    response = post_comment(client, "target", name="", body="</textarea><script>alert(1)</script>")
    page = response.get_data(as_text=True)
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page
    assert "<script>alert(1)" not in page


# --- Speed ---------------------------------------------------------------------------------------


def count_queries(app, client, url: str) -> int:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_home_page_counts_comments_without_a_query_per_post(app, client, make_post):
    first = make_post("Post 0", ago=timedelta(hours=1))
    add_comment(app, first, "Ada", "One.")
    with_one_post = count_queries(app, client, "/")
    for n in range(1, 10):
        post_id = make_post(f"Post {n}", ago=timedelta(hours=n + 1))
        for k in range(n % 3 + 1):
            add_comment(app, post_id, f"Reader {k}", f"Remark {k} on {n}.")
    with_ten_posts = count_queries(app, client, "/")
    page = client.get("/").get_data(as_text=True)
    assert page.count("comments</a>") + page.count("comment</a>") == 10
    assert "3 comments" in page and "1 comment" in page
    assert with_ten_posts == with_one_post


def test_post_page_renders_comments_without_a_query_per_comment(app, client, make_post):
    post_id = make_post("Busy")
    first = add_comment(app, post_id, "Ada", "First.")
    add_comment(app, post_id, "Bob", "@Ada second.")
    few = count_queries(app, client, "/posts/busy/")
    for n in range(30):
        add_comment(
            app,
            post_id,
            f"Reader {n}",
            f"@Ada remark {n}." if n % 2 else f"Remark {n}.",
            parent_id=first if n % 3 == 0 else None,
        )
    many = count_queries(app, client, "/posts/busy/")
    assert many == few


@pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="PostgreSQL's writers wait for a lock without a time limit"
)
def test_a_comment_behind_a_lock_held_too_long_gets_503_with_its_text_kept(tmp_path, monkeypatch):
    # Another writer (an import, a restore) keeps SQLite's write lock past the busy timeout.
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    app = make_app(tmp_path / "locked", COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=0)
    with app.app_context():
        post_id = seed_author_and_post(app)
        path = db.engine.url.database
    set_site(app, moderate_first_comment=False)
    visitor = app.test_client()
    token = form_token(visitor, "target")
    with closing(sqlite3.connect(path, isolation_level=None)) as other_writer:
        other_writer.execute("BEGIN IMMEDIATE")
        response = post_comment(
            visitor, "target", token=token, name="Grace", body="Words I took time to write."
        )
        other_writer.execute("ROLLBACK")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "Your comment could not be saved: the site cannot store anything right now." in page
    assert "Words I took time to write.</textarea>" in page and 'value="Grace"' in page
    assert stored_comments(app, post_id=post_id) == []

    # The same form, sent again once the lock is gone, is stored.
    again = post_comment(
        visitor, "target", token=token, name="Grace", body="Words I took time to write."
    )
    assert again.status_code == 302
    assert [c.body for c in stored_comments(app, post_id=post_id)] == [
        "Words I took time to write."
    ]


# --- What a visitor sees around the form ---------------------------------------------------------


def test_a_refused_comment_answers_at_a_summary_that_links_each_field(open_site, client, make_post):
    make_post("Talk")
    page = client.get("/posts/talk/").get_data(as_text=True)
    # The fragment is sent along by the browser, scripts or not: the answer opens at the summary.
    assert 'action="/posts/talk/comments#comment-errors"' in page
    assert 'id="comment-errors"' not in page
    response = post_comment(client, "talk", name="", email="nope", body="Words kept.")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = section(
        page, '<div class="banner error-summary" id="comment-errors" tabindex="-1">', "</ul>"
    )
    assert '<div role="alert">' in summary
    assert '<li><a href="#comment-name">Please enter your name.</a></li>' in summary
    assert (
        '<li><a href="#comment-email">This does not look like an e-mail address '
        "(name@example.com).</a></li>"
    ) in summary
    assert "comment-body" not in summary  # the text itself was fine
    # The summary sits at the top of the form, which can be sent again to the same place.
    form = section(page, '<form id="comment-form"', "</form>")
    assert form.index('id="comment-errors"') < form.index('for="comment-name"')
    assert 'action="/posts/talk/comments#comment-errors"' in form
    assert "Words kept.</textarea>" in form


def test_a_refusal_before_the_fields_are_read_says_why_in_the_summary(open_site, client, make_post):
    make_post("Talk")
    response = post_comment(client, "talk", token="forged", body="Still mine.")
    assert response.status_code == 400
    summary = section(response.get_data(as_text=True), 'id="comment-errors"', "</div>")
    assert "This form could not be verified." in summary


def test_the_comment_text_has_no_length_cap_in_the_page_and_a_long_one_is_kept_whole(
    open_site, client, make_post
):
    make_post("Talk")
    page = client.get("/posts/talk/").get_data(as_text=True)
    textarea = re.search(r"<textarea [^>]*>", page)[0]
    assert 'name="body"' in textarea and "maxlength" not in textarea
    assert 'data-max="5000"' in page  # for the counter, the server's own limit
    long = ("Un mot de trop. " * 319 + "Fin du texte.").strip()
    assert len(long) == 5117
    response = post_comment(client, "talk", body=long)
    page = response.get_data(as_text=True)
    assert "Your comment is 5,117 characters long; the limit is 5,000." in page
    assert f">\r\n{long}</textarea>" in page  # every character, nothing cut
    assert "maxlength" not in re.search(r"<textarea [^>]*>", page)[0]
    assert comment_count(open_site) == 0


def test_the_heading_counts_the_visitors_own_comments_awaiting_moderation(app, make_post):
    post_id = make_post("Talk")
    writer, other = app.test_client(), app.test_client()
    post_comment(writer, "talk", name="Ada", body="Held for now.")
    page = writer.get("/posts/talk/").get_data(as_text=True)
    assert '<h2 id="comments-title">1 comment (awaiting moderation)</h2>' in page
    assert "No comments yet" not in page
    post_comment(writer, "talk", name="Ada", body="And a second thought.")
    page = writer.get("/posts/talk/").get_data(as_text=True)
    assert '<h2 id="comments-title">2 comments (awaiting moderation)</h2>' in page

    add_comment(app, post_id, "Marc", "Approved.")
    add_comment(app, post_id, "Zoé", "Approved too.")
    page = writer.get("/posts/talk/").get_data(as_text=True)
    assert '<h2 id="comments-title">4 comments, 2 awaiting moderation</h2>' in page
    assert '<h2 id="comments-title">2 comments</h2>' in other.get("/posts/talk/").get_data(
        as_text=True
    )


def test_the_heading_counts_own_pending_comments_on_every_page_of_comments(app, seven_comments):
    writer = app.test_client()
    post_comment(writer, "busy", name="Ada", body="Held for now.")
    for address in ("/posts/busy/", "/posts/busy/?page=2", "/posts/busy/?page=3"):
        page = writer.get(address).get_data(as_text=True)
        assert '<h2 id="comments-title">8 comments, 1 awaiting moderation</h2>' in page
        # It is listed once, on the last page, after the approved ones.
        assert ("Held for now." in page) == address.endswith("page=3")


def test_a_reply_shows_whom_it_answers_with_a_way_back_without_scripts(
    open_site, client, make_post
):
    post_id = make_post("Talk")
    add_comment(open_site, post_id, "Ada", "First.")
    bertrand = add_comment(open_site, post_id, "Bertrand", "Second.")
    page = client.get("/posts/talk/").get_data(as_text=True)
    # The box is there for the script to fill, hidden until a Reply link is used.
    box = section(page, '<p class="banner reply-context"', "</p>")
    assert box.startswith(
        '<p class="banner reply-context" id="comment-reply-context" aria-live="polite" hidden>'
    )

    page = client.get(f"/posts/talk/?replyto={bertrand}").get_data(as_text=True)
    form = section(page, '<form id="comment-form"', "</form>")
    box = section(form, '<p class="banner reply-context"', "</p>")
    assert box.startswith(
        '<p class="banner reply-context" id="comment-reply-context" aria-live="polite">'
    )
    assert "Replying to #2, Bertrand" in box
    assert '<a class="reply-cancel" href="/posts/talk/#comment-form">Cancel the reply</a>' in box
    assert form.index("reply-context") < form.index('for="comment-name"')

    # A refused reply keeps saying whom it answers.
    response = post_comment(client, "talk", parent_id=str(bertrand), name="", body="@Bertrand ok")
    box = section(response.get_data(as_text=True), '<p class="banner reply-context"', "</p>")
    assert "polite" in box and "hidden" not in box and "Replying to #2, Bertrand" in box


def test_a_comment_too_long_is_counted_as_the_counter_counts_in_french(app, client, make_post):
    """The counter writes "5 000"; the server's message once wrote "5000" beside it."""
    set_site(app, language="fr")
    make_post("Long", slug="long", language="fr")
    page = post_comment(client, "long", body="mot " * 1300).get_data(as_text=True)
    # Grouped with the no-break space French puts between thousands, as the counter does.
    assert re.search(r"compte 5\s199 caractères\s; la limite est de 5\s000\.", page)
