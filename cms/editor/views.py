"""The author's desk. Every route is behind login, enforced once for the whole blueprint."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import func, select

from .. import markup
from ..clock import local_to_utc, utc_to_local, utcnow
from ..extensions import db, login_manager
from ..models import PUBLISHED, Post
from ..posts import parse_tag_names, render, tags_named
from ..site import localized_datetime, site_settings
from ..slugs import slugify
from .forms import ConfirmForm, PostForm, SettingsForm

bp = Blueprint("editor", __name__)


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("/")
def dashboard():
    newest_first = func.coalesce(Post.published_at, Post.created_at).desc()
    page = db.paginate(select(Post).order_by(newest_first, Post.id.desc()), per_page=50)
    return render_template("editor/dashboard.html", page=page)


def unique_slug(base: str, post_id: int | None) -> str:
    """`base`, or `base-2`, `base-3`... the first address no other post uses."""
    taken = set(
        db.session.scalars(
            select(Post.slug).where(Post.slug.like(f"{base}%"), Post.id != post_id)
        )
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def form_data(post: Post) -> dict:
    """The stored post as the edit form shows it (dates in the site's time zone)."""
    tz = site_settings().timezone
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "tags": ", ".join(tag.name for tag in post.tags),
        "status": post.status,
        "published_at": utc_to_local(post.published_at, tz) if post.published_at else None,
        "allow_comments": post.allow_comments,
        "version": post.version,
    }


def apply_form(post: Post, form: PostForm) -> None:
    """Copy the validated form onto the post and render its HTML."""
    settings = site_settings()
    post.title = form.title.data.strip()
    post.slug = form.slug.data or unique_slug(slugify(post.title) or "post", post.id)
    post.body = form.body.data or ""
    post.tags = tags_named(parse_tag_names(form.tags.data or ""))
    post.status = form.status.data
    if form.published_at.data:
        post.published_at = local_to_utc(form.published_at.data, settings.timezone)
    elif post.status == PUBLISHED:
        post.published_at = utcnow()
    post.allow_comments = form.allow_comments.data
    post.version = (post.version or 0) + 1
    post.updated_at = utcnow()
    render(post, settings.language)


def saved_message(post: Post) -> str:
    if post.state == "scheduled":
        return _("Post scheduled for %(when)s.", when=localized_datetime(post.published_at))
    if post.state == PUBLISHED:
        return _("Post published.")
    return _("Draft saved.")


def edit_post(post: Post | None):
    """The post form for a new post (None) or an existing one: preview, validate, save."""
    form = PostForm(post_id=post.id if post else None, data=form_data(post) if post else None)
    preview = conflict = None
    if request.method == "POST" and request.form.get("action") == "preview":
        preview = markup.render_post(form.body.data or "", site_settings().language)
    elif form.validate_on_submit():
        if post is not None and form.version.data != post.version:
            # Saved elsewhere since this form was opened: show both and let the author decide.
            conflict = post
            form.version.data = post.version
        else:
            if post is None:
                post = Post(author_id=current_user.id)
            with db.session.no_autoflush:  # not flushed half-filled by the queries apply_form makes
                apply_form(post, form)
            db.session.add(post)
            db.session.commit()
            flash(saved_message(post), "success")
            return redirect(url_for("editor.edit", post_id=post.id))
    return render_template("editor/edit.html", form=form, post=post, preview=preview, conflict=conflict)


@bp.route("/posts/new", methods=["GET", "POST"])
def new():
    return edit_post(None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(post_id: int):
    return edit_post(db.get_or_404(Post, post_id))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id: int):
    post = db.get_or_404(Post, post_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = post.title
        db.session.delete(post)
        db.session.commit()
        flash(_("“%(title)s” was deleted.", title=title), "success")
        return redirect(url_for("editor.dashboard"))
    return render_template("editor/delete.html", post=post, form=form)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    current = site_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        form.populate_obj(current)
        db.session.commit()
        refresh()  # the message below in the language just chosen
        flash(_("Settings saved."), "success")
        return redirect(url_for("editor.settings"))
    return render_template("editor/settings.html", form=form)
