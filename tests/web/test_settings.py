"""The settings page: a French site gets French time, and the time zone list is grouped."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import available_timezones

import pytest

from cms.kernel.settings import site_settings
from tests.support.comments import set_site

OPTGROUP_RE = re.compile(r'<optgroup label="([^"]+)">(.*?)</optgroup>', re.S)
OPTION_RE = re.compile(r'<option (?:selected )?value="([^"]+)"')


def save(client, **fields):
    form = {"title": "Blog", "language": "en", "timezone": "UTC", "posts_per_page": "10"}
    return client.post("/editor/settings", data=form | fields, follow_redirects=True)


def stored(app) -> tuple[str, str]:
    with app.test_request_context():
        settings = site_settings()
        return settings.language, settings.timezone


def zone_groups(page: str) -> dict[str, list[str]]:
    select = page[page.index('<select id="timezone"') :]
    select = select[: select.index("</select>")]
    return {label: OPTION_RE.findall(body) for label, body in OPTGROUP_RE.findall(select)}


def selected_zones(page: str) -> list[str]:
    select = page[page.index('<select id="timezone"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option selected value="([^"]+)"', select)


def test_choosing_french_on_a_site_still_in_utc_sets_paris_time_and_says_so(app, logged_in):
    """Without JavaScript: French is saved with UTC, the default nobody chose."""
    page = save(logged_in, language="fr", timezone="UTC").get_data(as_text=True)
    assert stored(app) == ("fr", "Europe/Paris")
    assert re.search(r"<p class=\"flash flash-warning\">[^<]*Europe/Paris", page)
    assert selected_zones(page) == ["Europe/Paris"]


def test_french_keeps_a_time_zone_she_chose(app, logged_in):
    set_site(app, timezone="America/Montreal")
    save(logged_in, language="fr", timezone="America/Montreal")
    assert stored(app) == ("fr", "America/Montreal")


def test_utc_chosen_on_a_site_already_in_french_stays_utc(app, logged_in):
    set_site(app, language="fr", timezone="Europe/Paris")
    save(logged_in, language="fr", timezone="UTC")
    assert stored(app) == ("fr", "UTC")


def test_utc_kept_after_the_script_proposed_paris_stays_utc(app, logged_in):
    """The script proposed Paris as she chose French; she put UTC back: that is her choice."""
    save(logged_in, language="fr", timezone="UTC", timezone_proposed="1")
    assert stored(app) == ("fr", "UTC")


@pytest.mark.parametrize(("before", "after"), [("UTC", "UTC"), ("Europe/Paris", "Europe/Paris")])
def test_english_proposes_no_time_zone(app, logged_in, before, after):
    set_site(app, language="fr", timezone=before)
    page = save(logged_in, language="en", timezone=before).get_data(as_text=True)
    assert stored(app) == ("en", after)
    assert "usual one" not in page


def test_the_settings_page_tells_its_script_which_zone_each_language_proposes(logged_in):
    page = logged_in.get("/editor/settings").get_data(as_text=True)
    assert 'data-usual-timezones=\'{"fr": "Europe/Paris"}\'' in page
    assert 'name="timezone_proposed"' in page
    assert '<script src="/static/js/settings.js" defer></script>' in page


def test_the_time_zones_are_grouped_by_region_with_the_common_ones_first(logged_in):
    page = logged_in.get("/editor/settings").get_data(as_text=True)
    groups = zone_groups(page)
    labels = list(groups)
    assert labels[0] == "Common"
    assert {"Europe", "America", "Africa", "Asia", "Pacific", "Other"} <= set(labels)
    assert groups["Common"][:3] == ["UTC", "Europe/Paris", "Europe/Brussels"]
    assert {"Europe/Zurich", "America/Montreal", "Europe/London"} <= set(groups["Common"])
    assert "Europe/Paris" in groups["Europe"] and "Asia/Tokyo" in groups["Asia"]
    every = [zone for zones in labels[1:] for zone in groups[zones]]
    assert sorted(every) == sorted(available_timezones())  # each once outside the common ones
    assert selected_zones(page) == ["UTC"]  # one option selected, in the common group


def test_the_current_zone_is_selected_once_wherever_it_is_listed(app, logged_in):
    set_site(app, timezone="Europe/Paris")
    assert selected_zones(logged_in.get("/editor/settings").get_data(as_text=True)) == [
        "Europe/Paris"
    ]
    set_site(app, timezone="Asia/Tokyo")
    page = logged_in.get("/editor/settings").get_data(as_text=True)
    assert selected_zones(page) == ["Asia/Tokyo"]


def test_a_zone_from_any_group_is_saved_and_an_unknown_one_refused(app, logged_in):
    save(logged_in, timezone="America/Argentina/Buenos_Aires")
    assert stored(app) == ("en", "America/Argentina/Buenos_Aires")
    page = save(logged_in, title="Kept", timezone="Mars/Olympus").get_data(as_text=True)
    assert 'value="Kept"' in page and "Not a valid choice." in page
    assert stored(app) == ("en", "America/Argentina/Buenos_Aires")


LABELLED_OPTION_RE = re.compile(r'<option (?:selected )?value="([^"]+)">([^<]*)</option>')


def zone_labels(page: str) -> dict[str, dict[str, str]]:
    """Each group's options, as {value: label}, in the page's order."""
    select = page[page.index('<select id="timezone"') :]
    select = select[: select.index("</select>")]
    return {
        label: dict(LABELLED_OPTION_RE.findall(body)) for label, body in OPTGROUP_RE.findall(select)
    }


def folded(label: str) -> str:
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()


def test_a_french_site_names_the_time_zones_in_french_and_stores_their_iana_names(app, logged_in):
    set_site(app, language="fr", timezone="Europe/Paris")
    groups = zone_labels(logged_in.get("/editor/settings").get_data(as_text=True))
    assert next(iter(groups)) == "Les plus courants"
    assert groups["Les plus courants"]["Europe/Brussels"] == "Bruxelles"
    assert groups["Europe"]["Europe/Brussels"] == "Bruxelles"
    assert groups["Europe"]["Europe/London"] == "Londres"
    assert groups["Amérique"]["America/New_York"] == "New York"
    assert groups["Océan Indien"]["Indian/Reunion"] == "La Réunion"
    # Montreal keeps Toronto's time, under Toronto's name in Babel's data: both stay apart.
    assert groups["Amérique"]["America/Toronto"] == "Toronto"
    assert groups["Amérique"]["America/Montreal"] == "Toronto (America/Montreal)"
    for zones in groups.values():  # sorted as French reads, accents aside
        labels = list(zones.values())
        assert len(set(labels)) == len(labels)  # no two options read the same
    europe = list(groups["Europe"].values())
    assert europe == sorted(europe, key=folded)
    save(logged_in, language="fr", timezone="Europe/Brussels")
    assert stored(app) == ("fr", "Europe/Brussels")


def test_an_english_site_names_the_time_zones_in_english(logged_in):
    groups = zone_labels(logged_in.get("/editor/settings").get_data(as_text=True))
    assert groups["Common"]["Europe/Brussels"] == "Brussels"
    assert groups["Europe"]["Europe/Brussels"] == "Brussels"
    assert groups["America"]["America/New_York"] == "New York"
    # The tz database's other names are no city: they keep their own name.
    assert groups["Other"]["Etc/GMT+5"] == "Etc/GMT+5"
    assert groups["Other"]["US/Eastern"] == "US/Eastern"
