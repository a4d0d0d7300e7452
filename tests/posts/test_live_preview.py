"""Live preview, word count and reading time: the public pipeline, in the site's language."""

import re

import pytest

from cms import markup
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.models import SiteSettings, reading_minutes
from tests.conftest import get_post

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def french(app):
    with app.test_request_context():
        site_settings().language = "fr"
        db.session.commit()
    return app


def preview(client, body, title="T"):
    return client.post("/editor/preview", json={"title": title, "body": body}, headers=FETCH)


def test_preview_is_the_public_rendering(app, logged_in):
    body = (
        "## Hello\n\nSome **bold** text.<script>alert(1)</script>\n\n<a href='javascript:x'>x</a>"
    )
    response = preview(logged_in, body)
    assert response.status_code == 200
    assert response.json["html"] == markup.render_post(body, "en").body_html
    assert "<strong>bold</strong>" in response.json["html"]
    assert "<script" not in response.json["html"] and "javascript:" not in response.json["html"]
    assert response.json["words"] == 5 and response.json["words_label"] == "5 words"
    assert response.json["reading_label"] == "1 minute read"


def test_preview_uses_french_typography_and_plurals(french, logged_in):
    response = preview(logged_in, "Vraiment ? " + "mot " * 598)
    assert "Vraiment\u202f?" in response.json["html"]
    assert response.json["words_label"] == "599 mots"
    assert response.json["reading_label"] == "3 minutes de lecture"
    assert preview(logged_in, "Un.").json["reading_label"] == "1 minute de lecture"


def test_preview_saves_nothing(app, logged_in):
    preview(logged_in, "Not stored", title="Nothing")
    assert get_post(app, title="Nothing") is None


def test_reading_time_rounds_at_200_words_a_minute_and_is_never_zero():
    assert [reading_minutes(n) for n in (0, 1, 299, 300, 500, 1000)] == [0, 1, 1, 2, 3, 5]


def test_editor_shows_word_count_and_reading_time_on_load(app, logged_in, make_post):
    post_id = make_post("Long", body="word " * 450)
    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert '<span id="word-count">450 words</span>' in page
    assert '<span id="reading-time">2 minutes read</span>' in page


def test_word_count_is_stored_when_saving(app, logged_in):
    logged_in.post(
        "/editor/posts/new",
        data={
            "title": "Counted",
            "body": "One two [three](/x) four.",
            "status": "published",
            "action": "save",
        },
    )
    assert get_post(app, slug="counted").word_count == 4


def test_public_post_shows_reading_time_unless_turned_off(app, logged_in, client, make_post):
    make_post("Essay", body="word " * 1000)
    assert "5 minutes read" in client.get("/posts/essay/").get_data(as_text=True)
    settings = logged_in.get("/editor/settings").get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*id="show_reading_time"[^>]*>', settings).group()
    logged_in.post(
        "/editor/settings",
        data={
            "title": "Blog",
            "tagline": "",
            "language": "en",
            "timezone": "UTC",
            "posts_per_page": "10",
        },
    )
    with app.app_context():
        assert db.session.get(SiteSettings, 1).show_reading_time is False
    assert "minutes read" not in client.get("/posts/essay/").get_data(as_text=True)


def test_live_preview_needs_login_and_answers_json(client):
    response = preview(client, "x")
    assert response.status_code == 401 and response.json["error"] == "login"
