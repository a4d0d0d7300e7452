"""The author's desk. Every route is behind login, enforced once for the whole blueprint."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, refresh
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from .. import markup
from ..autosaves import forget_autosave, pending_autosave
from ..clock import local_to_utc, utc_to_local, utcnow
from ..errors import is_disk_full
from ..extensions import db, login_manager
from ..models import POST, PUBLISHED, Post, Upload, reading_minutes
from ..posts import is_reserved_page_slug, parse_tag_names, render, tags_named
from ..previews import link_expires_at, preview_url
from ..revisions import record_revision
from ..site import localized_datetime, site_settings
from ..slugs import slugify
from ..uploads import UploadRefused, image_markdown, store_upload
from .fetch import session_expired, wants_json
from .forms import ALT_TEXT_MAX, ConfirmForm, PostForm, SettingsForm

bp = Blueprint("editor", __name__)


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        # The editor's scripts get a 401 they can explain, not a redirect to a login page.
        return session_expired() if wants_json() else login_manager.unauthorized()
    return None


@bp.get("/")
def dashboard():
    newest_first = func.coalesce(Post.published_at, Post.created_at).desc()
    posts = select(Post).where(Post.kind == POST)
    page = db.paginate(posts.order_by(newest_first, Post.id.desc()), per_page=50)
    return render_template("desk/posts/list.html", page=page)


def unique_slug(base: str, post_id: int | None, *, page: bool = False) -> str:
    """`base`, or `base-2`, `base-3`... the first address no other post uses (nor, for a page,
    the site itself: /archive/, /editor/...)."""
    taken = set(
        db.session.scalars(select(Post.slug).where(Post.slug.like(f"{base}%"), Post.id != post_id))
    )
    slug, n = base, 1
    while slug in taken or (page and is_reserved_page_slug(slug)):
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
        "nav_order": post.nav_order,
        "version": post.version,
    }


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def apply_form(post: Post, form: PostForm) -> None:
    """Copy the validated form onto the post and render its HTML."""
    settings = site_settings()
    post.title = form.title.data.strip()
    post.slug = form.slug.data or unique_slug(
        slugify(post.title) or post.kind, post.id, page=post.is_page
    )
    # Browsers send a textarea's lines with CRLF; stored with LF, a revision or an autosave of
    # the same text compares equal.
    post.body = normalize_newlines(form.body.data or "")
    post.tags = tags_named(parse_tag_names(form.tags.data or ""))
    post.status = form.status.data
    if form.published_at.data:
        post.published_at = local_to_utc(form.published_at.data, settings.timezone)
    elif post.status == PUBLISHED and not (post.is_page and post.published_at):
        post.published_at = utcnow()  # a page shows no date: publishing it again keeps the first
    post.allow_comments = form.allow_comments.data
    post.nav_order = form.nav_order.data if post.is_page else None
    post.version = (post.version or 0) + 1
    post.updated_at = utcnow()
    render(post, settings.language)


def saved_message(post: Post) -> str:
    if post.state == "scheduled":
        return _("Post scheduled for %(when)s.", when=localized_datetime(post.published_at))
    if post.state == PUBLISHED:
        return _("Page published.") if post.is_page else _("Post published.")
    return _("Draft saved.")


def save_post(post: Post | None, kind: str, form: PostForm) -> Post:
    """Store the validated form, in one commit: the post, a revision of it, and no autosave left
    for it (the saved text is newer)."""
    is_new = post is None
    if post is None:
        post = Post(author_id=current_user.id, kind=kind)
    with db.session.no_autoflush:  # not flushed half-filled by the queries apply_form makes
        apply_form(post, form)
    db.session.add(post)
    record_revision(post, current_user.id)
    forget_autosave(current_user.id, None if is_new else post.id, kind)
    db.session.commit()
    return post


def upload_image() -> tuple[Upload | None, str | None]:
    """Store the image sent with the post form (its Upload button works without JavaScript):
    the upload, or the message saying why it was refused."""
    try:
        upload = store_upload(request.files.get("image"), current_user.id)
    except UploadRefused as refused:
        return None, str(refused)
    db.session.commit()
    return upload, None


def writing_stats(body: str | None) -> dict:
    """Word count and reading time of the text in the form, as the editor shows them."""
    words = markup.word_count(body or "")
    return {"word_count": words, "reading_minutes": reading_minutes(words)}


DISK_FULL_MESSAGE = _l(
    "The site cannot save right now: the disk is full. Your text is kept here: copy it somewhere "
    "safe, or save again later."
)


def edit_post(post: Post | None, kind: str = POST):
    """The form for a new post or page (post None) or an existing one: preview, upload an image,
    restore an autosave, validate, save. Every POST but Save shows the form again as typed."""
    kind = post.kind if post is not None else kind
    data = form_data(post) if post else None
    autosave = pending_autosave(current_user.id, post, kind) if request.method == "GET" else None
    restored = False
    if autosave is not None and request.args.get("restore") == "autosave":
        # Only the form shows the autosaved text: the post changes when the author saves.
        data = (data or {}) | {"title": autosave.title, "body": autosave.body}
        autosave, restored = None, True
    form = PostForm(post_id=post.id if post else None, kind=kind, data=data)
    preview = conflict = upload = upload_error = None
    status = 200
    action = request.form.get("action") if request.method == "POST" else None
    if action == "preview":
        preview = markup.render_post(form.body.data or "", site_settings().language)
    elif action == "upload":
        upload, upload_error = upload_image()
    elif form.validate_on_submit():
        if post is not None and form.version.data != post.version:
            # Saved elsewhere since this form was opened: show both and let the author decide.
            conflict = post
            form.version.data = post.version
        else:
            try:
                saved = save_post(post, kind, form)
            except OperationalError as error:
                if not is_disk_full(error):
                    raise
                # Nothing was stored: the form comes back as typed and says why.
                db.session.rollback()
                form.body.errors = [*form.body.errors, DISK_FULL_MESSAGE]
                status = 503
            else:
                flash(saved_message(saved), "success")
                return redirect(url_for("editor.edit", post_id=saved.id))
    return render_template(
        "desk/posts/edit.html",
        form=form,
        post=post,
        kind=kind,
        preview=preview,
        conflict=conflict,
        autosave=autosave,
        restored=restored,
        upload=upload,
        upload_markdown=image_markdown(upload, request.form.get("image_alt", "")) if upload else "",
        upload_error=upload_error,
        alt_max=ALT_TEXT_MAX,
        preview_link=preview_url(post) if post else None,
        preview_expires=link_expires_at(post) if post else None,
        **writing_stats(form.body.data),
    ), status


@bp.route("/posts/new", methods=["GET", "POST"])
def new():
    return edit_post(None, POST)


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
    comments = len(post.comments)
    return render_template(
        "desk/confirm.html",
        form=form,
        heading=_("Delete “%(title)s”?", title=post.title),
        message=ngettext(
            "The post and its %(num)d comment will be deleted for good.",
            "The post and its %(num)d comments will be deleted for good.",
            comments,
        )
        if comments
        else _("The post will be deleted for good."),
        action=url_for("editor.delete", post_id=post.id),
        cancel=url_for("editor.edit", post_id=post.id),
    )


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
    return render_template("desk/settings.html", form=form)
