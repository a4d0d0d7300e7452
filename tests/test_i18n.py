"""Both languages are first-class: French pages, dates and plurals, and a complete catalogue."""

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from cms.extensions import db
from cms.site import site_settings

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.parametrize("language", ["fr", "en"])
def test_catalogue_translates_every_string(wanted_strings, language):
    """Each string of the code and templates has a translation in both catalogues."""
    with (ROOT / f"cms/translations/{language}/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(str(key) for key in wanted_strings - translated)
    assert missing == [], f"untranslated in {language}: " + ", ".join(missing[:20])
