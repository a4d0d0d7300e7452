"""First-party spam defences, the reasons they give, and the record of every decision."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ..clock import utcnow
from ..extensions import db
from ..kernel import throttle
from ..kernel.http import client_network
from ..kernel.settings import site_settings
from ..kernel.text import lookalike_key
from ..models import (
    APPROVED,
    COMMENT_NAME_MAX,
    IP_MAX,
    PENDING,
    SPAM,
    Author,
    Comment,
    CommentEvent,
    Post,
    body_fingerprint,
)
from . import tokens

# Reason codes, stored on held comments and refusals as "code" or "code:detail" and described
# to the author in the site's language when shown.
HONEYPOT = "honeypot"
TOO_FAST = "too-fast"
TOO_OLD = "too-old"
BAD_TOKEN = "token"  # noqa: S105 (a reason code, not a secret)
FOREIGN_ORIGIN = "origin"
RATE_LIMIT = "rate-limit"
DUPLICATE = "duplicate"
FORM_USED = "form-used"
TOO_MANY_LINKS = "links"
BLOCKED_WORD = "blocked-word"
BLOCKED_EMAIL = "blocked-email"
BLOCKED_IP = "blocked-ip"
FIRST_COMMENT = "first-comment"
AUTHOR_NAME = "author-name"

REFUSALS_KEPT = timedelta(days=30)
# Refusals are traces for the author, not a log: a network leaves at most this many a day, and
# the newest REFUSALS_MAX are kept in all, so refused requests cannot fill the disk.
REFUSALS_PER_NETWORK = 20
REFUSALS_MAX = 2000
_LINK_RE = re.compile(r'<a href="(?:https?|mailto):', re.IGNORECASE)


def reason(code: str, detail: object = "") -> str:
    text = f"{code}:{detail}" if detail != "" else code
    return text[:200]


def describe(stored: str) -> str:
    """A stored reason in words, in the site's language."""
    code, _sep, detail = stored.partition(":")
    if code == TOO_MANY_LINKS and detail.isdigit():
        return ngettext("Contains %(num)d link", "Contains %(num)d links", int(detail))
    if code == TOO_FAST and detail.isdigit():
        return ngettext(
            "Sent %(num)d second after the form was shown",
            "Sent %(num)d seconds after the form was shown",
            int(detail),
        )
    described = {
        HONEYPOT: lambda: _("Filled in the hidden field that only robots see"),
        TOO_FAST: lambda: _("Sent too soon after the form was shown"),
        TOO_OLD: lambda: _("The form was more than 7 days old"),
        BAD_TOKEN: lambda: _("The form’s signature was missing or wrong"),
        FOREIGN_ORIGIN: lambda: _("Sent from another site (%(origin)s)", origin=detail),
        RATE_LIMIT: lambda: _("Too many comments from the same address in a short time"),
        DUPLICATE: lambda: _("The same text was already posted on this post"),
        FORM_USED: lambda: _("The form had already sent another comment"),
        AUTHOR_NAME: lambda: _("Signed with the name of one of the site’s authors"),
        BLOCKED_WORD: lambda: _("Contains the blocked word “%(entry)s”", entry=detail),
        BLOCKED_EMAIL: lambda: _("Blocked e-mail address (%(entry)s)", entry=detail),
        BLOCKED_IP: lambda: _("Blocked network address (%(entry)s)", entry=detail),
        FIRST_COMMENT: lambda: _("First comment under this name and e-mail address"),
    }.get(code)
    return described() if described else stored


@dataclass(frozen=True)
class Verdict:
    """Where a comment goes (approved, pending or spam) and why."""

    status: str
    reason: str = ""


# --- Per-client limits ----------------------------------------------------------------------------


def _network() -> str:
    # remote_addr only: X-Forwarded-For is trusted solely through ProxyFix when PROXY_COUNT is set.
    return client_network(request.remote_addr)


def _rate_key() -> str:
    return f"comment-client:{_network()}"


def _rate_limit() -> tuple[int, int]:
    return int(current_app.config["COMMENT_RATE_LIMIT"]), int(
        current_app.config["COMMENT_RATE_WINDOW"]
    )


def is_rate_limited() -> bool:
    """Whether this client has used up its comments (a read, to answer early: see count_attempt)."""
    limit, window = _rate_limit()
    return limit > 0 and throttle.is_limited(_rate_key(), limit, window)


def count_attempt() -> bool:
    """Count one comment attempt (accepted or refused) from this client: whether it was within
    the limit. The caller commits."""
    limit, window = _rate_limit()
    return limit <= 0 or throttle.hit(_rate_key(), limit, window)


def _submission_key() -> str:
    """This submission from this client, as sent: a reload of the answer sends it again, field
    for field."""
    sent = json.dumps([_network(), sorted(request.form.items(multi=True))])
    return "comment-sent:" + hashlib.sha256(sent.encode()).hexdigest()


def count_refusal(*, signed: bool) -> bool:
    """Count a refused attempt from this client (see count_attempt), unless the same submission
    on a form this site signed (`signed`) was counted within the window: a visitor reloading the
    refused page, who must see the same answer again, not "too many comments". Whether it was a
    new attempt, to be recorded. The caller commits."""
    limit, window = _rate_limit()
    if limit <= 0:
        return True
    key = _submission_key()
    if signed and throttle.is_limited(key, 1, window):
        return False
    # Marked only when counted: a client over its limit stores nothing, whatever it sends.
    if count_attempt() and signed:
        throttle.hit(key, 1, window)
    return True


def sender_form_key(token: str) -> str:
    return tokens.form_key(token, _network())


_SENT_BEFORE = (
    select(Comment)
    .where(
        Comment.post_id == bindparam("post_id"),
        (Comment.form_key == bindparam("form_key"))
        | (Comment.fingerprint == bindparam("fingerprint")),
    )
    .order_by((Comment.form_key == bindparam("form_key")).desc())
    .limit(1)
)


def sent_before(post_id: int, form_key: str, body: str) -> Comment | None:
    """The comment this form already sent, else one on the post with the same words (whitespace
    and case aside, in any status), else None."""
    values = {"post_id": post_id, "form_key": form_key, "fingerprint": body_fingerprint(body)}
    return db.session.scalars(_SENT_BEFORE, values).first()


# --- Where a comment goes ------------------------------------------------------------------------


def entries(text: str) -> list[str]:
    """A blocklist setting as its entries: one a line, trimmed, lowercased, blanks skipped."""
    return [line.strip().lower() for line in text.splitlines() if line.strip()]


def _ip_matches(ip: str, entry: str) -> bool:
    """An address against an entry that is an address or a network ("203.0.113.0/24")."""
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return ip.lower() == entry


def _email_matches(email: str, entry: str) -> bool:
    """ "spam@example.com" matches that address; "@example.com" or "example.com" the domain."""
    if "@" in entry.lstrip("@"):
        return email == entry
    return email.endswith("@" + entry.lstrip("@"))


def blocked_reason(name: str, email: str, website: str, body: str, ip: str) -> str | None:
    settings = site_settings()
    text = "\n".join((name, email, website, body)).lower()
    for word in entries(settings.blocked_words):
        if word in text:
            return reason(BLOCKED_WORD, word)
    if email:
        for entry in entries(settings.blocked_emails):
            if _email_matches(email, entry):
                return reason(BLOCKED_EMAIL, entry)
    for entry in entries(settings.blocked_ips):
        if _ip_matches(ip, entry):
            return reason(BLOCKED_IP, entry)
    return None


def link_count(body_html: str) -> int:
    """Links the reader wrote (an @name link to another comment does not count)."""
    return len(_LINK_RE.findall(body_html))


def is_known_commenter(name: str, email: str) -> bool:
    """Whether this name and e-mail address already have an approved comment. Without an
    e-mail address nobody can be recognised: anyone may type a name."""
    if not email:
        return False
    return bool(
        db.session.scalar(
            select(Comment.id)
            .where(
                Comment.status == APPROVED,
                Comment.author_email == email,
                func.lower(Comment.author_name) == name.lower(),
            )
            .limit(1)
        )
    )


def is_authors_name(name: str) -> bool:
    """Whether a visitor signs with an author's display name or login, or a name that would pass
    for one (see lookalike_key: case, spaces, invisible characters and look-alike letters aside)."""
    wanted = lookalike_key(name)
    return any(
        wanted in {lookalike_key(known) for known in names if known}
        for names in db.session.execute(select(Author.display_name, Author.username))
    )


def judge(
    *, name: str, email: str, website: str, body: str, body_html: str, ip: str, by_author: bool
) -> Verdict:
    """Blocklists send a comment to spam; too many links or a first comment hold it; the
    logged-in author's own comments are published."""
    if by_author:
        return Verdict(APPROVED)
    blocked = blocked_reason(name, email, website, body, ip)
    if blocked:
        return Verdict(SPAM, blocked)
    settings = site_settings()
    links = link_count(body_html)
    if links > settings.max_links:
        return Verdict(PENDING, reason(TOO_MANY_LINKS, links))
    if is_authors_name(name):
        return Verdict(PENDING, AUTHOR_NAME)
    if settings.moderate_first_comment and not is_known_commenter(name, email):
        return Verdict(PENDING, FIRST_COMMENT)
    return Verdict(APPROVED)


# --- The record ----------------------------------------------------------------------------------


def log_decision(decision: str, why: str, post: Post, name: str) -> None:
    """One line in the app's log: decision ("approved", "pending", "spam", "refused") is its label,
    stored nowhere else."""
    current_app.logger.info(
        "comment %s on post %s from %s, name %r: %s",
        decision, post.id, request.remote_addr, name, why or "no reason to hold it",
    )  # fmt: skip


def record_refusal(post: Post, name: str, why: str) -> None:
    """Keep a refused comment's trace (not its text) for the author; the caller commits.
    Traces older than 30 days, past REFUSALS_MAX, or past a network's daily share are not kept
    (nor logged)."""
    if not throttle.hit(f"refusal-trace:{_network()}", REFUSALS_PER_NETWORK, 24 * 3600):
        return
    log_decision("refused", why, post, name)
    db.session.add(
        CommentEvent(
            post_id=post.id,
            author_name=name[:COMMENT_NAME_MAX],
            reason=why[:200],
            ip=(request.remote_addr or "")[:IP_MAX],
        )
    )
    db.session.flush()
    oldest_kept = (
        select(CommentEvent.id).order_by(CommentEvent.id.desc()).offset(REFUSALS_MAX - 1).limit(1)
    ).scalar_subquery()
    db.session.execute(
        delete(CommentEvent).where(
            (CommentEvent.at < utcnow() - REFUSALS_KEPT) | (CommentEvent.id < oldest_kept)
        )
    )


def recent_refusals(limit: int = 50) -> list[CommentEvent]:
    """The latest refusals of the last 30 days, with their post's title (one query)."""
    post_title = joinedload(CommentEvent.post).options(
        load_only(Post.id, Post.title, Post.slug), lazyload(Post.author), lazyload(Post.tags)
    )
    return list(
        db.session.scalars(
            select(CommentEvent)
            .where(CommentEvent.at >= utcnow() - REFUSALS_KEPT)
            .options(post_title)
            .order_by(CommentEvent.at.desc(), CommentEvent.id.desc())
            .limit(limit)
        )
    )
