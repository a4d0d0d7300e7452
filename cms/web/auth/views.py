"""Login, slowed down for one account from one network after wrong passwords and capped per
network (cms.authors.password_attempts); logout as a POST."""

import functools
import hmac
import json
import math

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ...authors import count_password_attempt, desk_name, find_author, forget_wrong_passwords
from ...autosaves import keep_unsent_text
from ...clock import utcnow
from ...extensions import db
from ...kernel.http import client_network, record_id, safe_next
from ...models import Author
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
        number = record_id(author_id)
        if number is None or not token:
            return None
        author = db.session.get(Author, number)
        if author is None or not hmac.compare_digest(author.session_token, token):
            return None
        return author


def _network() -> str:
    return client_network(request.remote_addr)


def wait_message(seconds: float) -> str:
    """What a form says when a password attempt must wait `seconds`."""
    if seconds < 90:
        return ngettext(
            "Too many failed attempts. Please wait %(num)d second and try again.",
            "Too many failed attempts. Please wait %(num)d seconds and try again.",
            math.ceil(seconds),
        )
    return ngettext(
        "Too many failed attempts. Please wait %(num)d minute and try again.",
        "Too many failed attempts. Please wait %(num)d minutes and try again.",
        math.ceil(seconds / 60),
    )


# Where the login leaves a post form's other fields for the editor page it leads to: in the
# session cookie, which a browser refuses past 4 KB, and the login with it. So they are kept up
# to this many characters as the session stores them (JSON, non-ASCII escaped): a whole form
# in a Latin script, a few hundred characters of tags in another.
_KEPT_FIELDS = "kept_fields"
KEPT_FIELDS_MAX = 2000


def kept_fields_fit(packed: str) -> bool:
    """Whether the packed fields fit in the session beside the login (see KEPT_FIELDS_MAX)."""
    return len(json.dumps(packed)) <= KEPT_FIELDS_MAX


def take_kept_fields() -> str | None:
    """The post form's other fields this login carried (as the desk packed them), once."""
    return session.pop(_KEPT_FIELDS, None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("editor.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)

    username = form.username.data.strip()
    wait = count_password_attempt(username, _network())
    db.session.commit()  # the password is hashed below without holding the write lock
    if wait:
        form.password.errors.append(wait_message(wait))
        page = render_template("auth/login.html", form=form)
        return page, 429, {"Retry-After": str(math.ceil(wait))}

    author = find_author(username)
    if author is None:
        check_password_hash(_dummy_hash(), form.password.data)
    if author is None or not author.check_password(form.password.data):
        # One message for a wrong name and a wrong password: it tells nobody which accounts exist.
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form)

    forget_wrong_passwords(username, _network())
    if not author.session_token:  # a row older than the column: give it one before it is needed
        author.end_sessions()
    first_login = author.last_login_at is None
    author.last_login_at = utcnow()
    if form.keeps_text:
        # A post form's text whose save arrived after her session ended: the editor `next`
        # names offers it back as her autosave.
        keep_unsent_text(
            author.id,
            record_id(form.kept_post.data),
            form.kept_kind.data,
            form.kept_title.data or "",
            form.kept_body.data or "",
        )
    db.session.commit()
    session.clear()  # a fresh session at login: nothing planted before it survives
    login_user(author)
    if form.keeps_text and form.kept_fields.data and kept_fields_fit(form.kept_fields.data):
        session[_KEPT_FIELDS] = form.kept_fields.data
    if first_login:
        flash(_("Welcome, %(name)s.", name=desk_name(author)), "success")
    else:
        flash(_("Welcome back, %(name)s.", name=desk_name(author)), "success")
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
