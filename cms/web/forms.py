"""The public comment form, and the author's form to edit a comment: same fields, same rules."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..kernel.settings import site_settings
from ..kernel.text import normalize_newlines

NAME_MAX, EMAIL_MAX, WEBSITE_MAX, BODY_MAX = 100, 254, 500, 5000

# Control characters other than tab and newline have no business in a comment.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Deliberately simple: a local part without spaces or markup characters, and a dotted domain.
_EMAIL_RE = re.compile(r"[^@\s<>()\[\]\\,;:\"`]+@[\w-]+(?:\.[\w-]+)+")
# A typed "example.com/blog" is read as https://example.com/blog.
_BARE_DOMAIN_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:[/?#:]|$)", re.IGNORECASE)
_URL_FORBIDDEN_RE = re.compile(r"[\s\"'<>`\\]")


def one_line(value: str | None) -> str:
    """A name or address as one trimmed line: control characters dropped, spaces collapsed."""
    return " ".join(_CONTROL_RE.sub("", value or "").split())


def clean_text(value: str | None) -> str:
    """A comment body with Unix line ends, no control characters, and no blank edges."""
    return _CONTROL_RE.sub("", normalize_newlines(value or "")).strip()


def lowercase(value: str | None) -> str:
    return (value or "").lower()


def normalize_website(value: str | None) -> str:
    value = one_line(value)
    return f"https://{value}" if _BARE_DOMAIN_RE.match(value) else value


def is_web_address(value: str) -> bool:
    """An absolute http(s) address with a host, and nothing that could break out of an attribute."""
    if _URL_FORBIDDEN_RE.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def linkable_website(value: str | None) -> str:
    """The address when it is safe to link to, else "" (imported comments were never checked)."""
    return value if value and is_web_address(value) else ""


class CommentFields(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[one_line],
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
            Length(
                max=BODY_MAX,
                message=_l(
                    "Your comment is %(length)d characters long; the limit is %(max)d. "
                    "Please shorten it."
                ),
            ),
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
        if not _EMAIL_RE.fullmatch(field.data):
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
        value = (self.parent_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 12 else None


class CommentEditForm(CommentFields):
    """The author's edit of a comment, CSRF-protected like every editor form."""
