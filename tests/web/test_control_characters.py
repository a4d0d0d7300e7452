"""Control characters typed or pasted into any field are dropped at input, so every feed stays
XML (one in a title made /feed.xml unreadable to feed readers)."""

from __future__ import annotations

from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from cms.extensions import db
from cms.models import PUBLISHED, Autosave
from tests.conftest import get_post
from tests.posts.test_editor import post_form
from tests.support.comments import post_comment, set_site, stored_comments

# Every C0 control but tab, newline and carriage return, DEL, two C1 controls, U+FFFE and U+FFFF.
CONTROLS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))
CONTROLS += "\x85\x9f\ufffe\uffff"


def dirty(text: str) -> str:
    return text[:3] + CONTROLS + text[3:]


def assert_xml(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    fromstring(response.get_data())  # raises on invalid XML
    return response.get_data(as_text=True)


def test_feeds_stay_xml_whatever_was_typed(app, logged_in, client):
    app.config["COMMENT_MIN_SECONDS"] = 0
    set_site(app, moderate_first_comment=False)
    response = logged_in.post(
        "/editor/posts/new",
        data=post_form(
            title=dirty("Lire lentement"),
            slug="lire",
            body=dirty("Une page par jour.\n\nPuis une autre."),
            tags=dirty("lecture, notes"),
            status=PUBLISHED,
        ),
    )
    assert response.status_code == 302
    post = get_post(app, slug="lire")
    assert post.title == "Lire lentement" and post.body == "Une page par jour.\n\nPuis une autre."
    assert sorted(tag.name for tag in post.tags) == ["lecture", "notes"]

    post_comment(client, "lire", name=dirty("Ada Lovelace"), body=dirty("Bien vu."))
    [comment] = stored_comments(app)
    assert (comment.author_name, comment.body) == ("Ada Lovelace", "Bien vu.")

    for url in ("/feed.xml", "/sitemap.xml", "/posts/lire/comments.xml"):
        text = assert_xml(client, url)
        assert not set(text) & set(CONTROLS), url
    assert "Lire lentement" in assert_xml(client, "/feed.xml")


def test_the_autosave_keeps_text_without_control_characters(app, logged_in):
    response = logged_in.post(
        "/editor/autosave", json={"title": dirty("Brouillon"), "body": dirty("Texte\r\nsuite")}
    )
    assert response.status_code < 400
    with app.app_context():
        [saved] = db.session.scalars(select(Autosave)).all()
        assert (saved.title, saved.body) == ("Brouillon", "Texte\nsuite")
