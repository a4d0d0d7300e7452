"""A visitor reads a post, comments through the form, replies with the Reply link, in Chromium."""

from datetime import timedelta

from playwright.sync_api import expect

from cms.clock import utcnow
from cms.extensions import db
from cms.models import PUBLISHED, Post
from cms.posts import render
from tests.browser.test_editor import create_author, log_in
from tests.support.comments import set_site, stored_comments


def publish_post(app) -> None:
    with app.app_context():
        post = Post(
            title="Slow reading",
            slug="slow-reading",
            status=PUBLISHED,
            body="Reading slowly is a *pleasure*.",
            published_at=utcnow() - timedelta(hours=1),
        )
        render(post, "en")
        db.session.add(post)
        db.session.commit()


def test_visitor_reads_a_post_comments_and_replies(live_app, page):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    set_site(live_app, moderate_first_comment=False)
    publish_post(live_app)

    page.goto("/posts/slow-reading/")
    assert page.locator(".post-body em").inner_text() == "pleasure"
    assert page.locator("#comments-title").inner_text() == "No comments yet"
    page.get_by_label("Name", exact=True).fill("Ada")
    page.get_by_label("Comment", exact=True).fill("So true. I read *one page* a day.")
    page.get_by_role("button", name="Post comment").click()

    expect(page.get_by_text("Your comment is published.")).to_be_visible()
    [first] = stored_comments(live_app)
    comment = page.locator(f"#comment-{first.id}")
    assert comment.locator(".comment-number").inner_text() == "1"
    assert comment.locator(".comment-body em").inner_text() == "one page"
    assert page.locator("#comments-title").inner_text() == "1 comment"
    assert page.url.endswith(f"/posts/slow-reading/#comment-{first.id}")

    # The Reply link fills the form in place (static/js/comments.js).
    comment.get_by_role("link", name="Reply").click()
    body = page.get_by_label("Comment", exact=True)
    expect(body).to_have_value("@Ada ")
    expect(page.locator("input[name=parent_id]")).to_have_value(str(first.id))
    page.get_by_label("Name", exact=True).fill("Bob")
    body.press("End")
    body.type("me too.")
    page.get_by_role("button", name="Post comment").click()

    reply = page.locator(".comment").nth(1)
    expect(reply.locator(".comment-number")).to_have_text("2")
    assert reply.locator(".comment-parent").inner_text() == "in reply to #1"
    assert reply.locator("a.mention").inner_text() == "@Ada"
    assert page.locator("#comments-title").inner_text() == "2 comments"
    assert stored_comments(live_app)[1].parent_id == first.id
    # The honeypot is on the page but out of sight.
    box = page.locator(".hp-field input").bounding_box()
    assert box is None or box["x"] + box["width"] < 0


def test_a_second_click_while_the_comment_is_sent_sends_nothing(live_app, page):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    set_site(live_app, moderate_first_comment=False)
    publish_post(live_app)
    page.goto("/posts/slow-reading/")
    page.get_by_label("Name", exact=True).fill("Ada")
    page.get_by_label("Comment", exact=True).fill("Clicked twice, by habit.")
    # A click, then a second one (or Enter in a field) while the form is on its way: both in
    # one script, since the page cannot be read once its navigation has begun.
    sent = page.evaluate(
        """() => {
            const form = document.getElementById("comment-form");
            const button = form.querySelector("button");
            const refused = [];
            document.addEventListener("submit", (event) => refused.push(event.defaultPrevented));
            button.click();
            const disabled = button.disabled;
            form.requestSubmit();
            return {refused, disabled};
        }"""
    )
    assert sent == {"refused": [False, True], "disabled": True}

    expect(page.get_by_text("Your comment is published.")).to_be_visible()
    assert [c.body for c in stored_comments(live_app)] == ["Clicked twice, by habit."]
    # Back from the published comment, the page's form can be used again.
    page.go_back()
    expect(page.get_by_role("button", name="Post comment")).to_be_enabled()


def test_the_author_comments_as_herself(live_app, page):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    create_author(live_app)
    publish_post(live_app)
    log_in(page)
    page.goto("/posts/slow-reading/")
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_value("Alice Martin")
    page.get_by_label("Comment", exact=True).fill("Thank you all for reading.")
    page.get_by_role("button", name="Post comment").click()

    [mine] = stored_comments(live_app)
    comment = page.locator(f"#comment-{mine.id}")
    expect(comment.locator(".comment-badge")).to_have_text("author")
    assert mine.author_id is not None and mine.status == "approved"
