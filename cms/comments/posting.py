"""Posting a comment: the checks that turn a submission away before it is read, and the new
comment, rendered, answering its parent, with the spam defences' verdict. No HTTP; the caller
commits."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from ..models import IP_MAX, Comment, Post
from . import spam, tokens
from .thread import earlier_names, render, reply_target


@dataclass(frozen=True)
class Refusal:
    """A submission turned away before validation: why, with what status, and what to say."""

    reason: str
    status: int
    message: str
    fresh_token: bool = False  # the visitor's form cannot be sent again as it is


def first_refusal(post: Post, token_value: str | None, honeypot: str | None) -> Refusal | None:
    """The first of the form token, rate limit, honeypot and time trap that refuses this
    submission, or None. Reads only: the caller counts the attempt (spam.count_attempt)."""
    token = tokens.read(token_value)
    if token is None or token.post_id != post.id:
        return Refusal(
            spam.BAD_TOKEN,
            400,
            _("This form could not be verified. Your comment is kept below: please send it again."),
            fresh_token=True,
        )
    if token.age > tokens.MAX_AGE_SECONDS:
        return Refusal(
            spam.TOO_OLD,
            400,
            _("This form is too old. Your comment is kept below: please send it again."),
            fresh_token=True,
        )
    if spam.is_rate_limited():
        return over_the_limit()
    if honeypot:
        return Refusal(spam.HONEYPOT, 400, _("Your comment could not be accepted."))
    min_seconds = current_app.config["COMMENT_MIN_SECONDS"]
    if min_seconds > 0 and token.age < min_seconds:
        # The same token goes back: by the time a person sends again, it is old enough.
        return Refusal(
            spam.reason(spam.TOO_FAST, max(0, int(token.age))),
            400,
            _("That was quick! Please check your comment, then send it again."),
        )
    return None


def over_the_limit() -> Refusal:
    return Refusal(
        spam.RATE_LIMIT,
        429,
        _(
            "You have sent several comments in a short time. "
            "Please wait a minute, then send this one again."
        ),
    )


def form_already_used() -> Refusal:
    return Refusal(
        spam.FORM_USED,
        400,
        _(
            "This form has already sent a comment. "
            "Your new comment is kept below: please send it again."
        ),
        fresh_token=True,
    )


def already_posted() -> Refusal:
    return Refusal(spam.DUPLICATE, 200, _("This comment has already been posted on this post."))


def new_comment(
    post: Post,
    *,
    name: str,
    email: str,
    website: str,
    body: str,
    parent_id: int | None,
    ip: str,
    form_key: str,
    author_id: int | None,
    language: str,
) -> Comment:
    """The validated fields as a rendered comment, its parent resolved and its fate decided
    (not added to the session)."""
    parent = reply_target(post, parent_id)
    comment = Comment(
        post_id=post.id,
        author_name=name,
        author_email=email,
        author_website=website,
        body=body,
        ip=ip[:IP_MAX],
        form_key=form_key,
        author_id=author_id,
    )
    # Only an opening "@Name" names an earlier comment: other bodies need not read them all.
    earlier = (
        [(cid, cname) for cid, cname, _created in earlier_names(post.id)]
        if comment.body.startswith("@")
        else []
    )
    mention = render(
        comment,
        language,
        earlier,
        (parent.id, parent.author_name) if parent else None,
    )
    # A reply is to the comment chosen with "Reply", else to the one its @Name names.
    comment.parent_id = parent.id if parent else (mention.comment_id if mention else None)
    verdict = spam.judge(
        name=comment.author_name,
        email=comment.author_email,
        website=comment.author_website,
        body=comment.body,
        body_html=comment.body_html,
        ip=comment.ip,
        by_author=author_id is not None,
    )
    comment.status, comment.reason = verdict.status, verdict.reason
    return comment
