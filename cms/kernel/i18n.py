"""The site's language and time zone for Flask-Babel, dates formatted in them, time zones named in
the language, WTForms' messages."""

from __future__ import annotations

import contextlib
import functools
import unicodedata
from datetime import UTC, date, datetime, tzinfo

from babel import Locale, support
from babel.core import get_global
from babel.dates import DateTimePattern, get_timezone_location
from flask import Flask, g, has_request_context
from flask_babel import format_date, format_time, get_locale, get_timezone, gettext
from wtforms.i18n import messages_path

from ..clock import DEFAULT_TIMEZONE, timezone_regions
from . import http
from .settings import site_settings

# The time zone a site in this language most likely lives in, when one stands out.
USUAL_TIMEZONES = {"fr": "Europe/Paris"}


def timezone_for_language(old_language: str, new_language: str, timezone: str) -> str:
    """The time zone to keep when a site changes its language: the new language's usual zone
    when the site still has the default one, which nobody chose (a French site then gets French
    time); whatever was chosen otherwise, and always when the language stays the same."""
    if new_language == old_language or timezone != DEFAULT_TIMEZONE:
        return timezone
    return USUAL_TIMEZONES.get(new_language, timezone)


def select_locale() -> str:
    return site_settings().language


def select_timezone() -> str:
    return site_settings().timezone


def _date_patterns() -> tuple[Locale, tzinfo, DateTimePattern, DateTimePattern]:
    """The site's locale and zone with its long date and short time patterns, looked up once per
    request: Flask-Babel's format_date looks them up again for every date, which made a page of
    fifty dated comments take longer to format than to query."""
    if "date_patterns" not in g:
        locale = get_locale()
        g.date_patterns = (
            locale,
            get_timezone(),
            locale.date_formats["long"],
            locale.time_formats["short"],
        )
    return g.date_patterns


def _in_site_zone(value: datetime, zone: tzinfo) -> datetime:
    """A naive UTC datetime (or an aware one) as wall-clock time in the site's zone."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def localized_date(value: datetime | None) -> str:
    """'24 novembre 2026' / 'November 24, 2026' in the site's language and time zone."""
    if not value:
        return ""
    if not has_request_context():
        return format_date(value, "long")
    locale, zone, long_date, _ = _date_patterns()
    return long_date.apply(_in_site_zone(value, zone).date(), locale)


def localized_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """'24 novembre 2026 à 14:05' / 'November 24, 2026 at 2:05 PM'; with seconds, '14:05:09' /
    '2:05:09 PM' (saves a few seconds apart, in a list of revisions)."""
    if value is None:
        return ""
    width = "medium" if seconds else "short"
    if not has_request_context():
        return gettext(
            "%(date)s at %(time)s",
            date=format_date(value, "long"),
            time=format_time(value, width),
        )
    locale, zone, long_date, short_time = _date_patterns()
    local = _in_site_zone(value, zone)
    time_pattern = locale.time_formats["medium"] if seconds else short_time
    return gettext(
        "%(date)s at %(time)s",
        date=long_date.apply(local.date(), locale),
        time=time_pattern.apply(local, locale),
    )


def localized_datetime_seconds(value: datetime | None) -> str:
    return localized_datetime(value, seconds=True)


def month_year(value: datetime) -> str:
    """'novembre 2026' / 'November 2026' for a month's first day (already in the site's zone)."""
    return format_date(date(value.year, value.month, 1), "LLLL y")


def iso_datetime(value: datetime | None) -> str:
    """RFC 3339 UTC timestamp, for <time datetime>, feeds and sitemaps."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


@functools.cache
def territory_locale(language: str) -> str:
    """The language with a territory, as Open Graph wants it ("fr" gives "fr_FR", "en" "en_US",
    "pt_BR" stays): a bare language takes its most likely territory from CLDR's likely subtags.
    A language CLDR knows no territory for is returned alone."""
    locale = Locale.parse(language)
    if locale.territory is None:
        likely = get_global("likely_subtags")
        if subtags := likely.get(str(locale)) or likely.get(locale.language):
            locale = Locale.parse(subtags)
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def collation_key(text: str) -> tuple[str, str]:
    """Sorts as a reader of French or English expects: accents and case aside first ("Écosse"
    among the E), then as written, so that the order never depends on the input's."""
    letters = unicodedata.normalize("NFKD", text)
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold(), text


@functools.cache
def timezone_labels(language: str) -> dict[str, str]:
    """Every time zone's label in `language`, by its IANA name.

    A zone of a region is named by its city from Babel's data ("Bruxelles" for Europe/Brussels in
    French, "Brussels" in English). The tz database's other names (UTC, CET, Etc/GMT+5, US/Eastern)
    keep their own: a city would hide what they are (Etc/GMT+5 is five hours behind UTC). Where
    Babel gives several zones the same city, all but the one it names it for (the others are its
    aliases) add their own name: "Toronto (America/Montreal)". Worked out once per language:
    Babel takes half a second for the 600 zones."""
    locale = Locale.parse(language)
    labels: dict[str, str] = {}
    for region, names in timezone_regions().items():
        for name in names:
            city = ""
            # A zone Babel has no data for (LookupError) keeps its own name.
            with contextlib.suppress(LookupError):
                city = region and get_timezone_location(name, locale=locale, return_city=True)
            labels[name] = city or name.replace("_", " ")
    by_label: dict[str, list[str]] = {}
    for name, label in labels.items():
        by_label.setdefault(label, []).append(name)
    aliases = get_global("zone_aliases")
    for label, names in by_label.items():
        if len(names) == 1:
            continue
        canonical = [name for name in names if name not in aliases]
        keeps_label = canonical[0] if len(canonical) == 1 else None
        for name in names:
            if name != keeps_label:
                labels[name] = f"{label} ({name.replace('_', ' ')})"
    return labels


@functools.cache
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Request(http.Request):
    """The site's request (kernel.http), with WTForms' own messages ("Not a valid integer") in
    the site's language read once per process: Flask-WTF would parse their catalogue again for
    every form, a millisecond of each comment posted. Flask-WTF looks for this attribute first."""

    @functools.cached_property
    def wtforms_translations(self) -> support.Translations:
        return _wtforms_translations(str(get_locale()))


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.jinja_env.filters.update(
        date=localized_date,
        datetime=localized_datetime,
        datetime_seconds=localized_datetime_seconds,
        isodate=iso_datetime,
        month_year=month_year,
    )
