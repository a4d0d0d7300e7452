"""A post's conversation: approved comments in order, their numbers and pages, @name mentions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil

from flask import current_app, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, bindparam, func, or_, select

from .. import markup
from ..cache import keep_out_of_cache
from ..extensions import db
from ..kernel.database import write_unless_changed
from ..models import APPROVED, Comment, Post
from ..posts import render_key


def per_page() -> int:
    return int(current_app.config["COMMENTS_PER_PAGE"])


def approved_comments(post_id: int) -> Select:
    """The post's approved comments, oldest first: the order that numbers them."""
    return (
        select(Comment)
        .where(Comment.post_id == post_id, Comment.status == APPROVED)
        .order_by(Comment.created_at, Comment.id)
    )


def approved_count(post_id: int) -> int:
    return db.session.scalar(
        select(func.count(Comment.id)).where(Comment.post_id == post_id, Comment.status == APPROVED)
    )


# Approved comments of a post before a given one in the thread's order. Built once: every
# comment posted runs it to find its page.
_EARLIER_COUNT = select(func.count(Comment.id)).where(
    Comment.post_id == bindparam("post_id"),
    Comment.status == APPROVED,
    or_(
        Comment.created_at < bindparam("created_at"),
        and_(Comment.created_at == bindparam("created_at"), Comment.id < bindparam("id")),
    ),
)


def number_of(comment: Comment) -> int:
    """The comment's number on its post (1 for the first approved comment)."""
    place = {"post_id": comment.post_id, "created_at": comment.created_at, "id": comment.id}
    return 1 + db.session.scalar(_EARLIER_COUNT, place)


def page_of(comment: Comment) -> int:
    """The page of the post that shows the comment: its own page when approved, else the last
    page, where its writer sees it awaiting moderation."""
    if comment.status == APPROVED:
        return (number_of(comment) - 1) // per_page() + 1
    return last_page(comment.post_id)


def page_url(slug: str, page: int, **args) -> str:
    return url_for("blog.post", slug=slug, page=page if page > 1 else None, **args)


def comment_url(comment: Comment, slug: str) -> str:
    """The post page that shows the comment, with the comment's anchor."""
    return url_for(
        "blog.post",
        slug=slug,
        page=page if (page := page_of(comment)) > 1 else None,
        _anchor=f"comment-{comment.id}",
    )


@dataclass
class Thread:
    """One page of a post's comments as the post page shows them."""

    post: Post
    page: Pagination
    # Numbers of the parents that replies on this page answer: {parent id: number}.
    parent_numbers: dict[int, int] = field(default_factory=dict)
    # The visitor's own comments still awaiting moderation, shown only to them: counted on
    # every page, listed on the last one (see listed_pending).
    own_pending: list[Comment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.page.total or 0

    @property
    def listed_pending(self) -> list[Comment]:
        """The visitor's own pending comments this page lists, after the approved ones: those of
        the last page."""
        return [] if self.page.has_next else self.own_pending

    @property
    def first_number(self) -> int:
        return (self.page.page - 1) * self.page.per_page + 1

    def parent_link(self, comment: Comment) -> tuple[int, str] | None:
        """(number, address) of the approved comment this one replies to, or None."""
        number = self.parent_numbers.get(comment.parent_id or 0)
        if number is None:
            return None
        page = (number - 1) // self.page.per_page + 1
        anchor = f"#comment-{comment.parent_id}"
        if page == self.page.page:
            return number, anchor
        return number, page_url(self.post.slug, page) + anchor

    # Links repeated for every comment or page are relative to the post's address: "./" is the
    # post page both from /posts/<slug>/ and from a refused POST's /posts/<slug>/comments.

    def reply_url(self, comment: Comment) -> str:
        """This page again with the form answering the comment."""
        page = f"page={self.page.page}&" if self.page.page > 1 else ""
        return f"./?{page}replyto={comment.id}#comment-form"

    def page_link(self, page: int) -> str:
        return (f"./?page={page}" if page > 1 else "./") + "#comments"

    def form_url(self) -> str:
        """This page's form, answering nobody in particular."""
        return page_url(self.post.slug, self.page.page, _anchor="comment-form")


def last_page(post_id: int) -> int:
    return max(1, ceil(approved_count(post_id) / per_page()))


def load_thread(post: Post, page: int | None, own_ids: Sequence[int] = ()) -> Thread:
    """Page `page` of the comments (None: the last page; 404 past it), with the numbers of the
    parents it refers to and the visitor's own comments awaiting moderation (`own_ids`). A fixed
    number of queries, whatever the number of comments."""
    if page is None:
        page = last_page(post.id)
    pagination = db.paginate(
        approved_comments(post.id), page=page, per_page=per_page(), error_out=True, count=True
    )
    thread = Thread(post=post, page=pagination)
    # Parents shown on this page take their number from their place on it; only the others are
    # numbered by the query below, which reads every comment up to them.
    on_page = {c.id: thread.first_number + i for i, c in enumerate(pagination.items)}
    wanted = {c.parent_id for c in pagination.items if c.parent_id is not None}
    thread.parent_numbers = {pid: on_page[pid] for pid in wanted if pid in on_page}
    parent_ids = wanted - on_page.keys()
    if parent_ids:
        numbered = (
            select(
                Comment.id,
                func.row_number().over(order_by=(Comment.created_at, Comment.id)).label("number"),
            )
            .where(Comment.post_id == post.id, Comment.status == APPROVED)
            .subquery()
        )
        rows = db.session.execute(
            select(numbered.c.id, numbered.c.number).where(numbered.c.id.in_(parent_ids))
        )
        thread.parent_numbers |= {row.id: row.number for row in rows}
    if own_ids:
        thread.own_pending = list(
            db.session.scalars(
                select(Comment)
                .where(
                    Comment.id.in_(own_ids),
                    Comment.post_id == post.id,
                    Comment.status != APPROVED,
                )
                .order_by(Comment.created_at, Comment.id)
            )
        )
    return thread


# --- @name mentions and rendering ----------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    text: str  # the "@Name" as typed at the start of the body
    comment_id: int


def _word_continues(text: str, index: int) -> bool:
    return index < len(text) and (text[index].isalnum() or text[index] in "_-.'’")


def find_mention(
    body: str,
    earlier: Iterable[tuple[int, str]],
    parent: tuple[int, str] | None = None,
) -> Mention | None:
    """The comment an "@Name" opening `body` names: among `earlier` (id, name) pairs, newest
    first, the latest by the longest name that the body starts with (case-insensitive, ending
    at a word boundary). When `parent` (id, name) bears that name, it is the one named."""
    if not body.startswith("@"):
        return None
    best: tuple[int, str] | None = None
    for comment_id, name in earlier:
        candidate = body[1 : 1 + len(name)]
        if not name or candidate.lower() != name.lower() or _word_continues(body, 1 + len(name)):
            continue
        if best is None or len(name) > len(best[1]):
            best = (comment_id, name)
    if best is None:
        return None
    comment_id = best[0]
    if parent is not None and parent[1].lower() == best[1].lower():
        comment_id = parent[0]
    return Mention(text=body[: 1 + len(best[1])], comment_id=comment_id)


def earlier_names(post_id: int) -> list[tuple[int, str, datetime]]:
    """(id, name, created_at) of the post's approved comments, newest first."""
    query = select(Comment.id, Comment.author_name, Comment.created_at).where(
        Comment.post_id == post_id, Comment.status == APPROVED
    )
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc())
    return [tuple(row) for row in db.session.execute(query)]


def render(
    comment: Comment,
    language: str,
    earlier: Iterable[tuple[int, str]],
    parent: tuple[int, str] | None = None,
) -> Mention | None:
    """Store the comment's HTML, its opening @Name linked to the comment it names."""
    mention = find_mention(comment.body, earlier, parent)
    _store_html(comment, language, mention)
    return mention


def _store_html(comment: Comment, language: str, mention: Mention | None) -> None:
    link = None
    if mention is not None:
        link = (mention.text, url_for("comments.permalink", comment_id=mention.comment_id))
    comment.body_html = markup.render_comment(comment.body, language, mention=link)
    comment.render_key = render_key(language)


def mentions(comments: Iterable[Comment]) -> dict[int, Mention | None]:
    """What the opening @Name of each comment names now, by comment id: among the approved
    comments of its post before it, the one it answers when that one bears the name. One query
    per post involved; nothing is rendered."""
    by_post: dict[int, list[Comment]] = {}
    for comment in comments:
        by_post.setdefault(comment.post_id, []).append(comment)
    found: dict[int, Mention | None] = {}
    for post_id, post_comments in by_post.items():
        names = earlier_names(post_id)
        approved = {cid: (cid, name) for cid, name, _created in names}
        for comment in post_comments:
            earlier = [
                (cid, name)
                for cid, name, created in names
                if (created, cid) < (comment.created_at, comment.id)
            ]
            parent = approved.get(comment.parent_id or 0)
            found[comment.id] = find_mention(comment.body, earlier, parent)
    return found


def _rerender(comment: Comment, language: str, mention: Mention | None) -> None:
    _store_html(comment, language, mention)
    # A comment answering nobody in particular answers the one its @Name names.
    if comment.parent_id is None and mention is not None:
        comment.parent_id = mention.comment_id


def rerender(comments: Iterable[Comment], language: str) -> None:
    """Render comments again, resolving each @Name among the approved comments before it. The
    caller commits."""
    comments = list(comments)
    found = mentions(comments)
    for comment in comments:
        _rerender(comment, language, found[comment.id])


def opening_mentions(post_ids: Iterable[int]) -> list[Comment]:
    """The comments of these posts that open with an @Name, as the session holds them."""
    ids = set(post_ids)
    if not ids:
        return []
    db.session.flush()
    query = select(Comment).where(Comment.post_id.in_(ids), Comment.body.startswith("@"))
    return list(db.session.scalars(query))


def mentions_on(post_ids: Iterable[int]) -> dict[int, Mention | None]:
    """What every opening @Name on these posts names now: taken before a moderation action,
    for relink_mentions to compare with afterwards."""
    return mentions(opening_mentions(post_ids))


def relink_mentions(
    post_ids: Iterable[int], before: dict[int, Mention | None], language: str
) -> set[int]:
    """After comments were approved, marked as spam, edited or deleted, render again the
    comments on these posts whose opening @Name names another comment than `before` said (see
    mentions_on), and only those: a post's other comments keep their HTML. The ids rendered;
    the caller commits."""
    comments = opening_mentions(post_ids)
    now = mentions(comments)
    changed = [comment for comment in comments if now[comment.id] != before.get(comment.id)]
    for comment in changed:
        _rerender(comment, language, now[comment.id])
    return {comment.id for comment in changed}


# Stale comments rendered again by one request: after a language change, a page of the queue
# or of a long thread is put right over a few requests rather than one slow one.
REFRESH_BATCH = 20


def refresh_rendering(comments: Iterable[Comment], language: str) -> bool:
    """Re-render comments whose stored HTML came from an older renderer or another language, the
    first REFRESH_BATCH of them, and write them in the caller's transaction, each unless its text
    was edited meanwhile (the caller commits). The answer showing the rest as they were is kept
    out of the page cache, so that the next request renders more. Whether anything was written."""
    key = render_key(language)
    stale = [comment for comment in comments if comment.render_key != key]
    if len(stale) > REFRESH_BATCH:
        stale = stale[:REFRESH_BATCH]
        keep_out_of_cache()
    with db.session.no_autoflush:
        rerender(stale, language)
        written = [write_unless_changed(comment, Comment.fingerprint) for comment in stale]
    return any(written)


def reply_target(post: Post, comment_id: int | None) -> Comment | None:
    """The approved comment of this post that a reply may answer, or None."""
    if comment_id is None:
        return None
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.post_id != post.id or comment.status != APPROVED:
        return None
    return comment
