"""Reading the settings never writes: a site without its settings row shows the defaults."""

from sqlalchemy import delete, func, select

from cms.extensions import db
from cms.models import SiteSettings


def settings_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(SiteSettings.id)))


def test_pages_of_a_site_without_its_settings_row_show_defaults_and_write_nothing(
    app, client, logged_in
):
    with app.app_context():
        db.session.execute(delete(SiteSettings))
        db.session.commit()
    home = client.get("/")
    assert home.status_code == 200 and "<title>Causerie</title>" in home.get_data(as_text=True)
    assert client.get("/editor/settings").status_code == 200
    assert settings_rows(app) == 0

    form = {"title": "Mon carnet", "language": "fr", "timezone": "Europe/Paris"}
    saved = client.post("/editor/settings", data=form | {"posts_per_page": "10"})
    assert saved.status_code == 302
    assert settings_rows(app) == 1
    assert "<title>Mon carnet</title>" in client.get("/").get_data(as_text=True)
