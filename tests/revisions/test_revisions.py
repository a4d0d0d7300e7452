"""Revisions: every save keeps one; the author lists them, reads a diff, restores one."""

from sqlalchemy import select

from cms.extensions import db
from cms.models import DRAFT, PUBLISHED, Revision
from cms.revisions.diff import DELETED, GAP, INSERTED, SAME, line_diff
from tests.conftest import get_post


def post_form(**fields):
    data = {
        "title": "Diary",
        "slug": "",
        "body": "First line.",
        "tags": "",
        "status": DRAFT,
        "published_at": "",
        "allow_comments": "y",
        "action": "save",
    }
    return data | fields


def revisions(app, post_id):
    with app.app_context():
        return [
            (r.title, r.body, r.author_id)
            for r in db.session.scalars(
                select(Revision).where(Revision.post_id == post_id).order_by(Revision.id)
            )
        ]


def write_three_versions(logged_in, app) -> int:
    logged_in.post("/editor/posts/new", data=post_form(body="Line one.\nLine two."))
    post = get_post(app, slug="diary")
    logged_in.post(
        f"/editor/posts/{post.id}/edit",
        data=post_form(body="Line one.\nLine 2, rewritten.", version="1"),
    )
    logged_in.post(
        f"/editor/posts/{post.id}/edit",
        data=post_form(
            title="Diary, final", body="Line one.\nLine 2, rewritten.\nThree.", version="2"
        ),
    )
    return post.id


def test_every_save_keeps_a_revision_with_who_and_what(app, logged_in, author):
    post_id = write_three_versions(logged_in, app)
    assert revisions(app, post_id) == [
        ("Diary", "Line one.\nLine two.", author),
        ("Diary", "Line one.\nLine 2, rewritten.", author),
        ("Diary, final", "Line one.\nLine 2, rewritten.\nThree.", author),
    ]
    assert get_post(app, id=post_id).version == 3


def test_a_save_that_changes_no_text_adds_no_revision(app, logged_in):
    logged_in.post("/editor/posts/new", data=post_form(body="Same."))
    post = get_post(app, slug="diary")
    logged_in.post(
        f"/editor/posts/{post.id}/edit", data=post_form(body="Same.", status=PUBLISHED, version="1")
    )
    assert get_post(app, id=post.id).status == PUBLISHED
    assert len(revisions(app, post.id)) == 1


def test_revisions_page_lists_them_newest_first(app, logged_in):
    post_id = write_three_versions(logged_in, app)
    page = logged_in.get(f"/editor/posts/{post_id}/revisions").get_data(as_text=True)
    assert page.index("Diary, final") < page.index("Compare with the current text")
    assert page.count("Compare with the current text") == 2  # the newest one is the current text
    assert "Current text" in page and "Alice Martin" in page
    assert f'href="/editor/posts/{post_id}/revisions"' in logged_in.get(
        f"/editor/posts/{post_id}/edit"
    ).get_data(as_text=True)


def test_diff_marks_removed_and_added_words_and_escapes_text(app, logged_in):
    logged_in.post("/editor/posts/new", data=post_form(body="Keep this.\n<b>old</b> words here."))
    post = get_post(app, slug="diary")
    logged_in.post(
        f"/editor/posts/{post.id}/edit",
        data=post_form(title="Renamed", body="Keep this.\n<b>new</b> words here.", version="1"),
    )
    first = revisions(app, post.id)
    with app.app_context():
        first_id = db.session.scalar(
            select(Revision.id).where(Revision.post_id == post.id).order_by(Revision.id)
        )
    page = logged_in.get(f"/editor/posts/{post.id}/revisions/{first_id}").get_data(as_text=True)
    assert first[0][1].startswith("Keep this.")
    assert "<del>Diary</del> → <ins>Renamed</ins>" in page
    assert "&lt;b&gt;<del>old</del>&lt;/b&gt; words here." in page
    assert "&lt;b&gt;<ins>new</ins>&lt;/b&gt; words here." in page
    assert "<b>old</b>" not in page
    assert 'class="diff-same"' in page and "Keep this." in page


def test_line_diff_keeps_context_and_marks_gaps():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten")
    lines = line_diff(old, new)
    kinds = [line.kind for line in lines]
    assert kinds == [GAP, SAME, SAME, SAME, DELETED, INSERTED, SAME, SAME, SAME, GAP]
    deleted = lines[4]
    assert (deleted.old_number, deleted.new_number) == (10, None)
    assert deleted.parts == [(False, "line "), (True, "10")]
    assert line_diff("same\ntext", "same\ntext") == []


def test_restoring_asks_first_then_makes_a_new_revision(app, logged_in, author):
    post_id = write_three_versions(logged_in, app)
    with app.app_context():
        oldest = db.session.scalar(
            select(Revision.id).where(Revision.post_id == post_id).order_by(Revision.id)
        )
    confirm = logged_in.get(f"/editor/posts/{post_id}/revisions/{oldest}/restore")
    assert "Restore the revision of" in confirm.get_data(as_text=True)
    assert get_post(app, id=post_id).body.endswith("Three.")  # asking changed nothing

    response = logged_in.post(f"/editor/posts/{post_id}/revisions/{oldest}/restore")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/editor/posts/{post_id}/edit"
    assert "is the current text again" in logged_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    post = get_post(app, id=post_id)
    assert (post.title, post.body) == ("Diary", "Line one.\nLine two.")
    assert "Line two." in post.body_html  # rendered again, as a save would
    assert post.version == 4  # an editor still open on version 3 sees a conflict
    history = revisions(app, post_id)
    assert len(history) == 4 and history[-1] == ("Diary", "Line one.\nLine two.", author)


def test_a_revision_of_another_post_is_404(app, logged_in, make_post):
    post_id = write_three_versions(logged_in, app)
    other = make_post("Other")
    with app.app_context():
        revision_id = db.session.scalar(select(Revision.id).where(Revision.post_id == post_id))
    assert logged_in.get(f"/editor/posts/{other}/revisions/{revision_id}").status_code == 404
    assert (
        logged_in.post(f"/editor/posts/{other}/revisions/{revision_id}/restore").status_code == 404
    )


def test_deleting_a_post_deletes_its_revisions(app, logged_in):
    post_id = write_three_versions(logged_in, app)
    logged_in.post(f"/editor/posts/{post_id}/delete")
    assert revisions(app, post_id) == []
