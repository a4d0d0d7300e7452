"""HTML stored by an older renderer is rendered again when a page shows it."""

from __future__ import annotations

from cms import markup
from cms.extensions import db
from cms.models import Comment, Post
from tests.support.comments import add_comment, set_site


def test_text_stored_before_typographic_apostrophes_gets_them_when_shown(app, make_post):
    set_site(app, language="fr")
    post_id = make_post("Talk", body="L'été, c'est court.", language="fr")
    comment_id = add_comment(app, post_id, "Lecteur", "Aujourd'hui aussi.", language="fr")
    with app.app_context():
        # As the previous renderer stored them: straight apostrophes.
        post = db.session.get(Post, post_id)
        post.body_html, post.render_key = "<p>L'été, c'est court.</p>", "1:fr"
        comment = db.session.get(Comment, comment_id)
        comment.body_html, comment.render_key = "<p>Aujourd'hui aussi.</p>", "1:fr"
        db.session.commit()
    page = app.test_client().get("/posts/talk/").get_data(as_text=True)
    assert "L’été, c’est court." in page and "Aujourd’hui aussi." in page
    with app.app_context():
        assert db.session.get(Post, post_id).render_key == f"{markup.RENDERER_VERSION}:fr"
        assert db.session.get(Comment, comment_id).render_key == f"{markup.RENDERER_VERSION}:fr"
