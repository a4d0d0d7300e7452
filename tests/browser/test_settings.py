"""The settings page in Chromium: choosing French selects Paris time at once."""

from playwright.sync_api import expect

from cms.kernel.settings import site_settings
from tests.browser.test_writing import create_author
from tests.conftest import PASSWORD


def stored(app) -> tuple[str, str]:
    with app.test_request_context():
        settings = site_settings()
        return settings.language, settings.timezone


def log_in(page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_choosing_french_selects_paris_time_live_and_english_puts_utc_back(live_app, page):
    create_author(live_app)
    log_in(page)
    page.goto("/editor/settings")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("UTC")
    page.get_by_label("Language").select_option("fr")
    expect(zone).to_have_value("Europe/Paris")
    expect(page.locator("#timezone-note")).to_contain_text("time zone changed")
    page.get_by_label("Language").select_option("en")
    expect(zone).to_have_value("UTC")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert stored(live_app) == ("fr", "Europe/Paris")


def test_utc_put_back_by_hand_is_kept(live_app, page):
    create_author(live_app)
    log_in(page)
    page.goto("/editor/settings")
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Time zone").select_option("UTC")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert stored(live_app) == ("fr", "UTC")
    expect(page.locator(".flash-warning")).to_have_count(0)
