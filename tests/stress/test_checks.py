"""The checks the crash and concurrency tests rely on see what they are there to see: a body
stored twice, an acknowledged comment lost or holding another body, a comment nobody sent, and
every wrong answer."""

from __future__ import annotations

from tests.support.comments import add_comment
from tests.support.production_server import (
    Answer,
    Submission,
    answer_problems,
    burst_problems,
    new_site,
    storage_problems,
)

PAGE = "<!doctype html><html><body>A page.</body></html>"


def taken(comment_id: int) -> Answer:
    return Answer(302, f"/posts/busy/#comment-{comment_id}", "")


def submission(body: str, *answers: Answer, sends: int = 1) -> Submission:
    return Submission({"body": body}, list(answers), sends)


def test_storage_problems_see_duplicates_losses_and_strangers(tmp_path):
    site = new_site(tmp_path)
    once = add_comment(site.app, site.post_id, "Ann", "Once.")
    twice = [add_comment(site.app, site.post_id, "Bob", "Twice.") for _ in range(2)]
    add_comment(site.app, site.post_id, "Eve", "Nobody sent this.")
    sent = [
        submission("Once.", taken(once)),
        submission("Twice.", taken(twice[0])),
        submission("Lost.", taken(999)),
        submission("Elsewhere.", taken(once)),
        submission("Never stored, never acknowledged."),
    ]
    assert storage_problems(site, sent) == [
        "acknowledged comment 999 is missing",
        f"acknowledged comment {once} holds another body",
        f"'Twice.' stored 2 times (ids {twice})",
        "'Nobody sent this.' stored, never sent",
    ]
    # Nothing unacknowledged may be stored twice either.
    unanswered = [*sent, submission("Twice.", sends=2)]
    assert f"'Twice.' stored 2 times (ids {twice})" in storage_problems(site, unanswered)


def test_answer_problems_see_every_wrong_answer():
    wrong = [
        submission("Failed.", Answer(500, "", "Internal Server Error")),
        submission("Sent away.", Answer(302, "/posts/busy/", "")),
        submission("Blank.", Answer(400, "", "Bad Request")),
        submission("Refused.", Answer(429, "", PAGE)),
        submission("Twice taken.", taken(1), taken(2), sends=2),
        submission("Unanswered.", sends=3),
    ]
    assert answer_problems(wrong) == [
        "'Failed.' (sent once): answered 500",
        "'Sent away.' (sent once): redirected to '/posts/busy/', no comment",
        "'Blank.' (sent once): answered 400 without a page",
        "'Refused.' (sent once): refused with 429 on its only send",
        "'Twice taken.' (sent 2 times): acknowledged as comments [1, 2]",
        "'Unanswered.' (sent 3 times): never answered",
    ]
    right = [
        submission("Taken.", taken(1)),
        # Sent again after no answer: the first send may have been stored, so a refusal is fine.
        submission("Taken before.", Answer(400, "", PAGE), sends=2),
        submission("Taken then.", taken(2), sends=2),
    ]
    assert answer_problems(right) == []
    assert answer_problems([submission("Refused.", Answer(429, "", PAGE))], taken=False) == []


def test_burst_problems_see_a_second_row_and_a_missing_answer(tmp_path):
    site = new_site(tmp_path)
    first, second = (add_comment(site.app, site.post_id, "Ann", "Again.") for _ in range(2))
    form = {"body": "Again."}
    assert burst_problems(site, form, [taken(first), taken(second)]) == [
        f"'Again.' (sent 2 times): acknowledged as comments [{first}, {second}]",
        f"'Again.' stored 2 times (ids [{first}, {second}])",
    ]
    alone = {"body": "Alone."}
    only = add_comment(site.app, site.post_id, "Bob", "Alone.")
    assert burst_problems(site, alone, [taken(only), Answer(200, "", PAGE)]) == []
    assert burst_problems(site, alone, [taken(only), None]) == ["1 of 2 copies got no answer"]
    assert burst_problems(site, alone, [Answer(200, "", PAGE)] * 2) == [
        "'Alone.': no copy was taken (200 ×2)"
    ]
    assert burst_problems(site, alone, [taken(first)]) == [
        f"acknowledged as [{first}], stored as [{only}]"
    ]
