"""The author's account page: the name her posts and comments show, and her e-mail address."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from . import bp
from .forms import AccountForm


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        form.populate_obj(current_user)
        db.session.commit()
        flash(_("Your account is saved."), "success")
        return redirect(url_for("editor.account"))
    return render_template("desk/account.html", form=form)
