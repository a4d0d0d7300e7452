"""The writing desk in real Chromium: live preview, autosave and restore, session expiry,
images (where they go, their description, drag and drop, without the script), Ctrl+S."""

from __future__ import annotations

import base64
import re
import time
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cms.extensions import db
from cms.models import DRAFT, Author, Autosave, Post, Upload
from cms.posts import render
from tests.conftest import PASSWORD
from tests.support.comments import set_site


def create_author(app) -> None:
    with app.app_context():
        author = Author(username="alice", display_name="Alice Martin")
        author.set_password(PASSWORD)
        db.session.add(author)
        db.session.commit()


def create_post(app, title: str, body: str) -> int:
    with app.app_context():
        post = Post(
            title=title, slug=title.lower().replace(" ", "-"), body=body, status=DRAFT, author_id=1
        )
        render(post, "en")
        db.session.add(post)
        db.session.commit()
        return post.id


def log_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # "Welcome" the first time, "Welcome back" after.
    expect(page.get_by_text(re.compile(r"^Welcome( back)?, Alice Martin\.$"))).to_be_visible()


def wait_for(check, timeout: float = 10.0):
    """Poll the database (written by the live server's thread) until check() gives a value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the server never stored what the browser sent")


def test_typing_updates_the_live_preview(live_app, page):
    create_author(live_app)
    log_in(page)
    page.goto("/editor/posts/new")
    body = page.get_by_label("Text (Markdown)")
    box = body.bounding_box()
    body.press_sequentially("## Live heading\n\nSome *emphasis* here", delay=5)
    preview = page.locator("#preview-body")
    expect(preview.locator("h2")).to_have_text("Live heading")
    expect(preview.locator("em")).to_have_text("emphasis")
    expect(page.locator("#word-count")).to_have_text("5 words")
    expect(page.locator("#reading-time")).to_have_text("1 minute read")
    page.get_by_label("Title").fill("A title")
    expect(page.locator("#preview-heading")).to_have_text("A title")
    # The textarea kept its place and size while the preview changed beside it.
    assert body.bounding_box() == box
    # What the script shows is the server's sanitized rendering.
    body.fill(
        '<b onclick="alert(1)">b</b> <a href="javascript:alert(2)">a</a><script>alert(3)</script>'
        "**safe**"
    )
    expect(preview.locator("strong")).to_have_text("safe")
    html = preview.inner_html()
    assert "onclick" not in html and "javascript:" not in html and "<script" not in html


def test_the_live_preview_heading_shows_the_title_in_french_typography(live_app, page):
    create_author(live_app)
    log_in(page)
    set_site(live_app, language="fr")
    page.goto("/editor/posts/new")
    page.locator("#title").fill("L'été: quoi?")
    expect(page.locator("#preview-heading")).to_have_text("L’été\u00a0: quoi\u202f?")
    page.locator("#title").fill("")
    expect(page.locator("#preview-heading")).to_have_text("Sans titre")


@pytest.mark.parametrize("form", ["new", "edit"])
def test_back_to_the_form_shows_the_count_and_preview_of_its_fields(live_app, page, form):
    """Back to the form, Chromium puts the typed text back after the page has loaded: the
    count and the preview follow it, not the empty form the server sent."""
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Saved text.")
    log_in(page)
    page.goto("/editor/posts/new" if form == "new" else f"/editor/posts/{post_id}/edit")
    page.get_by_label("Title").fill("Typed title")
    page.get_by_label("Text (Markdown)").fill("One *two* three four five.")
    expect(page.locator("#word-count")).to_have_text("5 words")
    page.get_by_role("link", name="Images").click()
    page.go_back()
    expect(page.get_by_label("Text (Markdown)")).to_have_value("One *two* three four five.")
    expect(page.locator("#word-count")).to_have_text("5 words")
    expect(page.locator("#preview-heading")).to_have_text("Typed title")
    expect(page.locator("#preview-body em")).to_have_text("two")

    # Shown again from the back-forward cache, the form may hold other values than when left.
    page.evaluate(
        """() => {
            document.getElementById("title").value = "From the cache";
            document.getElementById("body").value = "Six words in the cached form.";
            window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
        }"""
    )
    expect(page.locator("#word-count")).to_have_text("6 words")
    expect(page.locator("#preview-heading")).to_have_text("From the cache")
    expect(page.locator("#preview-body")).to_contain_text("Six words in the cached form.")


def test_closing_without_saving_then_reopening_offers_the_autosave(live_app, page):
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Saved text.")
    log_in(page)
    page.goto(f"/editor/posts/{post_id}/edit")
    body = page.get_by_label("Text (Markdown)")
    body.fill("Saved text.\n\nWritten later, never saved.")
    context = page.context
    # Leaving at once: only the request sent as the page goes away can save it. (Navigating
    # away rather than page.close(), which can wait forever on a keepalive request.)
    page.goto("about:blank")

    def autosaved():
        with live_app.app_context():
            return db.session.scalar(select(Autosave.body).where(Autosave.post_id == post_id))

    assert wait_for(autosaved) == "Saved text.\n\nWritten later, never saved."
    with live_app.app_context():
        assert db.session.get(Post, post_id).body == "Saved text."

    again = context.new_page()
    errors: list[str] = []
    again.on("pageerror", lambda error: errors.append(str(error)))
    again.goto(f"/editor/posts/{post_id}/edit")
    expect(again.get_by_role("heading", name="Unsaved text was kept")).to_be_visible()
    again.get_by_role("link", name="Restore").click()
    expect(again.get_by_label("Text (Markdown)")).to_have_value(
        "Saved text.\n\nWritten later, never saved."
    )
    expect(again.get_by_text("It is saved only when you save.")).to_be_visible()
    again.get_by_role("button", name="Save", exact=True).click()
    expect(again.get_by_text("Draft saved.")).to_be_visible()
    with live_app.app_context():
        assert db.session.get(Post, post_id).body == "Saved text.\n\nWritten later, never saved."
        assert db.session.scalar(select(Autosave.id)) is None
    assert errors == []


def test_an_expired_session_keeps_the_text_in_the_browser(live_app, browser, live_server):
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Saved text.")
    # Not the `page` fixture: Chromium logs the expected 401 answers as console errors.
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page)
    page.goto(f"/editor/posts/{post_id}/edit")
    # The session ends elsewhere (another tab logs out).
    other = page.context.new_page()
    other.goto("/")
    with other.expect_navigation():
        other.get_by_role("button", name="Log out").click()
    # Left open: closing a page right after a navigation can hang Chromium; context.close() ends it.
    page.bring_to_front()

    page.get_by_label("Tags").fill("kept, too")
    page.get_by_label("Text (Markdown)").fill("Typed after the session ended.")
    notice = page.locator("#session-notice")
    expect(notice).to_contain_text("Your session has expired")
    stored = page.evaluate(f"localStorage.getItem('causerie:draft:1:{post_id}')")
    assert "Typed after the session ended." in stored

    notice.get_by_role("link", name="Log in again").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Back in the editor: the server has only the saved text; the browser offers its copy.
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Saved text.")
    offer = page.locator(".local-offer")
    expect(offer).to_contain_text("This browser kept text you typed on")
    offer.get_by_role("button", name="Restore").click()
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Typed after the session ended.")
    # The other fields typed with it come back too, and the page says so.
    expect(page.get_by_label("Tags")).to_have_value("kept, too")
    expect(offer).to_contain_text("with the other fields as you had filled them in")

    def autosaved():
        with live_app.app_context():
            return db.session.scalar(select(Autosave.body).where(Autosave.post_id == post_id))

    assert wait_for(autosaved) == "Typed after the session ended."
    page.wait_for_function(f"localStorage.getItem('causerie:draft:1:{post_id}') === null")
    context.close()
    assert errors == []


def red_square() -> bytes:
    png = BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(png, "PNG")
    return png.getvalue()


def choose_image(page: Page, data: bytes, name: str = "square.png") -> None:
    page.set_input_files("#image", files=[{"name": name, "mimeType": "image/png", "buffer": data}])


def record_dialogs(page: Page) -> list[str]:
    """The messages of every dialog the page opens (each dismissed at once)."""
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


IMAGE_MARKDOWN = r"!\[A red square\]\(/media/[\w-]{16}\.png\)"


def test_an_image_goes_at_the_end_on_a_line_of_its_own_when_the_cursor_was_never_placed(
    live_app, page
):
    """The author never clicked in the text: the image went before its first character, glued
    to it ("![…](…)First paragraph."), at the top of the post."""
    create_author(live_app)
    post_id = create_post(live_app, "Trip", "First paragraph.\n\nLast words.")
    log_in(page)
    dialogs = record_dialogs(page)
    page.goto(f"/editor/posts/{post_id}/edit")
    choose_image(page, red_square())
    page.get_by_label("Description (alt text)").fill("A red square")
    page.get_by_role("button", name="Upload the image").click()
    body = page.get_by_label("Text (Markdown)")
    expect(body).to_have_value(
        re.compile(rf"^First paragraph\.\n\nLast words\.\n\n{IMAGE_MARKDOWN}\n\n$")
    )
    expect(page.get_by_text("Image uploaded and inserted.")).to_be_visible()
    assert dialogs == []
    # Ready for the next one: the file and its description are cleared.
    expect(page.get_by_label("Description (alt text)")).to_have_value("")
    name = re.search(r"/media/([\w-]+\.png)", body.input_value()).group(1)
    expect(page.locator("#preview-body img")).to_have_attribute("alt", "A red square")
    with live_app.app_context():
        assert db.session.execute(select(Upload.name, Upload.alt)).one() == (name, "A red square")


def test_an_image_goes_where_the_author_left_the_cursor_as_a_paragraph_of_its_own(live_app, page):
    create_author(live_app)
    log_in(page)
    page.goto("/editor/posts/new")
    body = page.get_by_label("Text (Markdown)")
    body.fill("One.\nTwo.")
    body.evaluate("(body) => body.setSelectionRange(4, 4)")  # after "One."
    choose_image(page, red_square())
    alt = page.get_by_label("Description (alt text)")
    alt.fill("A red square")
    alt.press("Enter")  # the field's form button: the upload, not the whole form
    expect(body).to_have_value(re.compile(rf"^One\.\n\n{IMAGE_MARKDOWN}\n\nTwo\.$"))
    assert urlsplit(page.url).path == "/editor/posts/new"  # the form stayed as typed, unsent


def test_a_dropped_image_is_described_beside_the_text_and_no_dialog_opens(live_app, page):
    """The description was asked in a window.prompt(): a dialog that blocks the page, which a
    tired author dismisses, and the image went out with no alt text."""
    create_author(live_app)
    log_in(page)
    dialogs = record_dialogs(page)
    page.goto("/editor/posts/new")
    body = page.get_by_label("Text (Markdown)")
    body.fill("Before\n\nafter")
    png = red_square()
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "square.png", { type: "image/png" }));
            const body = document.getElementById("body");
            body.focus();
            body.setSelectionRange(6, 6);
            for (const type of ["dragenter", "dragover", "drop"]) {
                body.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
        }""",
        base64.b64encode(png).decode(),
    )
    expect(
        page.get_by_text("square.png is ready: describe it, then press “Upload the image”.")
    ).to_be_visible()
    alt = page.get_by_label("Description (alt text)")
    expect(alt).to_be_focused()
    alt.fill("A red square")
    page.get_by_role("button", name="Upload the image").click()
    expect(body).to_have_value(re.compile(rf"^Before\n\n{IMAGE_MARKDOWN}\n\nafter$"))
    assert dialogs == []
    name = re.search(r"/media/([\w-]+\.png)", body.input_value()).group(1)
    with live_app.app_context():
        assert db.session.execute(select(Upload.name, Upload.alt)).one() == (name, "A red square")
    expect(page.locator("#preview-body img")).to_have_attribute("src", f"/media/{name}")
    assert page.request.get(f"/media/{name}").headers["content-type"] == "image/png"
    # Upload with no file chosen: said beside the button, nothing sent.
    page.get_by_role("button", name="Upload the image").click()
    expect(page.get_by_text("Choose an image file to upload.")).to_be_visible()


def test_without_javascript_the_upload_takes_the_description_and_shows_the_markdown(
    live_app, browser, live_server
):
    create_author(live_app)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Unsaved")
    page.get_by_label("Text (Markdown)").fill("Words kept.")
    choose_image(page, red_square())
    page.get_by_label("Description (alt text)").fill("A red square")
    page.get_by_role("button", name="Upload the image").click()
    expect(
        page.get_by_text("Image uploaded. Paste this Markdown where it should appear:")
    ).to_be_visible()
    expect(page.get_by_label("Markdown for the image")).to_have_value(
        re.compile(rf"^{IMAGE_MARKDOWN}$")
    )
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Words kept.")
    context.close()


def test_without_javascript_enter_in_the_description_uploads_the_image_and_saves_nothing(
    live_app, browser, live_server
):
    """Enter in the description pressed the form's first button, Save: the post was saved
    (published, if it was) and the chosen image and its description were lost."""
    create_author(live_app)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Unsaved")
    page.get_by_label("Text (Markdown)").fill("Words kept.")
    choose_image(page, red_square())
    alt = page.get_by_label("Description (alt text)")
    alt.fill("A red square")
    alt.press("Enter")
    expect(
        page.get_by_text("Image uploaded. Paste this Markdown where it should appear:")
    ).to_be_visible()
    expect(page.get_by_label("Markdown for the image")).to_have_value(
        re.compile(rf"^{IMAGE_MARKDOWN}$")
    )
    expect(page.get_by_label("Title")).to_have_value("Unsaved")
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Words kept.")
    with live_app.app_context():
        assert db.session.scalar(select(Upload.alt)) == "A red square"
        assert db.session.scalars(select(Post)).all() == []

    # No file chosen: Enter in the description says so, and keeps every word.
    alt.fill("A blue square")
    alt.press("Enter")
    expect(page.get_by_text("Choose an image file to upload.")).to_be_visible()
    expect(alt).to_have_value("A blue square")
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Words kept.")
    with live_app.app_context():
        assert db.session.scalars(select(Post)).all() == []
    context.close()


def test_ctrl_s_saves(live_app, page):
    create_author(live_app)
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Saved by keyboard")
    page.get_by_label("Text (Markdown)").fill("Quick.")
    page.keyboard.press("Control+s")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    with live_app.app_context():
        assert (
            db.session.scalar(select(Post.body).where(Post.title == "Saved by keyboard"))
            == "Quick."
        )
