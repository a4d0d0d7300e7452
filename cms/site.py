"""Runtime site settings (language, title, comments switch...) and what every template can use."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import format_date, format_time, gettext
from markupsafe import Markup

from . import markup
from .extensions import db
from .models import SiteSettings


def site_settings() -> SiteSettings:
    """The settings row, read once per request (never cached across requests, so a change made
    by any worker process shows on the very next request everywhere). Created when missing."""
    if "site" not in g:
        settings = db.session.get(SiteSettings, 1)
        if settings is None:
            settings = SiteSettings(id=1, language=current_app.config["BABEL_DEFAULT_LOCALE"])
            db.session.add(settings)
            db.session.commit()
        g.site = settings
    return g.site


def select_locale() -> str:
    return site_settings().language


def select_timezone() -> str:
    return site_settings().timezone


def localized_date(value: datetime | None) -> str:
    """'24 novembre 2026' / 'November 24, 2026' in the site's language and time zone."""
    return format_date(value, "long") if value else ""


def localized_datetime(value: datetime | None) -> str:
    """'24 novembre 2026 à 14:05' / 'November 24, 2026 at 2:05 PM'."""
    if value is None:
        return ""
    return gettext(
        "%(date)s at %(time)s", date=format_date(value, "long"), time=format_time(value, "short")
    )


def month_year(value: datetime) -> str:
    """'novembre 2026' / 'November 2026' for a month's first day (already in the site's zone)."""
    return format_date(date(value.year, value.month, 1), "LLLL y")


def iso_datetime(value: datetime | None) -> str:
    """RFC 3339 UTC timestamp, for <time datetime>, feeds and sitemaps."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def typeset(text: str) -> Markup:
    """A title in the site's typography (no-break spaces before French punctuation)."""
    return markup.typeset_text(text, site_settings().language)


def current_url(**changes) -> str:
    """The URL of this page with some query arguments changed (for pagination links)."""
    args = request.args.to_dict() | request.view_args | changes
    return url_for(request.endpoint, **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=localized_date,
        datetime=localized_datetime,
        isodate=iso_datetime,
        month_year=month_year,
        html=markup.as_markup,
        typeset=typeset,
    )

    app.add_template_global(current_url)

    @app.context_processor
    def site_context() -> dict:
        if not has_request_context():
            return {}
        return {"site": site_settings()}
