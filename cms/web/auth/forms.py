"""The login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ...authors import PASSWORD_MAX_LENGTH
from ...kernel.text import one_line
from ...models import USERNAME_MAX


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), filters=[one_line], validators=[DataRequired(), Length(max=USERNAME_MAX)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )
    next = HiddenField()
