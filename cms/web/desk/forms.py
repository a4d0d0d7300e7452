"""Forms of the author's desk: a post, the site settings, her account and password, a confirmation."""

import functools

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ...authors import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, is_login_name
from ...clock import COMMON_TIMEZONES, is_timezone, timezone_regions
from ...comments.fields import EMAIL_RE, lowercase
from ...extensions import db
from ...kernel.i18n import collation_key, timezone_labels
from ...kernel.text import SLUG_PATTERN, is_valid_slug, one_line, without_controls
from ...models import (
    BODY_MAX,
    COMMENT_EMAIL_MAX,
    DISPLAY_NAME_MAX,
    DRAFT,
    POST,
    PUBLISHED,
    TITLE_MAX,
    Post,
)
from ...posts import is_reserved_page_slug

LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
# The slug rule as a browser checks it: an HTML pattern is anchored at both ends by itself.
SLUG_PATTERN_HTML = SLUG_PATTERN.pattern.removeprefix("^").removesuffix("$")


class PostForm(FlaskForm):
    title = StringField(
        _l("Title"), filters=[one_line], validators=[DataRequired(), Length(max=TITLE_MAX)]
    )
    slug = StringField(
        _l("Address (slug)"),
        # Blank counts as empty (made from the title): Optional() would let "\t" through unchecked.
        filters=[lambda value: (value or "").strip()],
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Lowercase letters, digits and hyphens. Left empty, it is made from the title."
        ),
        render_kw={"pattern": SLUG_PATTERN_HTML},
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        filters=[without_controls],
        validators=[Length(max=BODY_MAX)],
        description=_l(
            "A blank line starts a new paragraph; a single line break is ignored (end a line "
            "with two spaces to break it there)."
        ),
    )
    tags = StringField(
        _l("Tags"),
        filters=[one_line],
        validators=[Length(max=1000)],
        description=_l("Separated by commas."),
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(DRAFT, _l("Draft")), SelectChoice(PUBLISHED, _l("Published"))],
        default=DRAFT,
    )
    published_at = DateTimeLocalField(
        _l("Publication date"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("In the site's time zone. A future date schedules the post."),
    )
    allow_comments = BooleanField(_l("Allow comments"), default=True)
    nav_order = IntegerField(
        _l("Position in the site navigation"),
        validators=[Optional(), NumberRange(min=0, max=999)],
        description=_l(
            "Pages with a number are linked from the navigation, lowest first. "
            "Left empty, the page is not."
        ),
    )
    version = IntegerField(validators=[Optional()])
    # A new post's form only: its key (cms.posts.new_form_key), so that sending it twice is one post.
    form_key = HiddenField()

    def __init__(self, *args, post_id: int | None = None, kind: str = POST, **kwargs):
        super().__init__(*args, **kwargs)
        self.post_id = post_id
        self.kind = kind

    def validate_slug(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data:
            return
        if not is_valid_slug(field.data):
            raise ValidationError(_l("Use only lowercase letters, digits and single hyphens."))
        taken = db.session.scalar(
            select(Post.id).where(Post.slug == field.data, Post.id != self.post_id)
        )
        if taken:
            raise ValidationError(_l("Another post already uses this address."))
        if self.kind != POST and is_reserved_page_slug(field.data):
            raise ValidationError(_l("The site itself uses this address: choose another one."))


class AccountForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        filters=[one_line],
        validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX)],
        description=_l("Shown on your posts and your comments."),
    )
    email = StringField(
        _l("E-mail"),
        filters=[one_line, lowercase],
        validators=[Length(max=COMMENT_EMAIL_MAX)],
        description=_l("Optional, never shown. Filled in when you comment on your site."),
    )

    def __init__(self, *args, username: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_display_name(self, field: StringField) -> None:
        if is_login_name(field.data or "", self.username):
            raise ValidationError(
                _l(
                    "This is your login name: shown on every post, it would give away half of "
                    "what logs you in. Choose the name readers should see."
                )
            )

    def validate_email(self, field: StringField) -> None:
        if field.data and not EMAIL_RE.fullmatch(field.data):
            raise ValidationError(
                _l("This does not look like an e-mail address (name@example.com).")
            )


class PasswordForm(FlaskForm):
    """A new password, given with the current one: a session left open on a shared computer
    must not be enough to take the account."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN_LENGTH),
            Length(max=PASSWORD_MAX_LENGTH),
        ],
        description=_l("At least %(num)d characters.", num=PASSWORD_MIN_LENGTH),
    )
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two new passwords differ."))],
    )


# The settings page's time zone groups; the tz database names its regions in English.
COMMON_TIMEZONES_LABEL = _l("Common")
TIMEZONE_REGION_LABELS = {
    "Europe": _l("Europe"),
    "America": _l("America"),
    "Africa": _l("Africa"),
    "Asia": _l("Asia"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific"),
    "Atlantic": _l("Atlantic"),
    "Indian": _l("Indian Ocean"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
    "": _l("Other"),
}


@functools.cache
def timezone_choices(language: str) -> tuple[SelectChoice, ...]:
    """The common zones first, most likely first, then every zone once in its region, then the
    tz database's other names; labelled in `language` (kernel.i18n.timezone_labels: "Bruxelles"
    under Europe) and sorted as it reads them. Each value is the IANA name. Built once per
    language: the settings page lists some 600 zones."""
    labels = timezone_labels(language)
    choices = [
        SelectChoice(name, labels[name], optgroup=COMMON_TIMEZONES_LABEL)
        for name in COMMON_TIMEZONES
        if name in labels
    ]
    for region, names in timezone_regions().items():
        group = TIMEZONE_REGION_LABELS[region]
        choices += [
            SelectChoice(name, labels[name], optgroup=group)
            for name in sorted(names, key=lambda name: collation_key(labels[name]))
        ]
    return tuple(choices)


class GroupedSelectField(SelectField):
    """A select in <optgroup>s where a value may be listed twice (a common time zone is in its
    region too): only its first option is selected, as a single select allows."""

    def iter_groups(self):
        selected = False
        for label, choices in super().iter_groups():
            group = []
            for choice in choices:
                if choice.selected:
                    choice = choice._replace(selected=not selected)
                    selected = True
                group.append(choice)
            yield label, group


class SettingsForm(FlaskForm):
    title = StringField(
        _l("Site title"), filters=[one_line], validators=[DataRequired(), Length(max=120)]
    )
    tagline = StringField(_l("Tagline"), filters=[one_line], validators=[Length(max=200)])
    language = SelectField(_l("Language"))
    timezone = GroupedSelectField(_l("Time zone"), validators=[InputRequired()])
    posts_per_page = IntegerField(
        _l("Posts per page"), validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    show_reading_time = BooleanField(_l("Show the reading time on posts"), default=True)
    # Comments: the site-wide switch and the rules of the spam defences.
    comments_open = BooleanField(
        _l("Accept new comments"),
        description=_l("Unticked, every post still shows its comments but takes no new ones."),
    )
    close_comments_after_days = IntegerField(
        _l("Close comments on posts older than (days)"),
        # No InputRequired: a form sent without the field keeps the stored value.
        validators=[NumberRange(min=0, max=36500)],
        description=_l("0 keeps them open for ever."),
    )
    closed_notice = StringField(
        _l("Notice when comments are closed"),
        filters=[lambda value: (value or "").strip()],
        validators=[Length(max=300)],
        description=_l("Your own sentence. Left empty: “Comments are closed.”"),
    )
    require_email = BooleanField(_l("Require an e-mail address from commenters"))
    moderate_first_comment = BooleanField(
        _l("Hold first comments for approval"),
        description=_l(
            "Someone whose name and e-mail address already have an approved comment is published at once."
        ),
    )
    max_links = IntegerField(
        _l("Hold comments with more links than"),
        validators=[NumberRange(min=0, max=100)],
    )
    blocked_words = TextAreaField(
        _l("Blocked words"),
        validators=[Length(max=20_000)],
        description=_l("One per line. A comment containing one goes to spam."),
    )
    blocked_emails = TextAreaField(
        _l("Blocked e-mail addresses"),
        validators=[Length(max=20_000)],
        description=_l("One per line: an address, or a whole domain such as @example.com."),
    )
    blocked_ips = TextAreaField(
        _l("Blocked network addresses"),
        validators=[Length(max=20_000)],
        description=_l("One per line: an address, or a network such as 203.0.113.0/24."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()
        ]
        self.timezone.choices = list(timezone_choices(str(get_locale())))

    def validate_timezone(self, field: SelectField) -> None:
        if not is_timezone(field.data or ""):
            raise ValidationError(_l("Unknown time zone."))


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is what makes a destructive POST legitimate."""
