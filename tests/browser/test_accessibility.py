"""The theme in Chromium: axe-core finds nothing on any page type, in light and dark; no page
scrolls sideways at 320 px; controls are large enough to touch; commenting and editing work with
the keyboard alone; the print style sheet keeps only the text."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from cms import PROJECT_ROOT
from cms.extensions import db
from cms.models import PENDING, Comment, Post
from tests.conftest import make_app
from tests.support.sample_site import (
    PASSWORD,
    USERNAME,
    SampleSite,
    build_sample_site,
    editor_pages,
    public_pages,
)

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Every rule axe has, best practices included, reported as readable lines.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} -> ` +
    v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.failureSummary.replace(/\\s+/g, " ")).join(" | "));
}"""


@dataclass(frozen=True)
class Site:
    base_url: str
    sample: SampleSite
    author_state: dict  # the author's logged-in cookies, for the editor pages

    def address(self, name: str) -> tuple[str, bool]:
        """The address of a page type, and whether it is one of the author's pages."""
        public = public_pages(self.sample)
        if name in public:
            return public[name], False
        if name == "post-as-author":
            return public["post"], True
        return editor_pages(self.sample)[name], True


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory) -> Iterator[Site]:
    """The sample site, served once for the module (with CSRF on), and the author logged in."""
    app = make_app(
        tmp_path_factory.mktemp("theme"),
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        COMMENT_MIN_SECONDS=0,
    )
    sample = build_sample_site(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Identifiant").fill(USERNAME)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/editor/")
    state = context.storage_state()
    context.close()
    yield Site(base_url, sample, state)
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def open_page(browser, site):
    """Opens a page type in a fresh context (a colour scheme, a width); fails on script errors."""
    contexts = []
    errors: list[str] = []

    def open_(name: str, *, scheme: str = "light", width: int = 1280, bypass_csp: bool = False):
        address, as_author = site.address(name)
        context = browser.new_context(
            base_url=site.base_url,
            color_scheme=scheme,
            viewport={"width": width, "height": 800},
            storage_state=site.author_state if as_author else None,
            # axe is injected as an inline script, which the site's policy rightly refuses.
            bypass_csp=bypass_csp,
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors in the browser: {errors}"


PAGE_TYPES = [
    *["home", "post", "post-closed", "post-replying", "tag", "archives", "archive-month"],
    *["page", "not-found", "login", "feeds", "feeds-post"],
    *["post-as-author", "dashboard", "new-post", "edit-post"],
    *["edit-draft", "delete-post", "moderation", "moderation-approved", "moderation-spam"],
    *["edit-comment", "delete-comment", "settings", "account", "media", "delete-image"],
    *["describe-image", "pages"],
    *["new-page", "revisions", "revision", "restore"],
]


def axe_violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make checkers`")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_axe_finds_no_violation(open_page, name, scheme):
    page = open_page(name, scheme=scheme, bypass_csp=True)
    assert axe_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_a_form_with_errors(open_page, scheme):
    page = open_page("post", scheme=scheme, bypass_csp=True)
    page.get_by_role("button", name="Publier le commentaire").click()
    # The click returns once the answer starts to arrive: wait for the page and its styles.
    expect(page.locator(".comment-form .has-error").nth(1)).to_be_attached()
    page.wait_for_load_state()
    assert axe_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_a_reply_over_the_length_limit(open_page, scheme):
    page = open_page("post", scheme=scheme, bypass_csp=True)
    page.locator("a.comment-reply").first.click()
    expect(page.locator("#comment-reply-context")).to_be_visible()
    page.locator("#comment-body").focus()
    page.keyboard.insert_text("Trop long. " * 460)
    expect(page.locator("#comment-body-count")).to_have_class(re.compile(r"\berror\b"))
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [320, 375])
def test_the_refused_form_and_its_summary_fit_a_phone(open_page, width):
    page = open_page("post-replying", width=width)
    page.locator("#comment-body").fill("https://example.org/" + "une-adresse-sans-espace-" * 12)
    page.get_by_role("button", name="Publier le commentaire").click()
    expect(page.locator("#comment-errors")).to_be_focused()
    expect(page.locator("#comment-reply-context")).to_be_visible()
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_the_editor_preview(open_page, scheme):
    page = open_page("edit-post", scheme=scheme, bypass_csp=True)
    page.get_by_role("button", name="Aperçu").click()
    page.locator("#preview-body h2").first.wait_for()
    assert axe_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_the_post_forms_other_answers(open_page, scheme):
    """A conflict, publishing no text, and a Save after the session ended (none saves)."""
    page = open_page("edit-post", scheme=scheme, bypass_csp=True)
    page.route("**/editor/autosave", lambda route: route.abort())  # the sample site stays as is
    page.locator("input[name=version]").evaluate("input => { input.value = '0'; }")
    page.get_by_label("Texte (Markdown)").fill("Un autre texte.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.locator(".conflict table.diff").wait_for()
    assert axe_violations(page) == []
    page.goto(page.url)  # the post form again, as served
    page.get_by_label("Texte (Markdown)").fill("")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.locator("#body-error").wait_for()
    assert axe_violations(page) == []
    page.context.clear_cookies()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.locator(".kept-text").wait_for()
    assert axe_violations(page) == []


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_no_sideways_scrolling_at_320_pixels(open_page, name):
    page = open_page(name, width=320)
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_has_one_heading_landmarks_and_the_site_language(open_page, name):
    page = open_page(name)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").count() == 1
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("contentinfo").count() == 1
    assert page.get_by_role("navigation", name="Site").count() == 1


# Controls outside running text: each must offer a 44 px square target (inline links in
# sentences are exempt, as WCAG's target size criteria allow).
CONTROLS = (
    "header a, nav a, footer a, button, .button, select, textarea, "
    "input:not([type=hidden]):not([type=checkbox]):not([tabindex='-1']), .field-check, "
    ".comment-meta a, .comment-actions a, .post-links a, .archive-list a, .row-actions a, "
    ".status-tabs a, .moderation-actions a"
)


@pytest.mark.parametrize("name", ["post", "dashboard", "moderation", "edit-post", "settings"])
@pytest.mark.parametrize("width", [375, 1280])
def test_touch_targets_are_at_least_44_pixels(open_page, name, width):
    page = open_page(name, width=width)
    small = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
          .filter(el => el.getClientRects().length && !el.closest('.hp-field, .visually-hidden'))
          .map(el => [el, el.getBoundingClientRect()])
          .filter(([el, box]) => box.height < 43.5 || box.width < 43.5)
          .map(([el, box]) => `${el.outerHTML.slice(0, 80)} ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        CONTROLS,
    )
    assert small == []


@pytest.mark.parametrize("width", [1024, 1280, 1920])
def test_the_text_keeps_a_readable_measure(open_page, width):
    """60 to 75 characters a line: the column's width over the average width of its letters."""
    page = open_page("post", width=width)
    characters = page.evaluate(
        """() => { const body = document.querySelector('.post-body');
          const probe = document.createElement('span');
          probe.style.whiteSpace = 'nowrap';
          probe.textContent = body.querySelector('p').textContent.replace(/\\s+/g, ' ');
          body.querySelector('p').append(probe);
          const perLetter = probe.getBoundingClientRect().width / probe.textContent.length;
          probe.remove();
          return body.clientWidth / perLetter; }"""
    )
    assert 60 <= characters <= 75


def focus_path(page, stop: str, limit: int = 80) -> list[dict]:
    """Press Tab until the element matching `stop` has the focus; what each press focused."""
    path = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """(stop) => { const el = document.activeElement; const style = getComputedStyle(el);
              return {tag: el.tagName, name: el.name || el.textContent.trim().slice(0, 30),
                      outline: style.outlineStyle, shadow: style.boxShadow,
                      hidden: !!el.closest('[aria-hidden=true]'), done: el.matches(stop)}; }""",
            stop,
        )
        path.append(focused)
        if focused["done"]:
            return path
    raise AssertionError(f"Tab never reached {stop}: {path}")


def assert_focus_was_visible(path: list[dict]) -> None:
    invisible = [step for step in path if step["outline"] == "none" and step["shadow"] == "none"]
    assert invisible == []
    assert [step for step in path if step["hidden"]] == []


def test_a_visitor_comments_with_the_keyboard_alone(live_app, page):
    sample = build_sample_site(live_app)
    live_app.config["COMMENT_MIN_SECONDS"] = 0
    page.goto(public_pages(sample)["post"])

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"

    path = focus_path(page, "#comment-name")
    page.keyboard.type("Léa")
    path += focus_path(page, "#comment-body", limit=3)
    page.keyboard.type("Une page par jour : je commence demain.")
    path += focus_path(page, "button[type=submit]", limit=3)
    assert_focus_was_visible(path)
    assert "subject" not in [step["name"] for step in path]  # the honeypot is never reached
    page.keyboard.press("Enter")

    page.wait_for_url("**#comment-*")
    assert page.get_by_text("Une page par jour : je commence demain.").is_visible()
    assert page.locator(".comment-status").inner_text().startswith("En attente de modération")
    with live_app.app_context():
        comment = db.session.scalar(select(Comment).where(Comment.author_name == "Léa"))
        assert comment.status == PENDING
        assert comment.body == "Une page par jour : je commence demain."


def test_the_author_logs_in_and_writes_with_the_keyboard_alone(live_app, page):
    build_sample_site(live_app)
    page.goto("/login")
    page.locator("#username:focus").wait_for()  # the name field has the focus from the start
    page.keyboard.type(USERNAME)
    path = focus_path(page, "#password", limit=2)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/editor/")

    path += focus_path(page, "a.button")  # "Write a new post"
    page.keyboard.press("Enter")
    page.wait_for_url("**/editor/posts/new?form=*")
    path += focus_path(page, "#title")
    page.keyboard.type("Écrire au clavier")
    path += focus_path(page, "#body", limit=2)
    page.keyboard.type("Sans souris, *sans peine*.")
    path += focus_path(page, "button[value=save]")
    assert_focus_was_visible(path)
    page.keyboard.press("Enter")

    page.wait_for_url("**/edit")
    assert page.locator(".flash").first.is_visible()
    with live_app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Écrire au clavier"))
        assert post.body == "Sans souris, *sans peine*."


def test_the_honeypot_is_hidden_from_screen_readers_and_sight(open_page):
    page = open_page("post")
    form = page.locator("#comment-form")
    assert "subject" not in form.aria_snapshot().lower()
    assert form.get_by_role("textbox").count() == 4  # name, e-mail, website, comment
    box = page.locator(".hp-field").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0


def test_form_errors_are_tied_to_their_fields(open_page):
    page = open_page("post")
    page.get_by_role("button", name="Publier le commentaire").click()
    name = page.locator("#comment-name")
    expect(name).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{name.get_attribute('aria-describedby')}")
    assert error.is_visible() and error.inner_text()


def test_print_shows_the_text_without_navigation_or_forms(open_page):
    page = open_page("post")
    page.emulate_media(media="print")
    for selector in [".site-nav", "#comment-form", ".skip-link", ".comment-actions"]:
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator(".post-body h2").first.is_visible()
    printed = page.evaluate(
        """() => getComputedStyle(document.querySelector('.post-body a[href^="http"]'), '::after').content"""
    )
    assert "orwell" in printed


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_post_follows_the_visitors_colour_scheme(open_page, scheme):
    page = open_page("post", scheme=scheme)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red = int(background.split("(")[1].split(",")[0])
    assert (red > 200) if scheme == "light" else (red < 60)
