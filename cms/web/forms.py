"""The public comment form, and the author's form to edit a comment: same fields, same rules."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..comments.fields import (
    BODY_MAX,
    EMAIL_MAX,
    EMAIL_RE,
    NAME_MAX,
    WEBSITE_MAX,
    clean_text,
    is_web_address,
    lowercase,
    name_line,
    normalize_website,
)
from ..kernel.http import record_id
from ..kernel.settings import site_settings
from ..kernel.text import one_line


def _body_fits(_form, field) -> None:
    """The body's limit, with both numbers written as the counter writes them ("5 000")."""
    if len(field.data or "") > BODY_MAX:
        raise ValidationError(
            _(
                "Your comment is %(length)s characters long; the limit is %(max)s. "
                "Please shorten it.",
                length=format_decimal(len(field.data)),
                max=format_decimal(BODY_MAX),
            )
        )


class CommentFields(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[name_line],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=NAME_MAX, message=_l("A name can be at most %(max)d characters long.")),
        ],
    )
    email = StringField(
        _l("E-mail"),
        filters=[one_line, lowercase],
        validators=[Length(max=EMAIL_MAX, message=_l("This e-mail address is too long."))],
    )
    website = StringField(
        _l("Website"),
        filters=[normalize_website],
        validators=[Length(max=WEBSITE_MAX, message=_l("This address is too long."))],
        description=_l("Optional. Your name will link to it."),
    )
    body = TextAreaField(
        _l("Comment"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please write your comment.")),
            _body_fits,
        ],
        description=_l(
            "Plain text with a little Markdown: *emphasis*, **bold**, `code`, > quotes. "
            "Addresses become links."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email_required = site_settings().require_email
        self.email.description = (
            _l("Required, never shown.") if self.email_required else _l("Optional, never shown.")
        )

    def validate_email(self, field: StringField) -> None:
        if not field.data:
            if self.email_required:
                raise ValidationError(_l("Please enter your e-mail address."))
            return
        if not EMAIL_RE.fullmatch(field.data):
            raise ValidationError(
                _l("This does not look like an e-mail address (name@example.com).")
            )

    def validate_website(self, field: StringField) -> None:
        if field.data and not is_web_address(field.data):
            raise ValidationError(
                _l(
                    "Please give a web address starting with http:// or https://, "
                    "or leave it empty."
                )
            )


class CommentForm(CommentFields):
    """The public form. No session CSRF token: the signed `token` and the Origin check replace
    it (see comments.views), so serving it creates no session."""

    class Meta:
        csrf = False

    body_max = BODY_MAX  # the counter's limit (comments.js), the validator's own
    token = HiddenField()
    parent_id = HiddenField()
    # The honeypot: hidden from people and screen readers, filled in by robots.
    subject = StringField(_l("Leave this field empty"))
    remember = BooleanField(_l("Remember my name, e-mail and website on this browser"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids of their own, so that they never collide with a heading's id in the post above.
        for field in self:
            field.id = field.label.field_id = f"comment-{field.name}"

    def parent_id_value(self) -> int | None:
        return record_id((self.parent_id.data or "").strip())


class CommentEditForm(CommentFields):
    """The author's edit of a comment, CSRF-protected like every editor form."""
