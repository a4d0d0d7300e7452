"""The author's account page: the name her posts and comments show, her e-mail address, and her
password, changed with the current one."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ...authors import byline, count_password_attempt, forget_wrong_passwords
from ...extensions import db
from ...kernel.http import client_network
from ..auth import wait_message
from . import bp
from .forms import AccountForm, PasswordForm


def _account_form() -> AccountForm:
    """Her name and address as stored; the name field empty while readers see none (it must not
    offer her login name back)."""
    data = {"display_name": byline(current_user), "email": current_user.email}
    return AccountForm(data=data, username=current_user.username)


def _account_page(form: AccountForm | None = None, password_form: PasswordForm | None = None):
    return render_template(
        "desk/account.html",
        form=form or _account_form(),
        password_form=password_form or PasswordForm(formdata=None),
    )


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = _account_form()
    if form.validate_on_submit():
        form.populate_obj(current_user)
        db.session.commit()
        flash(_("Your account is saved."), "success")
        return redirect(url_for("editor.account"))
    return _account_page(form)


@bp.post("/account/password")
def change_password():
    """A new password, once the current one is checked: wrong ones are counted and slowed down
    with the login form's, and the change logs out every other session."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _account_page(password_form=form)
    author = current_user._get_current_object()
    network = client_network(request.remote_addr)
    wait = count_password_attempt(author.username, network)
    db.session.commit()  # the password is hashed below without holding the write lock
    if wait:
        form.current_password.errors.append(wait_message(wait))
        return _account_page(password_form=form), 429, {"Retry-After": str(math.ceil(wait))}
    if not author.check_password(form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        return _account_page(password_form=form)
    forget_wrong_passwords(author.username, network)
    author.set_password(form.new_password.data)  # a new session token: every cookie is void
    db.session.commit()
    login_user(author)  # this browser alone gets a cookie with the new token
    flash(_("Your password is changed. Your other sessions are logged out."), "success")
    return redirect(url_for("editor.account"))
