"""Revisions: every save keeps one; the author lists them, reads a diff, restores one."""

import re

import pytest
from sqlalchemy import select

from cms.extensions import db
from cms.models import DRAFT, PUBLISHED, Revision
from cms.revisions.diff import DELETED, GAP, INSERTED, SAME, line_diff
from tests.conftest import get_post
from tests.support.work_count import python_lines


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


def test_a_save_that_changes_neither_text_nor_status_adds_no_revision(app, logged_in):
    logged_in.post("/editor/posts/new", data=post_form(body="Same."))
    post = get_post(app, slug="diary")
    logged_in.post(
        f"/editor/posts/{post.id}/edit", data=post_form(body="Same.", tags="notes", version="1")
    )
    assert [tag.name for tag in get_post(app, id=post.id).tags] == ["notes"]
    assert len(revisions(app, post.id)) == 1
    # Publishing is kept even with the same text: the list shows when the post went public.
    logged_in.post(
        f"/editor/posts/{post.id}/edit", data=post_form(body="Same.", status=PUBLISHED, version="2")
    )
    assert get_post(app, id=post.id).status == PUBLISHED
    assert len(revisions(app, post.id)) == 2


def test_the_list_tells_revisions_apart(app, logged_in):
    logged_in.post("/editor/posts/new", data=post_form(body="One two three."))
    post_id = get_post(app, slug="diary").id
    edit = f"/editor/posts/{post_id}/edit"
    logged_in.post(edit, data=post_form(body="One two three four five.", version="1"))
    logged_in.post(
        edit, data=post_form(body="One two three four five.", status=PUBLISHED, version="2")
    )
    logged_in.post(edit, data=post_form(body="One.", status=PUBLISHED, version="3"))
    page = logged_in.get(f"/editor/posts/{post_id}/revisions").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    assert len(rows) == 4  # newest first
    words = [re.sub(r"<[^>]+>|\s+", " ", row) for row in rows]
    assert "−4 words" in words[0] and "Published" in words[0]
    assert "same word count" in words[1] and "Published" in words[1]
    assert "+2 words" in words[2] and "Draft" in words[2]
    assert "3 words" in words[3] and "Draft" in words[3]
    # Saves a few seconds apart are told apart by their time, seconds included.
    assert all(re.search(r"\d:\d\d:\d\d", row) for row in rows)


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


# --- Long texts: the diff stays readable and its work grows with the length (never timed here;
# bench/ times it) ------------------------------------------------------------------------------


def long_line(words: int, changed_every: int = 0) -> str:
    text = [f"mot{n % 97} pain{n % 89}" for n in range(words)]
    if changed_every:
        text = [f"CHANGÉ{n}" if n % changed_every == 0 else w for n, w in enumerate(text)]
    return " ".join(text)


def changed_parts(lines: list) -> list[str]:
    return [text for line in lines for changed, text in line.parts if changed]


def test_a_long_line_with_scattered_changes_marks_exactly_the_changed_words():
    old, new = long_line(3000), long_line(3000, changed_every=300)
    lines = line_diff(old, new)
    assert [line.kind for line in lines] == [DELETED, INSERTED]
    assert changed_parts(lines[1:]) == [f"CHANGÉ{n}" for n in range(0, 3000, 300)]
    assert changed_parts(lines[:1]) == [f"mot{n % 97} pain{n % 89}" for n in range(0, 3000, 300)]
    assert "".join(text for _, text in lines[1].parts) == new


def test_a_word_inserted_in_a_long_line_of_repeated_words_shifts_nothing_else():
    old = " ".join(["le pain de la semaine"] * 2000)
    cut = old.index(" ", 5000)
    new = old[:cut] + " INSÉRÉ" + old[cut:]
    lines = line_diff(old, new)
    assert changed_parts(lines) in ([" INSÉRÉ"], ["INSÉRÉ "])


def test_many_blank_lines_and_changed_paragraphs_keep_their_line_numbers():
    old = "\n\n".join(f"Paragraphe {n}." for n in range(2000))
    new = old.replace("Paragraphe 1000.", "Paragraphe mille.")
    lines = line_diff(old, new)
    changed = [line for line in lines if line.kind in (DELETED, INSERTED)]
    assert [(line.kind, line.old_number, line.new_number) for line in changed] == [
        (DELETED, 2001, None),
        (INSERTED, None, 2001),
    ]


@pytest.mark.parametrize("every", [10, 7])
def test_the_work_of_a_long_line_diff_grows_with_its_length(every):
    def work(words: int) -> int:
        return python_lines(line_diff, long_line(words), long_line(words, changed_every=every))

    assert work(1600) < 6 * work(400)
