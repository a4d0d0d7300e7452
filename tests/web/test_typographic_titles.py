"""A title reads the same wherever it shows: on a French site, with French typography (the
typographic apostrophe, no-break spaces before : ; ! ?) in the tab, the meta, the feeds, the
lists and the desk, escaped once in HTML and in XML."""

from __future__ import annotations

import html
import re

import pytest
from defusedxml.ElementTree import fromstring
from markupsafe import escape

from cms.extensions import db
from cms.models import DRAFT, Upload
from tests.support.comments import add_comment, section, set_site

TITLE = "L'été & l'hiver: quoi?"
TYPESET = "L’été & l’hiver\u00a0: quoi\u202f?"
IN_HTML = html.escape(TYPESET, quote=False)  # "&" escaped once, never "&amp;amp;"
ATOM = "{http://www.w3.org/2005/Atom}"
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def french(app):
    set_site(app, language="fr", title="Le carnet d'Ana")
    return app


@pytest.fixture
def post_id(french, make_post) -> int:
    return make_post(TITLE, slug="ete", body="Premier paragraphe.\n\nLa suite.", language="fr")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def tab_title(text: str) -> str:
    return re.search(r"<title>(.*?)</title>", text, re.S).group(1)


def meta(text: str, prop: str) -> str:
    return re.search(rf'<meta property="{prop}" content="([^"]*)">', text).group(1)


def test_the_post_pages_tab_and_meta_show_the_typographic_title(client, post_id):
    text = page(client, "/posts/ete/")
    assert tab_title(text) == f"{IN_HTML} · Le carnet d’Ana"
    assert meta(text, "og:title") == f"{IN_HTML} · Le carnet d’Ana"
    assert meta(text, "og:site_name") == "Le carnet d’Ana"
    assert f'title="Commentaires sur «\u202f{IN_HTML}\u202f»"' in text  # its comments feed
    assert '<p class="site-title"><a href="/">Le carnet d’Ana</a></p>' in text
    assert "'" not in tab_title(text) and "&#39;" not in text.split("<body")[0]


def test_the_hidden_read_more_text_shows_the_typographic_title(client, post_id):
    text = page(client, "/")
    assert f'<span class="visually-hidden"> — {IN_HTML}</span>' in text
    assert f">{IN_HTML}</a></h2>" in text


def test_the_feeds_give_the_typographic_title_as_xml_text(client, post_id):
    feed = fromstring(client.get("/feed.xml").data)
    assert feed.findtext(f"{ATOM}title") == "Le carnet d’Ana"
    assert feed.findtext(f"{ATOM}entry/{ATOM}title") == TYPESET
    comments = fromstring(client.get("/posts/ete/comments.xml").data)
    assert comments.findtext(f"{ATOM}title") == f"Commentaires sur «\u202f{TYPESET}\u202f»"


def test_the_feeds_page_names_the_post_with_its_typographic_title(client, post_id):
    text = page(client, "/feeds/?post=ete")
    heading = section(text, '<h2 id="comments-feed-title">', "</h2>")
    assert heading.endswith(f"Commentaires sur «\u202f{IN_HTML}\u202f»")


def test_a_pages_title_is_typographic_in_its_tab_and_in_the_menu(french, client, make_post):
    make_post("L'équipe: qui?", slug="equipe", kind="page", nav_order=1, language="fr")
    text = page(client, "/equipe/")
    assert tab_title(text).startswith("L’équipe\u00a0: qui\u202f? · ")
    assert '<a href="/equipe/">L’équipe\u00a0: qui\u202f?</a>' in text


def test_an_images_alt_text_in_a_rendered_body_is_typographic(french, client, make_post):
    make_post(
        "Photo", slug="photo", body="![L'été au jardin: enfin!](/static/x.png)", language="fr"
    )
    assert 'alt="L’été au jardin\u00a0: enfin\u202f!"' in page(client, "/posts/photo/")


def test_the_desk_lists_and_headings_show_the_typographic_title(app, logged_in, post_id):
    listing = page(logged_in, "/editor/")
    assert f'<a href="/editor/posts/{post_id}/edit">{IN_HTML}</a></td>' in listing

    edit = page(logged_in, f"/editor/posts/{post_id}/edit")
    assert f"<h1>Modifier «\u202f{IN_HTML}\u202f»</h1>" in edit
    assert tab_title(edit).startswith(f"Modifier «\u202f{IN_HTML}\u202f» · ")
    assert f'value="{escape(TITLE)}"' in edit  # the field keeps what she typed

    revisions = page(logged_in, f"/editor/posts/{post_id}/revisions")
    assert f"<h1>Révisions de «\u202f{IN_HTML}\u202f»</h1>" in revisions

    delete = page(logged_in, f"/editor/posts/{post_id}/delete")
    assert f"Supprimer «\u202f{IN_HTML}\u202f»\u202f?" in delete
    done = logged_in.post(f"/editor/posts/{post_id}/delete", follow_redirects=True)
    assert f"«\u202f{IN_HTML}\u202f» a été supprimé." in done.get_data(as_text=True)


def test_the_desk_rows_name_their_links_with_the_title_in_the_sites_quotes(app, logged_in, post_id):
    """Edit and View, named for screen readers: « » and their no-break spaces in French."""
    rows = section(page(logged_in, "/editor/"), '<table class="posts-table', "</table>")
    assert rows.count(f'<span class="visually-hidden"> «\u202f{IN_HTML}\u202f»</span>') == 2
    assert "“" not in rows
    set_site(app, language="en")
    rows = section(page(logged_in, "/editor/"), '<table class="posts-table', "</table>")
    assert rows.count(f'<span class="visually-hidden"> “{escape(TITLE)}”</span>') == 2


def test_an_english_site_shows_titles_as_typed(app, client, make_post):
    set_site(app, title="Ana's notes")
    make_post("It's here: really?", slug="here")
    text = page(client, "/posts/here/")
    assert tab_title(text) == "It&#39;s here: really? · Ana&#39;s notes"
    feed = fromstring(client.get("/feed.xml").data)
    assert feed.findtext(f"{ATOM}entry/{ATOM}title") == "It's here: really?"


def test_the_tagline_is_typographic_in_the_header_the_meta_and_the_feed(french, client, post_id):
    set_site(french, tagline="Notes d'une lectrice: curieuse!")
    typeset = "Notes d’une lectrice\u00a0: curieuse\u202f!"
    home = page(client, "/")
    assert f'<p class="site-tagline">{typeset}</p>' in home
    assert f'<meta name="description" content="{typeset}">' in home
    feed = fromstring(client.get("/feed.xml").data)
    assert feed.findtext(f"{ATOM}subtitle") == typeset


def test_the_comment_queue_tabs_agree_in_french(app, logged_in, post_id):
    add_comment(app, post_id, "Zoé", "Bien vu.", status="approved", language="fr")
    queue = page(logged_in, "/editor/comments")
    assert "Approuvés" in queue and "Indésirables" in queue


def test_the_comment_queue_names_the_post_with_its_typographic_title(app, logged_in, post_id):
    add_comment(app, post_id, "Zoé", "Bien vu.", status="pending", language="fr")
    queue = page(logged_in, "/editor/comments")
    assert f">{IN_HTML}</option>" in queue
    assert f'">{IN_HTML}</a></span>' in queue  # the comment's "on <post>"


def test_the_media_list_names_the_posts_using_an_image_typographically(
    app, logged_in, french, make_post
):
    with app.app_context():
        db.session.add(
            Upload(
                name="abcdefghijklmnop.png", content_type="image/png", size=10, width=10, height=10
            )
        )
        db.session.commit()
    post_id = make_post(
        TITLE, slug="ete", body="![Jardin](/media/abcdefghijklmnop.png)", language="fr"
    )
    media = page(logged_in, "/editor/media")
    assert f'<a href="/editor/posts/{post_id}/edit">{IN_HTML}</a>' in media


def test_the_editor_preview_heading_is_typographic(french, logged_in):
    form = {"title": TITLE, "slug": "", "body": "Texte.", "tags": "", "status": DRAFT}
    form |= {"published_at": "", "action": "preview"}
    text = page_of(logged_in.post("/editor/posts/new", data=form))
    assert f'<h3 class="preview-heading" id="preview-heading">{IN_HTML}</h3>' in text
    live = logged_in.post("/editor/preview", json={"title": TITLE, "body": "x"}, headers=FETCH)
    assert live.json["title"] == TYPESET


def page_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)
