"""Moderation on the author's desk: queue, filters, badge, actions, bulk, CSRF, comment settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from cms.clock import utcnow
from cms.comments.fields import BODY_MAX
from cms.extensions import db
from cms.models import APPROVED, PENDING, PUBLISHED, SPAM, Author, Comment, Post, SiteSettings
from tests.conftest import PASSWORD, make_app
from tests.support.comments import (
    add_comment,
    comment_count,
    section,
    set_site,
    stored_comments,
)


@pytest.fixture
def queue(app, make_post) -> dict[str, int]:
    """Two posts; three pending comments, one approved, one spam."""
    talk = make_post("Talk")
    other = make_post("Other")
    return {
        "talk": talk,
        "other": other,
        "ada": add_comment(
            app,
            talk,
            "Ada",
            "Pending on talk.",
            status=PENDING,
            reason="first-comment",
            author_email="ada@example.org",
            ip="192.0.2.1",
        ),
        "bob": add_comment(app, talk, "Bob", "Also pending.", status=PENDING, reason="links:3"),
        "cy": add_comment(app, other, "Cy", "Pending on other.", status=PENDING),
        "dee": add_comment(app, talk, "Dee", "Already approved."),
        "eve": add_comment(app, talk, "Eve", "Spammy.", status=SPAM, reason="blocked-word:casino"),
    }


def status_of(app, comment_id: int) -> str | None:
    found = stored_comments(app, id=comment_id)
    return found[0].status if found else None


def test_queue_shows_pending_comments_with_reasons_and_emails(app, logged_in, queue):
    page = logged_in.get("/editor/comments").get_data(as_text=True)
    assert "Comments awaiting moderation" in page
    for text in ("Pending on talk.", "Also pending.", "Pending on other."):
        assert text in page
    assert "Already approved." not in page and "Spammy." not in page
    assert "Why: First comment under this name and e-mail address" in page
    assert "Why: Contains 3 links" in page
    assert "ada@example.org" in page and "192.0.2.1" in page  # the author sees them, nobody else
    assert "Pending (3)" in page and "Approved (1)" in page and "Spam (1)" in page


def test_pending_count_badge_in_the_navigation_and_on_the_dashboard(app, logged_in, queue):
    dashboard = logged_in.get("/editor/").get_data(as_text=True)
    assert ">Comments (3)</a>" in dashboard
    assert ">3 comments awaiting moderation</a>" in dashboard
    assert ">Comments (3)</a>" in logged_in.get("/editor/settings").get_data(as_text=True)
    logged_in.post(
        "/editor/comments/bulk",
        data={"action": "approve", "ids": [queue["ada"], queue["bob"], queue["cy"]]},
    )
    dashboard = logged_in.get("/editor/").get_data(as_text=True)
    assert ">Comments</a>" in dashboard and "awaiting moderation" not in dashboard


def test_queue_filters_by_status_and_post(app, logged_in, queue):
    spam = logged_in.get("/editor/comments?status=spam").get_data(as_text=True)
    assert "Spammy." in spam and "Pending on talk." not in spam
    assert "Why: Contains the blocked word “casino”" in spam
    approved = logged_in.get("/editor/comments?status=approved").get_data(as_text=True)
    assert "Already approved." in approved and "Spammy." not in approved
    on_other = logged_in.get(f"/editor/comments?post={queue['other']}").get_data(as_text=True)
    assert "Pending on other." in on_other and "Pending on talk." not in on_other
    assert f'<option value="{queue["other"]}" selected>Other</option>' in on_other
    assert logged_in.get("/editor/comments?status=nonsense").status_code == 404


def test_queue_is_paginated(app, logged_in, make_post):
    post_id = make_post("Busy")
    for n in range(51):
        add_comment(app, post_id, f"Reader {n}", f"Pending number {n}.", status=PENDING)
    first = logged_in.get("/editor/comments").get_data(as_text=True)
    assert first.count('name="ids"') == 50
    assert 'href="/editor/comments?page=2"' in first
    second = logged_in.get("/editor/comments?page=2").get_data(as_text=True)
    assert second.count('name="ids"') == 1


def test_approve_and_mark_as_spam_one_comment(app, logged_in, queue):
    back = f"/editor/comments?post={queue['talk']}"
    response = logged_in.post(f"/editor/comments/{queue['ada']}/approve", data={"next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert status_of(app, queue["ada"]) == APPROVED
    assert "Comment by Ada approved." in logged_in.get(back).get_data(as_text=True)
    assert "Pending on talk." in app.test_client().get("/posts/talk/").get_data(as_text=True)

    response = logged_in.post(
        f"/editor/comments/{queue['dee']}/spam", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/editor/comments"  # never leaves the site
    assert status_of(app, queue["dee"]) == SPAM
    assert "Already approved." not in app.test_client().get("/posts/talk/").get_data(as_text=True)


def test_delete_asks_for_confirmation_first(app, logged_in, queue):
    page = logged_in.get(f"/editor/comments/{queue['bob']}/delete").get_data(as_text=True)
    assert "Delete this comment?" in page and "Also pending." in page
    assert status_of(app, queue["bob"]) == PENDING
    response = logged_in.post(f"/editor/comments/{queue['bob']}/delete")
    assert response.status_code == 302
    assert status_of(app, queue["bob"]) is None
    assert "Comment by Bob deleted." in logged_in.get("/editor/comments").get_data(as_text=True)


def test_deleting_a_comment_unlinks_its_replies(app, logged_in, make_post):
    post_id = make_post("Talk")
    marc = add_comment(app, post_id, "Marc", "Original.")
    reply = add_comment(app, post_id, "Ada", "@Marc indeed.")
    assert stored_comments(app, id=reply)[0].parent_id == marc
    logged_in.post(f"/editor/comments/{marc}/delete")
    [left] = stored_comments(app, id=reply)
    assert left.parent_id is None and 'class="mention"' not in left.body_html
    page = app.test_client().get("/posts/talk/").get_data(as_text=True)
    assert "in reply to" not in page and "@Marc indeed." in page


def test_bulk_approve_and_spam(app, logged_in, queue):
    response = logged_in.post(
        "/editor/comments/bulk", data={"action": "approve", "ids": [queue["ada"], queue["cy"]]}
    )
    assert response.status_code == 302
    assert [status_of(app, queue[k]) for k in ("ada", "bob", "cy")] == [APPROVED, PENDING, APPROVED]
    assert "2 comments approved." in logged_in.get("/editor/comments").get_data(as_text=True)
    logged_in.post("/editor/comments/bulk", data={"action": "spam", "ids": [queue["bob"]]})
    assert status_of(app, queue["bob"]) == SPAM


def test_bulk_delete_asks_for_confirmation(app, logged_in, queue):
    ids = [queue["ada"], queue["bob"]]
    response = logged_in.post("/editor/comments/bulk", data={"action": "delete", "ids": ids})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Delete these 2 comments?" in page
    assert comment_count(app) == 5
    assert 'name="confirmed" value="1"' in page
    response = logged_in.post(
        "/editor/comments/bulk", data={"action": "delete", "ids": ids, "confirmed": "1"}
    )
    assert response.status_code == 302
    assert comment_count(app) == 3 and status_of(app, queue["ada"]) is None


def test_bulk_without_selection_or_action_explains(app, logged_in, queue):
    page = logged_in.post(
        "/editor/comments/bulk", data={"action": "approve"}, follow_redirects=True
    )
    assert "Tick at least one comment first." in page.get_data(as_text=True)
    page = logged_in.post(
        "/editor/comments/bulk", data={"action": "x", "ids": [queue["ada"]]}, follow_redirects=True
    )
    assert "Choose an action for the ticked comments." in page.get_data(as_text=True)
    assert status_of(app, queue["ada"]) == PENDING


def test_edit_revalidates_and_resanitizes(app, logged_in, queue):
    url = f"/editor/comments/{queue['dee']}/edit"
    page = logged_in.get(url).get_data(as_text=True)
    assert "Already approved.</textarea>" in page
    response = logged_in.post(
        url,
        data={"name": "", "email": "nope", "website": "javascript:x", "body": "Kept <b>text</b>"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please enter your name." in page and "This does not look like an e-mail address" in page
    assert "Please give a web address" in page and "Kept &lt;b&gt;text&lt;/b&gt;</textarea>" in page
    response = logged_in.post(
        url,
        data={
            "name": "Dee D.",
            "email": "dee@example.org",
            "website": "",
            "body": "<script>alert(1)</script> *fixed*",
        },
    )
    assert response.status_code == 302
    [dee] = stored_comments(app, id=queue["dee"])
    assert dee.author_name == "Dee D." and dee.body == "<script>alert(1)</script> *fixed*"
    assert dee.body_html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; <em>fixed</em></p>"
    public = app.test_client().get("/posts/talk/").get_data(as_text=True)
    assert "<em>fixed</em>" in public and "<script>alert" not in public


def test_the_authors_edit_takes_the_comment_rules_own_length(app, logged_in, queue):
    """The edit form once said maxlength=5000 by hand: the browser cut a longer paste without
    a word. The limit is fields.BODY_MAX, said by the server with the text kept."""
    url = f"/editor/comments/{queue['dee']}/edit"
    form = {"name": "Dee", "email": "", "website": ""}
    page = logged_in.get(url).get_data(as_text=True)
    assert "maxlength" not in section(page, "<textarea", ">")
    too_long = "x" * (BODY_MAX + 1)
    refused = logged_in.post(url, data=form | {"body": too_long})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert f"the limit is {BODY_MAX:,}" in page and f"{too_long}</textarea>" in page
    assert logged_in.post(url, data=form | {"body": "y" * BODY_MAX}).status_code == 302
    [dee] = stored_comments(app, id=queue["dee"])
    assert dee.body == "y" * BODY_MAX


def test_moderation_posts_need_the_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        author = Author(username="alice", display_name="Alice")
        author.set_password(PASSWORD)
        db.session.add_all(
            [author, Post(title="Talk", slug="talk", status=PUBLISHED, published_at=utcnow())]
        )
        db.session.commit()
        post_id = db.session.scalar(db.select(Post.id))
    held = add_comment(app, post_id, "Ada", "Held.", status=PENDING)
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    for url in (
        f"/editor/comments/{held}/approve",
        f"/editor/comments/{held}/spam",
        f"/editor/comments/{held}/delete",
        "/editor/comments/bulk",
    ):
        assert client.post(url, data={"ids": [held], "action": "approve"}).status_code == 400, url
    assert status_of(app, held) == PENDING
    queue = client.get("/editor/comments").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', queue).group(1)
    client.post(f"/editor/comments/{held}/approve", data={"csrf_token": token})
    assert status_of(app, held) == APPROVED
    with app.app_context():
        db.engine.dispose()


def test_anonymous_visitors_cannot_moderate(app, client, queue):
    for url in ("/editor/comments", f"/editor/comments/{queue['ada']}/edit"):
        assert client.get(url).headers["Location"].startswith("/login")
    response = client.post(f"/editor/comments/{queue['ada']}/approve")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert status_of(app, queue["ada"]) == PENDING


def test_comment_settings_are_saved_from_the_settings_page(app, logged_in):
    page = logged_in.get("/editor/settings").get_data(as_text=True)
    for name in (
        "comments_open",
        "close_comments_after_days",
        "closed_notice",
        "require_email",
        "moderate_first_comment",
        "max_links",
        "blocked_words",
        "blocked_emails",
        "blocked_ips",
    ):
        assert f'name="{name}"' in page, name
    response = logged_in.post(
        "/editor/settings",
        data={
            "title": "Causerie",
            "language": "en",
            "timezone": "UTC",
            "posts_per_page": "10",
            "comments_open": "y",
            "close_comments_after_days": "90",
            "closed_notice": "  Comments are closed, but write to me.  ",
            "require_email": "y",
            "max_links": "1",
            "blocked_words": "casino\nviagra",
            "blocked_emails": "@junk.example",
            "blocked_ips": "203.0.113.0/24",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(SiteSettings, 1)
        assert settings.comments_open and settings.require_email
        assert not settings.moderate_first_comment  # unticked
        assert settings.close_comments_after_days == 90 and settings.max_links == 1
        assert settings.closed_notice == "Comments are closed, but write to me."
        assert settings.blocked_words == "casino\nviagra"


def test_comment_settings_are_validated(app, logged_in):
    response = logged_in.post(
        "/editor/settings",
        data={
            "title": "Causerie",
            "language": "en",
            "timezone": "UTC",
            "posts_per_page": "10",
            "close_comments_after_days": "-1",
            "max_links": "lots",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="close_comments_after_days-error"' in page and 'id="max_links-error"' in page
    set_site(app)  # unchanged
    with app.app_context():
        assert db.session.get(SiteSettings, 1).max_links == 2


# --- What moderation renders again ----------------------------------------------------------------


def stored_html(app, comment_id: int) -> str:
    return stored_comments(app, id=comment_id)[0].body_html


def mark_stored_html(app, *comment_ids: int) -> None:
    """Stamp comments' stored HTML (their render key unchanged): a stamp still there afterwards
    shows the comment was not rendered again."""
    with app.app_context():
        db.session.execute(
            update(Comment).where(Comment.id.in_(comment_ids)).values(body_html="<p>stamp</p>")
        )
        db.session.commit()


def test_moderation_renders_again_only_the_comments_whose_mention_changes(
    app, logged_in, make_post
):
    post_id = make_post("Talk")
    ada = add_comment(app, post_id, "Ada", "Hello.")
    marc = add_comment(app, post_id, "Marc", "Held.", status=PENDING)
    to_ada = add_comment(app, post_id, "Bob", "@Ada right.")
    to_marc = add_comment(app, post_id, "Cy", "@Marc yes.")
    plain = add_comment(app, post_id, "Dee", "Nothing to name.")
    assert f'href="/comments/{ada}">@Ada</a>' in stored_html(app, to_ada)
    mark_stored_html(app, to_ada, to_marc, plain)

    logged_in.post(f"/editor/comments/{marc}/approve")
    assert f'href="/comments/{marc}">@Marc</a>' in stored_html(app, to_marc)
    assert stored_html(app, to_ada) == stored_html(app, plain) == "<p>stamp</p>"

    mark_stored_html(app, to_marc)
    logged_in.post(f"/editor/comments/{marc}/spam")
    assert stored_html(app, to_marc) == "<p>@Marc yes.</p>"
    assert stored_html(app, to_ada) == "<p>stamp</p>"

    mark_stored_html(app, to_marc)
    response = logged_in.post(
        f"/editor/comments/{ada}/edit",
        data={"name": "Ann", "email": "", "website": "", "body": "Hello."},
    )
    assert response.status_code == 302
    assert stored_html(app, to_ada) == "<p>@Ada right.</p>"  # "@Ada" names nobody now
    assert stored_html(app, to_marc) == stored_html(app, plain) == "<p>stamp</p>"

    logged_in.post(f"/editor/comments/{marc}/approve")
    mark_stored_html(app, to_ada)
    logged_in.post(f"/editor/comments/{marc}/delete", data={"confirmed": "1"})
    assert status_of(app, marc) is None
    assert stored_html(app, to_marc) == "<p>@Marc yes.</p>"
    assert stored_html(app, to_ada) == stored_html(app, plain) == "<p>stamp</p>"


def test_an_edit_may_give_a_comment_the_words_of_another(app, logged_in, make_post):
    """Each comment sent with a form is unique by its words on the post (two copies of one form
    cannot both land); a correction by the author is no longer the form as sent."""
    post_id = make_post("Talk")
    add_comment(app, post_id, "Ada", "Same words.", form_key="a" * 64)
    bob = add_comment(app, post_id, "Bob", "Other words.", form_key="b" * 64)
    response = logged_in.post(
        f"/editor/comments/{bob}/edit",
        data={"name": "Bob", "email": "", "website": "", "body": "Same words."},
    )
    assert response.status_code == 302
    assert [c.body for c in stored_comments(app)] == ["Same words.", "Same words."]


def outdated_ids(app) -> list[int]:
    return [c.id for c in stored_comments(app) if c.body_html == "<p>outdated</p>"]


def make_comments_outdated(app) -> None:
    """As after a language change or a new renderer: every comment's HTML is from another key."""
    with app.app_context():
        db.session.execute(update(Comment).values(body_html="<p>outdated</p>", render_key="0:en"))
        db.session.commit()


def test_stale_comments_are_rendered_again_a_batch_per_request(app, client, make_post):
    app.config["COMMENTS_PER_PAGE"] = 50
    post_id = make_post("Busy")
    ids = [add_comment(app, post_id, f"Reader {n}", f"Remark {n}.") for n in range(45)]
    make_comments_outdated(app)
    seen = []
    for left in (25, 5, 0):
        response = client.get("/posts/busy/")
        assert response.status_code == 200
        assert outdated_ids(app) == ids[len(ids) - left :]
        seen.append("ETag" in response.headers)
    # Pages still showing outdated comments are not kept by the page cache; the last one is.
    assert seen == [False, False, True]
    assert "<p>outdated</p>" not in client.get("/posts/busy/").get_data(as_text=True)


def test_the_queue_renders_stale_comments_a_batch_per_request(app, logged_in, make_post):
    post_id = make_post("Busy")
    for n in range(30):
        add_comment(app, post_id, f"Reader {n}", f"Pending {n}.", status=PENDING)
    make_comments_outdated(app)
    logged_in.get("/editor/comments")
    assert len(outdated_ids(app)) == 10
    logged_in.get("/editor/comments")
    assert outdated_ids(app) == []
