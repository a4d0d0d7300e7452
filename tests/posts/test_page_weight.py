"""The post page a reader downloads: its weight, where it loads from, and that it needs no script."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from bench.pageweight import LIMIT_KIB, weigh
from cms import PROJECT_ROOT
from cms.extensions import db
from cms.markup import render_comment
from cms.models import APPROVED, Comment
from cms.posts import render_key
from tests.conftest import make_app
from tests.support.comments import set_site

MODEL_POST = (PROJECT_ROOT / "bench" / "model-post.md").read_text("utf-8")
PAGE = "/posts/un-an-de-pain-au-levain/"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def model_page(app, make_post) -> str:
    """The benchmark's model post (about 1,000 French words) with 50 approved comments."""
    set_site(app, language="fr", moderate_first_comment=False)
    post_id = make_post("Un an de pain au levain", slug="un-an-de-pain-au-levain",
                        body=MODEL_POST, language="fr")  # fmt: skip
    with app.app_context():
        rows = []
        for n in range(50):
            body = f"Merci pour ce billet, j’ai enfin compris pourquoi ma pâte s’étalait (n° {n})."
            rows.append({"post_id": post_id, "author_name": f"Lectrice {n}", "body": body,
                         "body_html": render_comment(body, "fr"), "render_key": render_key("fr"),
                         "status": APPROVED})  # fmt: skip
        db.session.execute(insert(Comment), rows)
        db.session.commit()
    return PAGE


def fetcher(client):
    def fetch(url: str) -> bytes:
        with client.get(url) as response:  # static files stream: close them
            assert response.status_code == 200, url
            return response.data

    return fetch


def test_post_page_needs_no_script_and_nothing_from_another_host(app, client, model_page):
    response = client.get(model_page)
    weight = weigh(response.data, f"http://blog.test{model_page}", fetcher(client))
    others = [p for p in weight.problems if "KiB" not in p]
    assert others == []
    assert weight.stylesheets and all(href.startswith("/static/") for href in weight.stylesheets)
    # The form works as plain HTML: its own fields, posted as they are, publish the comment.
    form = weight.comment_form
    fields = dict(form["hidden"]) | {"name": "Sans script", "email": "", "website": "",
                                     "body": "Envoyé sans JavaScript."}  # fmt: skip
    posted = app.test_client().post(form["action"], data=fields)
    assert posted.status_code == 302
    assert "Envoyé sans JavaScript." in client.get(posted.headers["Location"]).get_data(
        as_text=True
    )


def test_post_page_with_50_comments_weighs_at_most_40_kib(client, model_page):
    # The first of its pages of comments: 20 a page by default (COMMENTS_PER_PAGE).
    response = client.get(model_page)
    weight = weigh(response.data, f"http://blog.test{model_page}", fetcher(client))
    assert response.get_data(as_text=True).count('class="comment"') == 20
    assert weight.total_kib <= LIMIT_KIB, f"{weight.total_kib:.1f} KiB"
