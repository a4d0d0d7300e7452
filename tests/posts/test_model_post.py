"""A long-form French post shaped like a real blog post, written through the editor form alone."""

from html.parser import HTMLParser

from cms.extensions import db
from cms.kernel.settings import site_settings
from tests.conftest import get_post

NNBSP, NBSP = "\u202f", "\u00a0"

BODY = """\
Faut-il vraiment *cultiver* son quartier ? Je me pose la question depuis que trois bacs \
de tomates ont poussé devant la boulangerie.

## Ne cherchez pas le mode d’emploi

Le jardin partagé n’a pas de chef : il a des habitudes. On y arrive avec une bêche, \
on en repart avec des voisins.

<!--more-->

## Semer plutôt que planifier

Planter, c’est accepter de **ne pas tout prévoir**. La pluie décide, les limaces aussi.

## Une autre façon de dire « jardin » ?

Deux pistes, pour commencer :

- en français, « potager de rue » dit bien la modestie de l’affaire ;
- en anglais, *guerrilla gardening* garde un parfum d’aventure.

## Pour aller plus loin

- [Le sol vivant, mode d’emploi](https://example.org/sol-vivant)
  par Jeanne Dupont sur Terre et Graines
- [Cartographie des jardins partagés](https://example.net/carte)
  sur Villes Vertes
- [Composter en appartement](https://example.com/compost)
  par Paul Martin sur Le Blog du Balcon
"""


class Outline(HTMLParser):
    """Collects the structure of a page's post body: headings, lists, links, emphasis."""

    def __init__(self):
        super().__init__()
        self.in_body = 0
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "post-body") in attrs:
            self.in_body = 1
        elif self.in_body:
            if tag == "div":
                self.in_body += 1
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.in_body and tag == "div":
            self.in_body -= 1

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


def test_french_long_form_post_from_the_editor(app, logged_in, client):
    with app.test_request_context():
        site_settings().language = "fr"
        site_settings().timezone = "Europe/Paris"
        db.session.commit()

    response = logged_in.post(
        "/editor/posts/new",
        data={
            "title": "Jardiner en ville : une mode passagère ?",
            "slug": "",
            "body": BODY,
            "tags": "Ville, Jardin",
            "status": "published",
            "published_at": "2026-05-12T08:30",
            "allow_comments": "y",
            "action": "save",
        },
    )
    assert response.status_code == 302
    post = get_post(app, slug="jardiner-en-ville-une-mode-passagere")
    assert post is not None

    page = client.get("/posts/jardiner-en-ville-une-mode-passagere/").get_data(as_text=True)
    outline = Outline()
    outline.feed(page)
    assert outline.count("h2") == 4
    assert all(attrs.get("id") for name, attrs in outline.tags if name == "h2")  # anchors
    assert outline.count("ul") == 2
    links = [attrs["href"] for name, attrs in outline.tags if name == "a" and "href" in attrs]
    assert links == [
        "https://example.org/sol-vivant",
        "https://example.net/carte",
        "https://example.com/compost",
    ]
    assert outline.count("em") == 2 and outline.count("strong") == 1

    # French: strings, a French date in the site's time zone, typography in title and text.
    assert '<html lang="fr">' in page
    assert "12 mai 2026" in page and "par Alice Martin" in page
    assert f"une mode passagère{NNBSP}?</h1>" in page
    assert f"son quartier{NNBSP}?" in page and f"pas de chef{NBSP}:" in page
    assert f"«{NNBSP}potager de rue{NNBSP}»" in page
    assert 'href="/tags/jardin/"' in page and 'href="/tags/ville/"' in page

    # The home page shows the text up to the more-marker, with a link to read on.
    home = client.get("/").get_data(as_text=True)
    assert "Le jardin partagé" in home and "Semer plutôt que planifier" not in home
    assert "Lire la suite" in home
