"""Saving in real Chromium: Enter saves, Back then Save updates the same post, a save after the
session ended comes back with its text, a conflict asks before replacing, the browser's copy is
offered only to its own form, one notice at a time, and the desk on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cms.clock import utcnow
from cms.extensions import db
from cms.models import Autosave, Post
from tests.browser.test_editor import create_author, create_post, log_in, wait_for
from tests.conftest import PASSWORD
from tests.support.sample_site import PASSWORD as SAMPLE_PASSWORD
from tests.support.sample_site import USERNAME, build_sample_site, editor_pages

# Every notice the editor can show above the form about kept text or the session.
NOTICES = "#autosave-offer, .local-offer, #session-notice, .restored-notice, .form-saved-notice"


@pytest.fixture
def open_context(browser, live_server):
    """New browser contexts (options as Playwright takes them); script errors fail the test.
    Console errors are not counted: Chromium logs the 401s of an ended session as such."""
    contexts, errors = [], []

    def open_(**options):
        context = browser.new_context(base_url=live_server, **options)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()
    assert errors == []


def bodies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Post.body).order_by(Post.id)))


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_enter_in_a_field_saves_the_post(live_app, open_context, scripts):
    create_author(live_app)
    page = open_context(java_script_enabled=scripts).new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Saved by Enter")
    page.get_by_label("Text (Markdown)").fill("Typed, then Enter in the title.")
    page.get_by_label("Title").press("Enter")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    assert bodies(live_app) == ["Typed, then Enter in the title."]
    page.get_by_label("Tags").fill("notes")
    page.get_by_label("Tags").press("Enter")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    with live_app.app_context():
        assert [tag.name for tag in db.session.scalar(select(Post)).tags] == ["notes"]
    # The default button is there for Enter only: people and screen readers meet one Save.
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(1)


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_back_then_save_updates_the_post_rather_than_copying_it(live_app, open_context, scripts):
    create_author(live_app)
    page = open_context(java_script_enabled=scripts).new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Once")
    page.get_by_label("Text (Markdown)").fill("First.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.go_back()
    expect(page.get_by_text("This form already saved “Once”")).to_be_visible()
    body = page.get_by_label("Text (Markdown)")
    expect(body).to_have_value("First.")
    body.fill("First, and a second thought.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("it was updated, not saved twice")).to_be_visible()
    assert bodies(live_app) == ["First, and a second thought."]


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_a_save_after_the_session_ended_comes_back_with_its_text(live_app, open_context, scripts):
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Saved text.")
    context = open_context(java_script_enabled=scripts)
    page = context.new_page()
    log_in(page)
    page.goto(f"/editor/posts/{post_id}/edit")
    page.get_by_label("Text (Markdown)").fill("Saved text, then more typed later.")
    context.clear_cookies()  # the session is gone (expired, or ended elsewhere)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(
        page.get_by_role("heading", name="Your session ended: your text is kept")
    ).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/editor/posts/{post_id}/edit"))
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Saved text, then more typed later.")
    assert bodies(live_app) == ["Saved text."]  # in the form; saved when she saves
    expect(page.locator(NOTICES).locator("visible=true")).to_have_count(1)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    assert bodies(live_app) == ["Saved text, then more typed later."]


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_a_save_after_the_session_ended_brings_every_field_back(live_app, open_context, scripts):
    create_author(live_app)
    context = open_context(java_script_enabled=scripts)
    page = context.new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Kept whole")
    page.get_by_label("Text (Markdown)").fill("Every field comes back.")
    page.get_by_label("Address (slug)").fill("kept-whole")
    page.get_by_label("Tags").fill("notes, voyage")
    page.get_by_label("Status").select_option("published")
    page.get_by_label("Publication date").fill("2031-05-04T09:30")
    page.get_by_label("Allow comments").uncheck()
    context.clear_cookies()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("everything you had filled in back in the form")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("everything you had filled in is back in the form")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Kept whole")
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Every field comes back.")
    expect(page.get_by_label("Address (slug)")).to_have_value("kept-whole")
    expect(page.get_by_label("Tags")).to_have_value("notes, voyage")
    expect(page.get_by_label("Status")).to_have_value("published")
    expect(page.get_by_label("Publication date")).to_have_value("2031-05-04T09:30")
    expect(page.get_by_label("Allow comments")).not_to_be_checked()
    expect(page.locator(NOTICES).locator("visible=true")).to_have_count(1)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Post scheduled for")).to_be_visible()
    with live_app.app_context():
        post = db.session.scalar(select(Post))
        assert (post.slug, post.allow_comments) == ("kept-whole", False)
        assert [tag.name for tag in post.tags] == ["notes", "voyage"]


def test_a_conflict_shows_the_changes_and_replaces_only_when_asked(live_app, open_context):
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Line one.\nLine two.")
    context = open_context()
    page = context.new_page()
    log_in(page)
    page.goto(f"/editor/posts/{post_id}/edit")
    other = context.new_page()
    other.goto(f"/editor/posts/{post_id}/edit")
    other.get_by_label("Text (Markdown)").fill("Line one.\nLine two from B.")
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.get_by_text("Draft saved.")).to_be_visible()

    page.bring_to_front()
    page.get_by_label("Text (Markdown)").fill("Line one.\nLine two from A.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="This post was changed elsewhere")).to_be_visible()
    expect(page.locator("table.diff del")).to_have_text(["B"])
    expect(page.locator("table.diff ins")).to_have_text(["A"])
    # Enter (or Ctrl+S) saves as before: it asks again, and replaces nothing.
    page.get_by_label("Title").press("Enter")
    expect(page.get_by_role("heading", name="This post was changed elsewhere")).to_be_visible()
    assert bodies(live_app) == ["Line one.\nLine two from B."]
    page.get_by_role("button", name="Replace the saved version with my text").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    assert bodies(live_app) == ["Line one.\nLine two from A."]


def test_the_browser_offers_its_copy_only_to_the_form_it_came_from(live_app, open_context):
    create_author(live_app)
    page = open_context().new_page()
    log_in(page)
    # A copy kept by an older editor for "the new post", whichever it was.
    page.evaluate(
        """localStorage.setItem('causerie:draft:1:new-post',
           JSON.stringify({title: 'Old', body: 'An unrelated earlier post.', at: Date.now()}))"""
    )
    page.goto("/editor/posts/new")
    page.get_by_label("Title").fill("Trailing space ")  # saved trimmed: not the text sent
    page.get_by_label("Text (Markdown)").fill("Saved at once.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.goto("/editor/posts/new")
    expect(page.get_by_label("Title")).to_have_value("")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".local-offer")).to_have_count(0)

    # The server cannot be reached: the copy kept here comes back on this form when reopened.
    page.route("**/editor/autosave", lambda route: route.abort())
    page.get_by_label("Title").fill("Offline")
    page.get_by_label("Text (Markdown)").fill("Written while the server was away.")
    kept = "Object.values(localStorage).some(v => v.includes('server was away'))"
    wait_for(lambda: page.evaluate(kept))
    page.reload()
    offer = page.locator(".local-offer")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Restore").click()
    expect(page.get_by_label("Text (Markdown)")).to_have_value("Written while the server was away.")


def test_never_more_than_one_notice_at_once(live_app, open_context):
    create_author(live_app)
    post_id = create_post(live_app, "Story", "Saved text.")
    with live_app.app_context():
        later = utcnow() + timedelta(minutes=1)
        db.session.add(
            Autosave(author_id=1, post_id=post_id, title="Story", body="Autosaved.", saved_at=later)
        )
        db.session.commit()
    context = open_context()
    page = context.new_page()
    log_in(page)
    page.evaluate(
        f"""localStorage.setItem('causerie:draft:1:{post_id}',
            JSON.stringify({{title: 'Story', body: 'Kept in this browser.', at: Date.now()}}))"""
    )
    page.goto(f"/editor/posts/{post_id}/edit")
    notices = page.locator(NOTICES).locator("visible=true")
    expect(page.locator(".local-offer")).to_be_visible()
    expect(notices).to_have_count(1)
    # The session ends (another tab logs out): its notice replaces the offer.
    other = context.new_page()
    other.goto("/")
    with other.expect_navigation():
        other.get_by_role("button", name="Log out").click()
    page.bring_to_front()
    page.get_by_label("Text (Markdown)").fill("Typed after the session ended.")
    expect(page.locator("#session-notice")).to_be_visible()
    expect(notices).to_have_count(1)


def test_the_save_shortcut_is_offered_only_where_it_works(live_app, open_context):
    create_author(live_app)
    page = open_context().new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    hint = page.locator("#save-shortcut")
    expect(hint).to_have_text("Ctrl+S saves.")
    mac = open_context()
    mac.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'platform', {get: () => 'MacIntel'})"
    )
    page = mac.new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    expect(page.locator("#save-shortcut")).to_have_text("⌘S saves.")
    phone = open_context(viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page)
    page.goto("/editor/posts/new")
    expect(page.get_by_label("Title")).to_be_visible()
    expect(page.locator("#save-shortcut")).to_be_hidden()


def test_the_desk_tables_fit_a_phone_screen(live_app, open_context):
    site = build_sample_site(live_app)
    for width in (375, 320):
        page = open_context(viewport={"width": width, "height": 800}).new_page()
        page.goto("/login")
        page.get_by_label("Identifiant").fill(USERNAME)
        page.get_by_label("Mot de passe").fill(SAMPLE_PASSWORD)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url("**/editor/")
        for name in ("dashboard", "pages", "revisions", "revision"):
            page.goto(editor_pages(site)[name])
            hidden = page.evaluate(
                """() => [...document.querySelectorAll('.table-wrap')]
                  .map(box => box.scrollWidth - box.clientWidth).filter(extra => extra > 1)"""
            )
            assert hidden == [], (name, width)  # nothing cut off, to be found by scrolling
            overflow = page.evaluate(
                "() => document.scrollingElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, (name, width)
