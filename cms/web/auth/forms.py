"""The login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...authors import PASSWORD_MAX_LENGTH
from ...kernel.text import one_line, without_controls
from ...models import USERNAME_MAX


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), filters=[one_line], validators=[DataRequired(), Length(max=USERNAME_MAX)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )
    next = HiddenField()
    # A post form's text that reached the desk after the session ended (the desk's
    # session_ends): shown, and kept as the author's autosave once she is logged in; its other
    # fields, as the desk packed them, are handed back to the editor (take_kept_fields).
    kept_title = StringField(_l("Title"), filters=[one_line])
    kept_body = TextAreaField(_l("Text"), filters=[without_controls])
    kept_post = HiddenField()
    kept_kind = HiddenField()
    kept_fields = HiddenField()

    @property
    def keeps_text(self) -> bool:
        return bool(self.kept_title.data or (self.kept_body.data or "").strip())
