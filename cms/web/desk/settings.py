"""The site's settings page: title, language, time zone, listings, comments and their defences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from ...extensions import db
from ...kernel.settings import ensure_settings_row, site_settings
from . import bp
from .forms import SettingsForm


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    current = ensure_settings_row() if request.method == "POST" else site_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        form.populate_obj(current)
        db.session.commit()
        refresh()  # the message below in the language just chosen
        flash(_("Settings saved."), "success")
        return redirect(url_for("editor.settings"))
    return render_template("desk/settings.html", form=form)
