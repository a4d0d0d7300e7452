"""The author's desk: dashboard, writing, preview, conflicts, deleting, settings."""

from datetime import timedelta

import pytest

from cms.clock import utcnow
from cms.models import DRAFT, PUBLISHED
from tests.conftest import get_post


def post_form(**fields):
    data = {
        "title": "My title",
        "slug": "",
        "body": "Hello *world*.",
        "tags": "",
        "status": PUBLISHED,
        "published_at": "",
        "allow_comments": "y",
        "action": "save",
    }
    return data | fields


def test_dashboard_lists_every_post_with_status(logged_in, make_post):
    make_post("Live one")
    make_post("Unfinished", status=DRAFT)
    make_post("Next week", published_at=utcnow() + timedelta(days=7))
    page = logged_in.get("/editor/").get_data(as_text=True)
    for title in ("Live one", "Unfinished", "Next week"):
        assert title in page
    assert "status-published" in page and "status-draft" in page and "status-scheduled" in page
    assert 'href="/posts/live-one/"' in page


def test_writing_a_post_publishes_it(app, logged_in, client):
    response = logged_in.post(
        "/editor/posts/new",
        data=post_form(
            title="Été à Montréal !", body="Warm *days*.", tags="Voyage, Québec, voyage"
        ),
    )
    assert response.status_code == 302
    post = get_post(app, slug="ete-a-montreal")
    assert post is not None and post.status == PUBLISHED and post.published_at is not None
    assert sorted(tag.name for tag in post.tags) == ["Québec", "Voyage"]
    assert response.headers["Location"] == f"/editor/posts/{post.id}/edit"
    assert "Post published." in logged_in.get(response.headers["Location"]).get_data(as_text=True)
    public = client.get("/posts/ete-a-montreal/").get_data(as_text=True)
    assert "<em>days</em>" in public


def test_saving_a_published_post_again_says_it_was_updated(app, logged_in):
    first = logged_in.post("/editor/posts/new", data=post_form(title="Public", body="Text."))
    assert "Post published." in logged_in.get(first.headers["Location"]).get_data(as_text=True)
    post = get_post(app, slug="public")
    again = post_form(title="Public", body="Text.", allow_comments="", version=str(post.version))
    response = logged_in.post(f"/editor/posts/{post.id}/edit", data=again)
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Post updated." in page and "Post published." not in page
    assert get_post(app, slug="public").allow_comments is False


def test_markdown_is_rendered_once_when_saving(app, logged_in):
    logged_in.post("/editor/posts/new", data=post_form(title="Stored", body="# Big\n\ntext"))
    post = get_post(app, slug="stored")
    assert "<h1" in post.body_html and "text" in post.body_html
    assert post.render_key.endswith(":en")


def test_draft_stays_private_until_published(app, logged_in, client):
    logged_in.post("/editor/posts/new", data=post_form(title="Draft one", status=DRAFT))
    post = get_post(app, slug="draft-one")
    assert post.status == DRAFT and post.published_at is None
    client.post("/logout")
    assert client.get("/posts/draft-one/").status_code == 404


def test_future_date_schedules_the_post(app, logged_in):
    response = logged_in.post(
        "/editor/posts/new",
        data=post_form(title="Later", published_at="2099-01-01T10:00"),
        follow_redirects=True,
    )
    assert "Post scheduled for" in response.get_data(as_text=True)
    assert get_post(app, slug="later").state == "scheduled"


def test_publication_date_is_read_in_the_site_time_zone(app, logged_in):
    logged_in.post(
        "/editor/settings",
        data={
            "title": "Blog",
            "tagline": "",
            "language": "fr",
            "timezone": "Europe/Paris",
            "posts_per_page": "10",
        },
    )
    logged_in.post(
        "/editor/posts/new", data=post_form(title="Paris", published_at="2026-07-14T10:00")
    )
    assert get_post(app, slug="paris").published_at.hour == 8  # summer time: UTC+2


def test_slug_is_generated_unique_and_editable(app, logged_in, make_post):
    make_post("Taken", slug="same-title")
    logged_in.post("/editor/posts/new", data=post_form(title="Same title"))
    assert get_post(app, slug="same-title-2") is not None
    logged_in.post("/editor/posts/new", data=post_form(title="Custom", slug="my-own-address"))
    assert get_post(app, slug="my-own-address").title == "Custom"


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Not Valid!", "Use only lowercase letters, digits and single hyphens."),
        ("same-title", "Another post already uses this address."),
    ],
)
def test_invalid_slug_redisplays_form_with_text_kept(app, logged_in, make_post, slug, message):
    make_post("Taken", slug="same-title")
    response = logged_in.post(
        "/editor/posts/new",
        data=post_form(title="Kept title", slug=slug, body="Text I typed for an hour."),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "Text I typed for an hour." in page and 'value="Kept title"' in page
    assert get_post(app, title="Kept title") is None


def test_missing_title_is_refused_with_text_kept(app, logged_in):
    response = logged_in.post("/editor/posts/new", data=post_form(title="", body="Precious words"))
    assert "This field is required." in response.get_data(as_text=True)
    assert "Precious words" in response.get_data(as_text=True)


def test_preview_renders_without_saving(app, logged_in):
    response = logged_in.post(
        "/editor/posts/new",
        data=post_form(
            title="", body="## Heading\n\n<script>alert(1)</script>**strong**", action="preview"
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview (not saved)" in page
    assert "<strong>strong</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert get_post(app, title="") is None


def test_editing_keeps_a_version_and_refuses_silent_overwrite(app, logged_in, make_post):
    post_id = make_post("Original", body="v1")
    form = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in form
    # Another tab saves first...
    logged_in.post(
        f"/editor/posts/{post_id}/edit",
        data=post_form(title="Original", body="from tab B", version="1"),
    )
    # ...then this tab saves with the version it loaded.
    response = logged_in.post(
        f"/editor/posts/{post_id}/edit",
        data=post_form(title="Original", body="from tab A", version="1"),
    )
    page = response.get_data(as_text=True)
    assert "This post was changed elsewhere" in page
    assert "from tab <del>B</del>" in page and "from tab <ins>A</ins>" in page
    assert get_post(app, id=post_id).body == "from tab B"
    # A form opened on the newer version replaces it.
    logged_in.post(
        f"/editor/posts/{post_id}/edit",
        data=post_form(title="Original", body="from tab A", version="2"),
    )
    assert get_post(app, id=post_id).body == "from tab A"


def test_delete_asks_for_confirmation_then_deletes(app, logged_in, make_post):
    post_id = make_post("Doomed")
    confirm = logged_in.get(f"/editor/posts/{post_id}/delete")
    assert "Delete “Doomed”?" in confirm.get_data(as_text=True)
    assert get_post(app, id=post_id) is not None
    response = logged_in.post(f"/editor/posts/{post_id}/delete", follow_redirects=True)
    assert "“Doomed” was deleted." in response.get_data(as_text=True)
    assert get_post(app, id=post_id) is None


def test_the_editor_explains_line_breaks_and_the_basics_of_markdown(logged_in):
    page = logged_in.get("/editor/posts/new", follow_redirects=True).get_data(as_text=True)
    assert "a single line break is ignored" in page
    assert 'aria-describedby="body-help"' in page
    assert "<code>**bold**</code>" in page and "<code>[a link](https://example.com)</code>" in page


def test_unknown_post_in_editor_is_404(logged_in):
    assert logged_in.get("/editor/posts/999/edit").status_code == 404


def test_settings_change_title_tagline_language(app, logged_in, client):
    response = logged_in.post(
        "/editor/settings",
        data={
            "title": "Mon carnet",
            "tagline": "Des notes",
            "language": "fr",
            "timezone": "Europe/Paris",
            "posts_per_page": "5",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Réglages enregistrés." in page
    home = client.get("/").get_data(as_text=True)
    assert "Mon carnet" in home and "Des notes" in home and '<html lang="fr">' in home


def test_settings_validation_keeps_input(logged_in):
    response = logged_in.post(
        "/editor/settings",
        data={
            "title": "Kept",
            "tagline": "x",
            "language": "en",
            "timezone": "Mars/Olympus",
            "posts_per_page": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert 'value="Kept"' in page
    assert "Number must be between 1 and 100." in page
    assert "Not a valid choice." in page or "Unknown time zone." in page
