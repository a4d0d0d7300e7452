"""The desk's posts: the list, the post form (new, edit, preview, image, save), deleting."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from ... import markup
from ...autosaves import pending_autosave
from ...clock import local_to_utc, utc_to_local
from ...extensions import db
from ...kernel.errors import is_disk_full
from ...kernel.http import requested_page
from ...kernel.i18n import localized_datetime
from ...kernel.settings import site_settings
from ...media import UploadRefused, image_markdown, store_upload
from ...models import ALT_TEXT_MAX, POST, PUBLISHED, Post, Upload, reading_minutes
from ...posts import PostChanges, desk_posts, parse_tag_names, save_post
from ...previews import link_expires_at, preview_url
from . import bp
from .forms import ConfirmForm, PostForm


@bp.get("/")
def dashboard():
    page = db.paginate(desk_posts(), page=requested_page(), per_page=50)
    return render_template("desk/posts/list.html", page=page)


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


def post_changes(form: PostForm, timezone: str) -> PostChanges:
    """The validated form as the changes to save (its local date made UTC)."""
    published_at = form.published_at.data
    return PostChanges(
        title=form.title.data,
        body=form.body.data or "",
        slug=form.slug.data or None,
        tag_names=tuple(parse_tag_names(form.tags.data or "")),
        status=form.status.data,
        published_at=local_to_utc(published_at, timezone) if published_at else None,
        allow_comments=form.allow_comments.data,
        nav_order=form.nav_order.data,
    )


def saved_message(post: Post) -> str:
    if post.state == "scheduled":
        return _("Post scheduled for %(when)s.", when=localized_datetime(post.published_at))
    if post.state == PUBLISHED:
        return _("Page published.") if post.is_page else _("Post published.")
    return _("Draft saved.")


def upload_image() -> tuple[Upload | None, str | None]:
    """Store the image sent with the post form (its Upload button works without JavaScript):
    the upload, or the message saying why it was refused."""
    try:
        stored = store_upload(
            request.files.get("image"), current_user.id, request.form.get("image_alt", "")
        )
    except UploadRefused as refused:
        return None, str(refused)
    db.session.commit()
    return stored.upload, None


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
            settings = site_settings()
            try:
                saved = save_post(
                    post,
                    kind,
                    post_changes(form, settings.timezone),
                    author_id=current_user.id,
                    language=settings.language,
                )
                db.session.commit()
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
