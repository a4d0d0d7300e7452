"""Both languages are first-class: French pages, dates and plurals, and a complete catalogue."""

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_translations

from cms import PROJECT_ROOT
from cms.config import LANGUAGES
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.models import Author
from tests.conftest import PASSWORD, make_app
from tests.support.comments import add_comment

ROOT = PROJECT_ROOT


@pytest.fixture
def french(app):
    with app.test_request_context():
        site_settings().language = "fr"
        db.session.commit()
    return app


def test_french_site_shows_french_strings_and_dates(french, client, make_post):
    make_post(
        "Un billet", body="Premier paragraphe.\n\nSuite.", published_at=datetime(2026, 11, 20, 10)
    )
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in home
    assert "20 novembre 2026" in home
    assert "Lire la suite" in home and "Accueil" in home
    post = client.get("/posts/un-billet/").get_data(as_text=True)
    assert "par Alice Martin" in post
    assert "Page introuvable" in client.get("/nulle-part").get_data(as_text=True)


def test_french_archive_month_names_and_plurals(french, client, make_post):
    make_post("Un", published_at=datetime(2026, 3, 1, 12))
    make_post("Deux", published_at=datetime(2026, 3, 2, 12))
    page = client.get("/archive/").get_data(as_text=True)
    assert "Mars 2026" in page and "2 billets" in page


def test_english_is_the_default(client, make_post):
    make_post("A post", body="One.\n\nTwo.", published_at=datetime(2026, 11, 20, 10))
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in home
    assert "Read more" in home and "Lire la suite" not in home
    assert "November 20, 2026" in home


@pytest.fixture(scope="module")
def wanted_strings(tmp_path_factory) -> set:
    """The strings extracted from the code and templates as they are now."""
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "-q",
            "extract",
            "--mapping",
            "babel.cfg",
            "--keywords",
            "_l",
            "--output",
            str(pot),
            "cms",
            "templates",
            "templates/_macros",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        return {message.id for message in read_po(f) if message.id}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_catalogue_translates_every_string(wanted_strings, language):
    """Each string of the code and templates has a translation in both catalogues."""
    catalogue = read_catalogue(language)
    translated = {
        m.id
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(str(key) for key in wanted_strings - translated)
    assert missing == [], f"untranslated in {language}: " + ", ".join(missing[:20])


# Counts that pick different forms under one rule or another (CLDR's French "many" starts at a
# million; gettext's French rule has two forms).
PLURAL_COUNTS = (0, 1, 2, 5, 21, 100, 1_000_000)
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}


def read_catalogue(language: str):
    with (ROOT / f"cms/translations/{language}/LC_MESSAGES/messages.po").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_catalogue_declares_its_plural_rule_and_each_entry_has_its_forms(language):
    assert language in PLURAL_FORMS, f"say here which gettext plural rule {language} uses"
    catalogue = read_catalogue(language)
    assert catalogue.plural_forms == PLURAL_FORMS[language]
    plurals = [m for m in catalogue if m.id and m.pluralizable]
    assert plurals, "the catalogue has no plural message"
    wrong = [m.id[0] for m in plurals if len(m.string) != catalogue.num_plurals]
    assert wrong == [], f"entries without {catalogue.num_plurals} forms in {language}"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_compiled_plurals_resolve_to_their_translations(app, language):
    """The .mo the app loads picks, for every count, one of the message's own translations."""
    plurals = [m for m in read_catalogue(language) if m.id and m.pluralizable]
    with app.test_request_context(), force_locale(language):
        translations = get_translations()
        assert translations.files, f"no compiled catalogue for {language}: run make translations"
        for message in plurals:
            singular, plural = message.id
            for n in PLURAL_COUNTS:
                assert translations.ngettext(singular, plural, n) in message.string, (singular, n)


def test_french_post_page_counts_in_french(french, client, make_post):
    post_id = make_post("Un billet", body=" ".join(["mot"] * 2000), language="fr")
    for number in range(5):
        add_comment(french, post_id, f"Lecteur {number}", "Merci pour ce billet.", language="fr")
    page = client.get("/posts/un-billet/").get_data(as_text=True)
    assert "5 commentaires" in page and "5 comments" not in page
    assert "10 minutes de lecture" in page


@pytest.mark.parametrize(("language", "og_locale"), [("en", "en_US"), ("fr", "fr_FR")])
def test_pages_give_the_open_graph_locale_of_the_site_language(app, client, language, og_locale):
    with app.test_request_context():
        site_settings().language = language
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert f'<meta property="og:locale" content="{og_locale}">' in home


def test_the_settings_offer_exactly_the_configured_languages(tmp_path):
    app = make_app(tmp_path, LANGUAGES=LANGUAGES | {"de": "Deutsch"})
    with app.app_context():
        alice = Author(username="alice", display_name="Alice Martin")
        alice.set_password(PASSWORD)
        db.session.add(alice)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    page = client.get("/editor/settings").get_data(as_text=True)
    for code, name in LANGUAGES.items():
        assert f'value="{code}">{name}</option>' in page
    assert '<option value="de">Deutsch</option>' in page


def test_the_settings_refuse_a_language_that_is_not_configured(logged_in):
    response = logged_in.post(
        "/editor/settings",
        data={"title": "T", "language": "de", "timezone": "UTC", "posts_per_page": "5"},
    )
    assert response.status_code == 200 and "Not a valid choice." in response.get_data(as_text=True)
