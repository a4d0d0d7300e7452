"""Login with a throttle per client address and per account, and logout as a POST."""

import functools
import hmac

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ...authors import find_author
from ...extensions import db
from ...kernel import throttle
from ...kernel.http import safe_next
from ...models import USERNAME_MAX, Author
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong name costs as much time as a wrong
    password. Made on first use: hashing takes a fifth of a second every worker need not pay."""
    return generate_password_hash("causerie-timing-equaliser")


def init_login(login_manager: LoginManager, app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")

    @login_manager.user_loader
    def load_author(user_id: str) -> Author | None:
        """The author whose `get_id()` this is, while their session token is still current."""
        author_id, _, token = user_id.partition(":")
        if not author_id.isdigit() or not token:
            return None
        author = db.session.get(Author, int(author_id))
        if author is None or not hmac.compare_digest(author.session_token, token):
            return None
        return author


def _throttle_keys(username: str) -> tuple[str, str]:
    return f"login-client:{request.remote_addr}", f"login-account:{username.lower()[:USERNAME_MAX]}"


def _is_throttled(username: str) -> bool:
    client_key, account_key = _throttle_keys(username)
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    return throttle.is_limited(
        client_key, current_app.config["LOGIN_ATTEMPTS_PER_CLIENT"], window
    ) or throttle.is_limited(account_key, current_app.config["LOGIN_ATTEMPTS_PER_ACCOUNT"], window)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("editor.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)

    username = form.username.data.strip()
    if _is_throttled(username):
        minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
        form.password.errors.append(
            _(
                "Too many failed attempts. Please wait %(minutes)d minutes and try again.",
                minutes=minutes,
            )
        )
        return render_template("auth/login.html", form=form), 429

    author = find_author(username)
    if author is None:
        check_password_hash(_dummy_hash(), form.password.data)
    if author is None or not author.check_password(form.password.data):
        for key in _throttle_keys(username):
            throttle.record(key)
        db.session.commit()
        # One message for a wrong name and a wrong password: it tells nobody which accounts exist.
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form)

    for key in _throttle_keys(username):
        throttle.forget(key)
    if not author.session_token:  # a row older than the column: give it one before it is needed
        author.end_sessions()
    db.session.commit()
    session.clear()  # a fresh session at login: nothing planted before it survives
    login_user(author)
    flash(_("Welcome back, %(name)s.", name=author.display_name), "success")
    return redirect(safe_next(form.next.data) or url_for("editor.dashboard"))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        current_user.end_sessions()  # a copy of the old cookie must not stay logged in
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("blog.index"))
