"""The desk's posts: the list, the post form (new, edit, preview, image, save, conflicts), deleting."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ... import markup
from ...autosaves import pending_autosave
from ...clock import local_to_utc, utc_to_local
from ...extensions import db
from ...kernel.errors import is_disk_full
from ...kernel.http import requested_page
from ...kernel.i18n import localized_datetime
from ...kernel.settings import site_settings
from ...kernel.text import normalize_newlines
from ...media import UploadRefused, image_markdown, store_upload
from ...models import ALT_TEXT_MAX, POST, PUBLISHED, Post, Upload, reading_minutes
from ...posts import (
    FIRST_VERSION,
    PostChanges,
    desk_posts,
    form_key_or_none,
    new_form_key,
    parse_tag_names,
    post_made_by_form,
    publishes_empty,
    save_post,
)
from ...previews import link_expires_at, preview_url
from ...revisions.diff import line_diff
from ..templating import current_url, typeset
from . import bp
from .forms import ConfirmForm, PostForm
from .session_ends import KEPT_FIELDS, keeps_text, kept_fields, token_is_valid


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


def saved_message(post: Post, was_published: bool) -> str:
    """What the save did: a post already public is updated, not published again."""
    if post.state == "scheduled":
        return _("Post scheduled for %(when)s.", when=localized_datetime(post.published_at))
    if post.state == PUBLISHED and was_published:
        return _("Page updated.") if post.is_page else _("Post updated.")
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


def image_on_its_way() -> bool:
    """Whether the post form came with an image being added: a file chosen, or a description
    typed. Enter (the form's first button, action "enter") then means that image, not a save:
    without JavaScript, Enter in the description field presses that button."""
    file = request.files.get("image")
    return bool(file and file.filename) or bool(request.form.get("image_alt", "").strip())


def writing_stats(body: str | None) -> dict:
    """Word count and reading time of the text in the form, as the editor shows them."""
    words = markup.word_count(body or "")
    return {"word_count": words, "reading_minutes": reading_minutes(words)}


DISK_FULL_MESSAGE = _l(
    "The site cannot save right now: the disk is full. Your text is kept here: copy it somewhere "
    "safe, or save again later."
)
SENT_TWICE_MESSAGE = _l("This form had already saved this post: it was updated, not saved twice.")
EMPTY_TEXT_MESSAGE = _l(
    "There is no text: published, readers would find an empty page. Write some, keep it as a "
    "draft, or publish it without text."
)


def the_form_key() -> str | None:
    """The key of a new post's form: the one it sent, else the one its address names (opened
    again); None when neither is one."""
    sent = request.form.get("form_key") if request.method == "POST" else None
    return form_key_or_none(sent) or form_key_or_none(request.args.get("form"))


def with_a_form_key():
    """The new-post form's address with a fresh key in it. Back to the form, a browser asks for
    that address again and puts back the text typed in it but no hidden field (Chromium), so
    only the address can say it is the same form: saved again, it updates the post it made
    instead of making a copy (posts.post_made_by_form)."""
    return redirect(current_url(form=new_form_key()))  # the rest of the query as it came


def edit_post(post: Post | None, kind: str = POST):
    """The form for a new post or page (post None) or an existing one: preview, upload an image,
    restore an autosave, validate, save. Every POST but a successful save shows the form again
    as typed. Saved over by someone else since the form was opened, it shows what differs and
    replaces the other version only when the author asks (action "overwrite")."""
    kind = post.kind if post is not None else kind
    form_key = the_form_key() if post is None else None
    if post is None and form_key is None:
        if request.method == "GET":
            return with_a_form_key()
        form_key = new_form_key()
    made_by_form = post_made_by_form(form_key)
    sent_again = request.method == "POST" and made_by_form is not None
    if sent_again:
        # The same new-post form sent again (Back, then Save): it goes on with the post it made,
        # of which it saw the first version only.
        post, kind = made_by_form, made_by_form.kind
    data = form_data(post) if post else None
    autosave = kept = None
    if request.method == "GET" and made_by_form is None:
        autosave = pending_autosave(current_user.id, post, kind)
        if request.args.get("restore") == "autosave":
            kept = kept_fields(post, kind)  # the rest of a form whose save waited for a login
    restored = False
    if autosave is not None and request.args.get("restore") == "autosave":
        # Only the form shows the autosaved text: the post changes when the author saves.
        data = (data or {}) | {"title": autosave.title, "body": autosave.body}
        autosave, restored = None, True
    # Form data: what the request sent, or on a GET the fields that waited for the login.
    sent = {} if kept is None else {"formdata": kept}
    form = PostForm(**sent, post_id=post.id if post else None, kind=kind, data=data)
    form.form_key.data = form_key
    if sent_again:
        form.version.data = FIRST_VERSION
    preview = conflict = upload = upload_error = None
    stale = confirm_empty = False
    status = 200
    action = request.form.get("action") if request.method == "POST" else None
    if request.method == "POST" and not token_is_valid():
        # Logged in again since the form was served (another tab): nothing done, text kept.
        stale, status = True, 400
    elif action == "preview":
        preview = markup.render_post(form.body.data or "", site_settings().language)
    elif action == "upload" or (action == "enter" and image_on_its_way()):
        upload, upload_error = upload_image()
    elif form.validate_on_submit():
        settings = site_settings()
        changes = post_changes(form, settings.timezone)
        replacing = action == "overwrite" and post is not None
        if replacing and request.form.get("overwrite_version") != str(post.version):
            replacing = False  # saved again since the comparison was shown: show the new one
        if post is not None and form.version.data != post.version and not replacing:
            # Saved elsewhere since this form was opened: nothing is replaced until the author
            # has seen what differs and chosen to.
            conflict, status = post, 409
        elif action != "publish-empty" and publishes_empty(post, changes):
            form.body.errors = [*form.body.errors, EMPTY_TEXT_MESSAGE]
            confirm_empty = True
        else:
            was_published = post is not None and post.state == PUBLISHED
            try:
                saved = save_post(
                    post,
                    kind,
                    changes,
                    author_id=current_user.id,
                    language=settings.language,
                    form_key=form_key,
                )
                db.session.commit()
            except OperationalError as error:
                if not is_disk_full(error):
                    raise
                # Nothing was stored: the form comes back as typed and says why.
                db.session.rollback()
                form.body.errors = [*form.body.errors, DISK_FULL_MESSAGE]
                status = 503
            except IntegrityError:
                # The same form sent twice at once: the other request made the post.
                db.session.rollback()
                made = post_made_by_form(form_key)
                if made is None:
                    raise
                flash(str(SENT_TWICE_MESSAGE), "success")
                return redirect(url_for("editor.edit", post_id=made.id))
            else:
                message = saved_message(saved, was_published)
                if sent_again:
                    message = f"{message} {SENT_TWICE_MESSAGE}"
                flash(message, "success")
                return redirect(url_for("editor.edit", post_id=saved.id))
    return render_template(
        "desk/posts/edit.html",
        form=form,
        post=post,
        kind=kind,
        form_key=form_key,
        made_by_form=made_by_form,
        preview=preview,
        conflict=conflict,
        diff=line_diff(conflict.body, normalize_newlines(form.body.data or "")) if conflict else [],
        stale=stale,
        confirm_empty=confirm_empty,
        autosave=autosave,
        restored=restored,
        logged_in_again=kept is not None,
        kept_fields=KEPT_FIELDS,
        upload=upload,
        upload_markdown=image_markdown(upload, request.form.get("image_alt", "")) if upload else "",
        upload_error=upload_error,
        alt_max=ALT_TEXT_MAX,
        preview_link=preview_url(post) if post else None,
        preview_expires=link_expires_at(post) if post else None,
        **writing_stats(form.body.data),
    ), status


@bp.route("/posts/new", methods=["GET", "POST"])
@keeps_text(POST)
def new():
    return edit_post(None, POST)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@keeps_text()
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
        flash(_("“%(title)s” was deleted.", title=typeset(title)), "success")
        return redirect(url_for("editor.dashboard"))
    comments = len(post.comments)
    return render_template(
        "desk/confirm.html",
        form=form,
        heading=_("Delete “%(title)s”?", title=typeset(post.title)),
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
