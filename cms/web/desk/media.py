"""The author's images: uploading (from a form or the editor's script), the media page, their
descriptions, deleting."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...kernel.http import requested_page
from ...media import (
    ALT_TEXT_MAX,
    UploadRefused,
    delete_upload_file,
    describe,
    human_size,
    image_markdown,
    posts_using,
    store_upload,
    thumbnail_name,
)
from ...models import Upload
from . import bp
from .forms import ConfirmForm
from .script_requests import checks_csrf_itself, wants_json

THUMBNAIL_WIDTH = 120

bp.add_app_template_filter(human_size, "filesize")


@bp.app_template_global()
def upload_limit() -> str:
    """The largest image accepted ('8 MB'), for the help texts of the upload forms."""
    return human_size(current_app.config["UPLOAD_MAX_BYTES"])


def thumbnail_size(upload: Upload) -> tuple[int, int]:
    """Width and height for the media page's thumbnail: the image itself, scaled down."""
    if upload.width <= THUMBNAIL_WIDTH:
        return upload.width, upload.height
    return THUMBNAIL_WIDTH, max(1, round(upload.height * THUMBNAIL_WIDTH / upload.width))


def media_page_url(page: int | None = None) -> str:
    """The media page, at the page of the list a form was sent from."""
    return url_for("editor.media", page=page) if page and page > 1 else url_for("editor.media")


@bp.post("/media/upload")
@checks_csrf_itself
def upload():
    """Store an image. Scripts get JSON with the Markdown to insert; the media page's form gets
    a redirect back with it (or with the reason for a refusal)."""
    alt = request.form.get("alt", "")
    try:
        stored = store_upload(request.files.get("image"), current_user.id, alt)
    except UploadRefused as refused:
        if wants_json():
            return jsonify(error="refused", message=str(refused)), 400
        flash(str(refused), "error")
        return redirect(url_for("editor.media"))
    db.session.commit()
    markdown = image_markdown(stored.upload, alt)
    if wants_json():
        url = url_for("blog.media_file", name=stored.upload.name)
        return jsonify(
            name=stored.upload.name,
            url=url,
            markdown=markdown,
            already_stored=stored.already_stored,
        ), 200 if stored.already_stored else 201
    if stored.already_stored:
        message = _(
            "This image was already uploaded. Its Markdown: %(markdown)s", markdown=markdown
        )
    else:
        message = _("Image uploaded. Its Markdown: %(markdown)s", markdown=markdown)
    flash(message, "success")
    return redirect(url_for("editor.media"))


@bp.get("/media")
def media():
    page = db.paginate(
        select(Upload).order_by(Upload.created_at.desc(), Upload.id.desc()),
        page=requested_page(),
        per_page=50,
    )
    usage = posts_using([item.name for item in page.items])
    return render_template(
        "desk/media/list.html",
        page=page,
        usage=usage,
        thumbnail_size=thumbnail_size,
        thumbnail_name=thumbnail_name,
        image_markdown=image_markdown,
        form=ConfirmForm(),
        alt_max=ALT_TEXT_MAX,
    )


@bp.route("/media/<int:upload_id>/description", methods=["GET", "POST"])
def describe_upload(upload_id: int):
    """Change an image's description: from its row of the media page (back to it once saved)
    or from this page, which shows a refusal with the text as typed."""
    item = db.get_or_404(Upload, upload_id)
    form = ConfirmForm()
    alt, error = item.alt, None
    if form.validate_on_submit():
        alt = request.form.get("alt", "")
        try:
            describe(item, alt)
        except UploadRefused as refused:
            error = str(refused)
        else:
            db.session.commit()
            flash(_("The description of %(name)s was saved.", name=item.name), "success")
            return redirect(media_page_url(request.form.get("page", type=int)))
    return render_template(
        "desk/media/describe.html",
        upload=item,
        alt=alt,
        error=error,
        page=request.form.get("page", type=int),
        thumbnail_size=thumbnail_size,
        thumbnail_name=thumbnail_name,
        form=form,
        alt_max=ALT_TEXT_MAX,
    )


@bp.route("/media/<int:upload_id>/delete", methods=["GET", "POST"])
def delete_upload(upload_id: int):
    """Delete an image. One that a post uses is deleted only from the confirmation page, which
    names those posts; an unused one straight from the media page's button."""
    item = db.get_or_404(Upload, upload_id)
    used_by = posts_using([item.name])[item.name]
    form = ConfirmForm()
    confirmed = not used_by or request.form.get("confirm") == "yes"
    if form.validate_on_submit() and confirmed:
        db.session.delete(item)
        db.session.commit()
        delete_upload_file(item)  # after the commit: a failed commit leaves the file in place
        flash(_("The image %(name)s was deleted.", name=item.name), "success")
        return redirect(url_for("editor.media"))
    return render_template(
        "desk/media/delete.html",
        upload=item,
        used_by=used_by,
        thumbnail_size=thumbnail_size,
        thumbnail_name=thumbnail_name,
        form=form,
    )
