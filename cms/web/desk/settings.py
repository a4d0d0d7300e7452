"""The site's settings page: title, language, time zone, listings, comments and their defences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from ...clock import DEFAULT_TIMEZONE
from ...extensions import db
from ...kernel.i18n import USUAL_TIMEZONES, timezone_for_language
from ...kernel.settings import ensure_settings_row, site_settings
from . import bp
from .forms import SettingsForm


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    current = ensure_settings_row() if request.method == "POST" else site_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        old_language = current.language
        form.populate_obj(current)
        # The page's script proposes the usual zone as the language changes: then the zone
        # sent is the one she saw and kept. Without the script, the same rule applies here.
        if request.form.get("timezone_proposed") != "1":
            chosen = current.timezone
            current.timezone = timezone_for_language(old_language, current.language, chosen)
        db.session.commit()
        refresh()  # the messages below in the language just chosen
        flash(_("Settings saved."), "success")
        if form.timezone.data != current.timezone:
            flash(
                _(
                    "The time zone is now %(zone)s, the usual one for this language: change it "
                    "below if the site lives elsewhere.",
                    zone=current.timezone,
                ),
                "warning",
            )
        return redirect(url_for("editor.settings"))
    return render_template(
        "desk/settings.html",
        form=form,
        usual_timezones=USUAL_TIMEZONES,
        default_timezone=DEFAULT_TIMEZONE,
    )
