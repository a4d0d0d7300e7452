"""What every template may use beyond Flask's own: stored HTML, typography, navigation, links."""

from __future__ import annotations

from flask import Flask, request, url_for
from markupsafe import Markup

from .. import markup
from ..kernel.settings import site_settings
from ..posts import nav_pages


def typeset(text: str) -> Markup:
    """A title in the site's typography (no-break spaces before French punctuation)."""
    return markup.typeset_text(text, site_settings().language)


def current_url(**changes) -> str:
    """The URL of this page with some query arguments changed (for pagination links)."""
    args = request.args.to_dict() | request.view_args | changes
    return url_for(request.endpoint, **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(html=markup.as_markup, typeset=typeset)
    app.add_template_global(current_url)
    app.add_template_global(nav_pages)
