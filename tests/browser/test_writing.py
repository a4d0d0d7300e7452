"""The author writes a post in the browser and a visitor reads it."""

from playwright.sync_api import expect

from cms.extensions import db
from cms.models import Author
from tests.conftest import PASSWORD


def create_author(app) -> None:
    with app.app_context():
        author = Author(username="alice", display_name="Alice Martin")
        author.set_password(PASSWORD)
        db.session.add(author)
        db.session.commit()


def test_author_writes_and_visitor_reads(live_app, page, browser, live_server):
    create_author(live_app)
    page.goto("/editor/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Write a new post").click()
    page.get_by_label("Title").fill("From the browser")
    page.get_by_label("Text (Markdown)").fill("## A section\n\nWritten in *Chromium*.")
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Post published.")).to_be_visible()
    # The message stands clear of the desk's navigation below it, not under it.
    message = page.locator(".flash").bounding_box()
    navigation = page.locator(".editor-nav").bounding_box()
    assert navigation["y"] >= message["y"] + message["height"] + 8

    visitor = browser.new_context(base_url=live_server).new_page()
    visitor.goto("/")
    visitor.get_by_role("link", name="From the browser", exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("From the browser")
    assert visitor.locator(".post-body em").inner_text() == "Chromium"
    visitor.context.close()
