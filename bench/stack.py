"""The memory floor: the libraries Causerie is built on, and nothing of Causerie.

One table, one form with its CSRF token, one date and one plural in French: what every page of
a blog on this stack does at least. Served like Causerie (`gunicorn bench.stack:app`), it shows
how much of a worker's memory the libraries take before any of Causerie's own code.
"""

from datetime import UTC, datetime

from flask import Flask
from flask_babel import Babel, format_datetime, ngettext
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

app = Flask(__name__)
app.config.update(
    SECRET_KEY="bench-only",  # noqa: S106 (served on loopback for one run only)
    SQLALCHEMY_DATABASE_URI="sqlite://",
)
db = SQLAlchemy(app)
Babel(app, locale_selector=lambda: "fr", timezone_selector=lambda: "Europe/Paris")
LoginManager(app).user_loader(lambda _user_id: None)  # every visitor is anonymous


class Note(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]


class NoteForm(FlaskForm):
    name = StringField("Nom", validators=[DataRequired()])
    body = TextAreaField("Commentaire", validators=[DataRequired()])


with app.app_context():
    db.create_all()
    db.session.add(Note(title="Une note"))
    db.session.commit()

PAGE = app.jinja_env.from_string("""<!doctype html><title>{{ note.title }}</title><h1>{{ note.title }}</h1>
<p>{{ when }} · {{ count }}</p>
<form method="post">{{ form.csrf_token }}{{ form.name }}{{ form.body }}</form>""")


@app.get("/")
def note() -> str:
    return PAGE.render(
        note=db.session.scalar(db.select(Note).limit(1)),
        form=NoteForm(),
        when=format_datetime(datetime.now(UTC), "long"),
        count=ngettext("%(num)d comment", "%(num)d comments", 4),
    )
