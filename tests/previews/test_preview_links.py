"""Private preview links: a draft for whoever holds the link, until it is revoked or expires."""

import re
import time
from datetime import timedelta

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import update

from cms.clock import utcnow
from cms.extensions import db
from cms.models import DRAFT, Post
from cms.previews import SALT


def create_link(client, post_id) -> str:
    response = client.post(f"/editor/posts/{post_id}/preview-link")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/editor/posts/{post_id}/edit#preview-link"
    page = client.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "A new private preview link was created" in page
    url = re.search(r'class="share-link" value="http://blog\.test(/preview/[^"]+)"', page).group(1)
    return url


def test_a_link_shows_the_draft_to_anyone_who_has_it(app, logged_in, make_post):
    post_id = make_post("Work in progress", body="Not *ready* yet.", status=DRAFT)
    url = create_link(logged_in, post_id)
    proofreader = app.test_client()
    assert proofreader.get("/posts/work-in-progress/").status_code == 404  # still a draft
    response = proofreader.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Private preview: this draft is not published." in page
    assert "Not <em>ready</em> yet." in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert "/editor/posts/" not in page.split("<main")[1]  # no editor link for the proofreader


def test_the_link_stays_the_same_each_time_the_editor_shows_it(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    url = create_link(logged_in, post_id)
    time.sleep(1.1)  # a token signed again now would carry another timestamp
    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert url in page


def test_a_revoked_link_stops_working(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    url = create_link(logged_in, post_id)
    response = logged_in.post(f"/editor/posts/{post_id}/preview-link/revoke", follow_redirects=True)
    assert "The private preview link was revoked" in response.get_data(as_text=True)
    gone = app.test_client().get(url)
    assert gone.status_code == 404
    assert "This preview link has expired or was revoked." in gone.get_data(as_text=True)


def test_a_new_link_replaces_the_old_one(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    old = create_link(logged_in, post_id)
    time.sleep(1.1)
    new = create_link(logged_in, post_id)
    assert new != old
    visitor = app.test_client()
    assert visitor.get(old).status_code == 404 and visitor.get(new).status_code == 200


def test_a_link_expires(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    url = create_link(logged_in, post_id)
    visitor = app.test_client()
    assert visitor.get(url).status_code == 200
    app.config["PREVIEW_LINK_MAX_AGE"] = 1
    time.sleep(2.1)
    assert visitor.get(url).status_code == 404
    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "The link created for this draft expired on" in page and "/preview/" not in page


class SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 8 * 24 * 3600


def test_a_token_signed_eight_days_ago_has_expired(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    create_link(logged_in, post_id)
    with app.app_context():
        key = db.session.get(Post, post_id).preview_key
        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT, signer=SignedLongAgo)
        token = old.dumps([post_id, key])
        fresh = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps([post_id, key])
    visitor = app.test_client()
    assert visitor.get(f"/preview/{token}").status_code == 404  # the default lifetime is 7 days
    assert visitor.get(f"/preview/{fresh}").status_code == 200


def test_a_link_created_eight_days_ago_is_expired_in_the_editor(app, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    create_link(logged_in, post_id)
    with app.app_context():
        db.session.execute(update(Post).values(preview_issued_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    page = logged_in.get(f"/editor/posts/{post_id}/edit").get_data(as_text=True)
    assert "expired on" in page and 'class="share-link"' not in page


def test_forged_and_foreign_tokens_are_refused(app, client, logged_in, make_post):
    post_id = make_post("Draft", status=DRAFT)
    url = create_link(logged_in, post_id)
    head, signature = url.rsplit(".", 1)
    tampered = "A" if signature[0] != "A" else "B"  # the first character: all its bits count
    assert client.get(f"{head}.{tampered}{signature[1:]}").status_code == 404
    with app.app_context():
        key = db.session.get(Post, post_id).preview_key
    other_secret = URLSafeTimedSerializer("not-the-key", salt=SALT).dumps([post_id, key])
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="x").dumps([post_id, key])
    wrong_key = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps([post_id, "k"])
    for token in (other_secret, other_salt, wrong_key, "nonsense"):
        assert client.get(f"/preview/{token}").status_code == 404


def test_once_published_the_link_leads_to_the_public_post(app, logged_in, make_post):
    post_id = make_post("Soon", status=DRAFT)
    url = create_link(logged_in, post_id)
    with app.app_context():
        db.session.execute(update(Post).values(status="published", published_at=utcnow()))
        db.session.commit()
    response = app.test_client().get(url)
    assert response.status_code == 302 and response.headers["Location"] == "/posts/soon/"


def test_published_posts_offer_no_preview_link(logged_in, make_post):
    post_id = make_post("Live")
    assert "Private preview link" not in logged_in.get(f"/editor/posts/{post_id}/edit").get_data(
        as_text=True
    )
