"""Forms of the author's desk: a post, the site settings, a confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..clock import is_timezone, timezone_names
from ..extensions import db
from ..models import DRAFT, PUBLISHED, Post
from ..slugs import is_valid_slug

LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class PostForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Lowercase letters, digits and hyphens. Left empty, it is made from the title."),
    )
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=1_000_000)])
    tags = StringField(
        _l("Tags"), validators=[Length(max=1000)], description=_l("Separated by commas.")
    )
    status = SelectField(
        _l("Status"), choices=[SelectChoice(DRAFT, _l("Draft")), SelectChoice(PUBLISHED, _l("Published"))], default=DRAFT
    )
    published_at = DateTimeLocalField(
        _l("Publication date"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("In the site's time zone. A future date schedules the post."),
    )
    allow_comments = BooleanField(_l("Allow comments"), default=True)
    version = IntegerField(validators=[Optional()])

    def __init__(self, *args, post_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post_id = post_id

    def validate_slug(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data:
            return
        if not is_valid_slug(field.data):
            raise ValidationError(_l("Use only lowercase letters, digits and single hyphens."))
        taken = db.session.scalar(select(Post.id).where(Post.slug == field.data, Post.id != self.post_id))
        if taken:
            raise ValidationError(_l("Another post already uses this address."))


class SettingsForm(FlaskForm):
    title = StringField(_l("Site title"), validators=[DataRequired(), Length(max=120)])
    tagline = StringField(_l("Tagline"), validators=[Length(max=200)])
    language = SelectField(_l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("fr", "Français")])
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])
    posts_per_page = IntegerField(
        _l("Posts per page"), validators=[InputRequired(), NumberRange(min=1, max=100)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_names()

    def validate_timezone(self, field: SelectField) -> None:
        if not is_timezone(field.data or ""):
            raise ValidationError(_l("Unknown time zone."))


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is what makes a destructive POST legitimate."""
