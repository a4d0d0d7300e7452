"""A visitor reads a post, comments through the form, replies with the Reply link, in Chromium."""

import re
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cms.clock import utcnow
from cms.extensions import db
from cms.kernel import database
from cms.models import PUBLISHED, Post
from cms.posts import render
from tests.browser.test_editor import create_author, log_in
from tests.support.comments import add_comment, set_site, stored_comments

# A post long enough that its comment form is far below the top of the page.
LONG_BODY = "\n\n".join(
    f"Paragraph {n}. Reading slowly is a *pleasure*: one page, then the next, then a pause."
    for n in range(1, 60)
)


def publish_post(app, body: str = "Reading slowly is a *pleasure*.") -> int:
    with app.app_context():
        post = Post(
            title="Slow reading",
            slug="slow-reading",
            status=PUBLISHED,
            body=body,
            published_at=utcnow() - timedelta(hours=1),
        )
        render(post, "en")
        db.session.add(post)
        db.session.commit()
        return post.id


def is_error(message) -> bool:
    """A console error, but not Chromium's note that a page came with the 429 or 503 a test
    asked for."""
    busy = re.match(r"Failed to load resource: .* status of (429|503) ", message.text)
    return message.type == "error" and not busy


@pytest.fixture
def visitor(browser, live_server):
    """Opens a browser page for a visitor (scripts on or off, a screen width); fails the test on
    any JavaScript error."""
    contexts = []
    errors: list[str] = []

    def open_(*, javascript: bool = True, width: int = 375, height: int = 740):
        context = browser.new_context(
            base_url=live_server,
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if is_error(m) else None)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors in the browser: {errors}"


def send(page, status: int) -> None:
    """Click "Post comment" and wait for the answer, which has this status."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Post comment").click()
    assert answer.value.status == status
    page.wait_for_load_state()


def assert_lands_on_the_summary(page) -> None:
    """The answer opens at the form's error summary, which has the focus, on screen below the
    form's heading, with room before the first field."""
    summary = page.locator("#comment-errors")
    expect(summary).to_be_focused()
    assert page.evaluate("scrollY") > 1500
    box = summary.bounding_box()
    heading = page.locator("#comment-form h3").bounding_box()
    assert 0 <= heading["y"] < box["y"] < page.viewport_size["height"] / 2
    label = page.locator("label[for=comment-name]").bounding_box()
    assert label["y"] - (box["y"] + box["height"]) >= 16


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


# --- A refused comment, in sight -----------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["scripts", "no-scripts"])
def test_a_refused_comment_lands_on_its_summary_with_the_focus(live_app, visitor, javascript):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    publish_post(live_app, LONG_BODY)
    page = visitor(javascript=javascript)
    page.goto("/posts/slow-reading/")
    page.get_by_label("E-mail", exact=True).fill("not an address")
    page.get_by_label("Comment", exact=True).fill("Words I do not want to lose.")
    send(page, 200)

    assert page.url.endswith("/posts/slow-reading/comments#comment-errors")
    assert_lands_on_the_summary(page)
    summary = page.locator("#comment-errors")
    expect(summary.get_by_role("link")).to_have_text(
        ["Please enter your name.", "This does not look like an e-mail address (name@example.com)."]
    )
    expect(page.get_by_label("Comment", exact=True)).to_have_value("Words I do not want to lose.")
    summary.get_by_role("link", name="Please enter your name.").click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()


def test_too_many_comments_keeps_the_text_says_why_and_lands_on_the_form(live_app, visitor):
    live_app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=1)
    publish_post(live_app, LONG_BODY)
    page = visitor()
    page.goto("/posts/slow-reading/")
    page.get_by_label("Name", exact=True).fill("Ada")
    page.get_by_label("Comment", exact=True).fill("A first remark.")
    send(page, 302)
    page.get_by_label("Comment", exact=True).fill("A second remark, too soon.")
    send(page, 429)

    assert_lands_on_the_summary(page)
    expect(page.locator("#comment-errors")).to_contain_text("Please wait a minute")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("A second remark, too soon.")


def test_a_site_that_cannot_store_keeps_the_text_and_lands_on_the_form(
    live_app, visitor, monkeypatch
):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    publish_post(live_app, LONG_BODY)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    with live_app.app_context():
        db.engine.dispose()  # new connections wait 300 ms for the lock, not 10 s
        path = db.engine.url.database
    page = visitor()
    page.goto("/posts/slow-reading/")
    page.get_by_label("Name", exact=True).fill("Grace")
    page.get_by_label("Comment", exact=True).fill("Words I took time to write.")
    # Another writer (an import, a restore) holds the write lock past the wait.
    with closing(sqlite3.connect(path, isolation_level=None)) as other_writer:
        other_writer.execute("BEGIN IMMEDIATE")
        send(page, 503)
        other_writer.execute("ROLLBACK")

    assert_lands_on_the_summary(page)
    expect(page.locator("#comment-errors")).to_contain_text("could not be saved")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("Words I took time to write.")


def test_reloading_a_refused_comment_shows_it_again_and_never_too_many(live_app, visitor):
    live_app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_RATE_LIMIT=2)
    publish_post(live_app)
    page = visitor()
    page.goto("/posts/slow-reading/")
    page.get_by_label("Comment", exact=True).fill("No name yet.")
    send(page, 200)
    for _ in range(3):
        # Chromium sends the form again without asking, as a person clicking "Continue" would.
        assert page.reload().status == 200
        expect(page.locator("#comment-errors")).to_be_focused()
        expect(page.locator("#comment-errors")).to_contain_text("Please enter your name.")
        expect(page.get_by_label("Comment", exact=True)).to_have_value("No name yet.")
    page.get_by_label("Name", exact=True).fill("Ada")
    send(page, 302)
    expect(page.get_by_text("Your comment is awaiting moderation.")).to_be_visible()
    assert [c.body for c in stored_comments(live_app)] == ["No name yet."]


# --- Long comments -------------------------------------------------------------------------------


def test_a_long_comment_is_counted_never_cut_and_refused_whole(live_app, visitor):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    publish_post(live_app)
    page = visitor(width=1280)
    page.goto("/posts/slow-reading/")
    page.get_by_label("Name", exact=True).fill("Ada")
    body = page.get_by_label("Comment", exact=True)
    counter = page.locator("#comment-body-count")
    announced = page.locator("#comment-body-count-status")
    expect(counter).to_have_text("Characters left: 5,000")
    assert announced.get_attribute("aria-live") == "polite"
    assert "comment-body-count" in body.get_attribute("aria-describedby").split()

    body.focus()
    page.keyboard.insert_text("Slow. " * 100)  # pasted
    expect(counter).to_have_text("Characters left: 4,401")
    page.wait_for_timeout(1500)
    expect(announced).to_have_text("")  # far from the limit, nothing is announced
    page.keyboard.insert_text("Slow. " * 706)
    expect(counter).to_have_text("Characters left: 165")
    expect(announced).to_have_text("Characters left: 165")  # near it, once typing pauses
    page.keyboard.insert_text("Slow. " * 40)
    page.keyboard.type("Past the limit, not cut.")  # typed past it: nothing stops the keys
    text = "Slow. " * 846 + "Past the limit, not cut."
    assert len(text) == 5100
    expect(body).to_have_value(text)
    expect(counter).to_have_text("Characters over the limit: 100")
    expect(counter).to_have_class(re.compile(r"\berror\b"))
    expect(announced).to_have_text("Characters over the limit: 100")

    send(page, 200)
    expect(page.locator("#comment-errors")).to_be_focused()
    expect(page.locator("#comment-errors")).to_contain_text(
        "Your comment is 5,100 characters long; the limit is 5,000."
    )
    expect(body).to_have_value(text)
    expect(counter).to_have_text("Characters over the limit: 100")
    assert stored_comments(live_app) == []


# --- The visitor's own comment awaiting moderation -----------------------------------------------


def test_a_pending_comment_is_counted_and_its_text_clears_its_bar_on_a_phone(live_app, visitor):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    publish_post(live_app)
    page = visitor(width=375)
    page.goto("/posts/slow-reading/")
    expect(page.locator("#comments-title")).to_have_text("No comments yet")
    page.get_by_label("Name", exact=True).fill("Ada")
    page.get_by_label("Comment", exact=True).fill("A remark the author will read first.")
    send(page, 302)

    expect(page.locator("#comments-title")).to_have_text("1 comment (awaiting moderation)")
    pending = page.locator(".comment-pending")
    gaps = pending.evaluate(
        """(li) => { const bar = li.getBoundingClientRect().left
                       + parseFloat(getComputedStyle(li).borderLeftWidth);
                     return [...li.children].map(child => child.getBoundingClientRect().left - bar); }"""
    )
    assert len(gaps) == 3 and min(gaps) >= 12  # status, name and date, text
    assert page.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0


# --- Replying to a comment -----------------------------------------------------------------------


def two_comments(app) -> tuple[int, int]:
    post_id = publish_post(app)
    now = utcnow()
    ada = add_comment(app, post_id, "Ada", "First.", created_at=now - timedelta(minutes=9))
    bertrand = add_comment(
        app, post_id, "Bertrand", "Second.", created_at=now - timedelta(minutes=5)
    )
    return ada, bertrand


def test_the_reply_link_says_whom_it_answers_and_the_reply_can_be_cancelled(live_app, visitor):
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    set_site(live_app, moderate_first_comment=False)
    ada, bertrand = two_comments(live_app)
    page = visitor()
    page.goto("/posts/slow-reading/")
    context = page.locator("#comment-reply-context")
    body = page.get_by_label("Comment", exact=True)
    parent = page.locator("input[name=parent_id]")
    expect(context).to_be_hidden()

    page.set_viewport_size({"width": 375, "height": 560})
    page.locator(f"#comment-{bertrand}").get_by_role("link", name="Reply").click()
    expect(context).to_be_visible()
    expect(context).to_contain_text("Replying to #2, Bertrand")
    expect(context).to_be_in_viewport()  # whom it answers is in sight, not scrolled above
    expect(body).to_be_in_viewport()
    expect(parent).to_have_value(str(bertrand))
    expect(body).to_have_value("@Bertrand ")
    # Another Reply link: the box follows it.
    page.locator(f"#comment-{ada}").get_by_role("link", name="Reply").click()
    expect(context).to_contain_text("Replying to #1, Ada")
    expect(body).to_have_value("@Ada ")
    body.press("End")
    body.type("a thought for everyone.")

    context.get_by_role("link", name="Cancel the reply").click()
    expect(context).to_be_hidden()
    expect(parent).to_have_value("")
    expect(body).to_have_value("a thought for everyone.")
    expect(body).to_be_focused()
    assert page.url.endswith("/posts/slow-reading/")
    page.get_by_label("Name", exact=True).fill("Chloé")
    send(page, 302)
    assert stored_comments(live_app)[-1].parent_id is None

    # The box the server shows (?replyto=) is cancelled the same way.
    page.goto(f"/posts/slow-reading/?replyto={bertrand}#comment-form")
    expect(context).to_contain_text("Replying to #2, Bertrand")
    context.get_by_role("link", name="Cancel the reply").click()
    expect(context).to_be_hidden()
    expect(parent).to_have_value("")
    expect(body).to_have_value("")


def test_without_scripts_the_reply_page_says_whom_it_answers_and_cancel_goes_back(
    live_app, visitor
):
    _ada, bertrand = two_comments(live_app)
    page = visitor(javascript=False)
    page.goto("/posts/slow-reading/")
    context = page.locator("#comment-reply-context")
    expect(context).to_be_hidden()
    page.locator(f"#comment-{bertrand}").get_by_role("link", name="Reply").click()
    page.wait_for_url(f"**/posts/slow-reading/?replyto={bertrand}#comment-form")
    expect(context).to_be_visible()
    expect(context).to_contain_text("Replying to #2, Bertrand")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("@Bertrand ")

    context.get_by_role("link", name="Cancel the reply").click()
    page.wait_for_url("**/posts/slow-reading/#comment-form")
    expect(context).to_be_hidden()
    expect(page.locator("input[name=parent_id]")).to_have_value("")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("")
