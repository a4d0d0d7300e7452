"""One rule for what a visitor may see: posts, tags, feeds, the sitemap and old addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.clock import utcnow
from cms.extensions import db
from cms.models import DRAFT, PAGE, Post, Redirect

HIDDEN = {
    "draft": {"status": DRAFT},
    "scheduled": {"published_at": utcnow() + timedelta(days=3)},
}


def add_redirect(app, post_id: int, old_path: str) -> None:
    with app.app_context():
        db.session.add(Redirect(old_path=old_path, post_id=post_id))
        db.session.commit()


@pytest.mark.parametrize("state", HIDDEN)
def test_an_old_address_never_reveals_a_post_a_visitor_cannot_see(app, client, make_post, state):
    hidden = make_post("Not yet", slug="secret-plans", **HIDDEN[state])
    add_redirect(app, hidden, "/2019/05/secret-plans")
    add_redirect(app, make_post("Out"), "/2019/05/out")
    assert client.get("/2019/05/out/").status_code == 301
    response = client.get("/2019/05/secret-plans/")
    assert response.status_code == 404
    assert "secret-plans" not in response.headers.get("Location", "")
    assert "secret-plans" not in response.get_data(as_text=True)


@pytest.mark.parametrize("state", HIDDEN)
def test_a_tag_used_only_where_visitors_cannot_see_has_no_page(app, client, make_post, state):
    make_post("Not yet", tags=["plans"], **HIDDEN[state])
    make_post("Out", tags=["reading"])
    assert client.get("/tags/reading/").status_code == 200
    assert client.get("/tags/plans/").status_code == 404
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "/tags/reading/" in sitemap and "/tags/plans/" not in sitemap


def test_a_tag_used_only_on_a_page_has_no_page(app, client, make_post):
    make_post("About", kind=PAGE, slug="about", tags=["me"])
    assert client.get("/tags/me/").status_code == 404
    assert "/tags/me/" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_a_tag_and_an_old_address_appear_once_the_post_is_published(app, client, make_post):
    soon = make_post("Soon", slug="soon", tags=["plans"], published_at=utcnow() + timedelta(1))
    add_redirect(app, soon, "/2019/05/soon")
    assert client.get("/tags/plans/").status_code == 404
    assert client.get("/2019/05/soon").status_code == 404
    with app.app_context():
        db.session.get(Post, soon).published_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert client.get("/tags/plans/").status_code == 200
    response = client.get("/2019/05/soon")
    assert response.status_code == 301 and response.headers["Location"].endswith("/posts/soon/")
