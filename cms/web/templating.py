"""What every template may use beyond Flask's own: stored HTML, typography, navigation, links."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request, url_for

from .. import markup
from ..authors import byline
from ..comments import spam
from ..comments.fields import linkable_website
from ..kernel.i18n import territory_locale
from ..kernel.settings import site_settings
from ..posts import nav_pages, post_url


def typeset(text: str) -> str:
    """How a title shows (a post's, a page's, the site's), in the tab, the meta, the feeds and the
    desk alike: in the site's typography (on a French site the typographic apostrophe and the
    no-break spaces before : ; ! ?). Plain text, escaped where it is shown like any other."""
    return markup.typeset_text(text, site_settings().language)


def current_url(**changes) -> str:
    """The URL of this page with some query arguments changed (for pagination links). The query
    is appended as it came, never passed to url_for as keywords: ?_method=POST, ?_scheme= or
    ?_anchor= would be url_for's own options there (a BuildError, or a link elsewhere)."""
    query = request.args.to_dict() | changes
    path = url_for(request.endpoint, **request.view_args)
    return f"{path}?{urlencode(query)}" if query else path


def canonical_url() -> str:
    """This page's address without tracking or other stray query arguments (page is kept)."""
    args = dict(request.view_args or {})
    if request.args.get("page", "1") != "1":
        args["page"] = request.args["page"]
    return url_for(request.endpoint, _external=True, **args)


def og_locale() -> str:
    """The site's language as og:locale ("fr_FR", "en_US")."""
    return territory_locale(site_settings().language)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        byline=byline,  # the name readers see of an author, "" for none
        html=markup.as_markup,
        typeset=typeset,
        comment_reason=spam.describe,  # why a comment was held or refused, for the desk
        web_address=linkable_website,
    )
    for function in (canonical_url, current_url, nav_pages, og_locale, post_url):
        app.add_template_global(function)
