"""First-party spam defences, the reasons they give, and the record of every decision."""

from __future__ import annotations

import ipaddress
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
from ..kernel.settings import site_settings
from ..models import (
    APPROVED,
    COMMENT_NAME_MAX,
    IP_MAX,
    PENDING,
    SPAM,
    Comment,
    CommentEvent,
    Post,
    body_fingerprint,
)

# Reason codes, stored on held comments and refusals as "code" or "code:detail" and described
# to the author in the site's language when shown.
HONEYPOT = "honeypot"
TOO_FAST = "too-fast"
TOO_OLD = "too-old"
BAD_TOKEN = "token"  # noqa: S105 (a reason code, not a secret)
FOREIGN_ORIGIN = "origin"
RATE_LIMIT = "rate-limit"
DUPLICATE = "duplicate"
TOO_MANY_LINKS = "links"
BLOCKED_WORD = "blocked-word"
BLOCKED_EMAIL = "blocked-email"
BLOCKED_IP = "blocked-ip"
FIRST_COMMENT = "first-comment"

REFUSALS_KEPT = timedelta(days=30)
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


def _rate_key() -> str:
    # remote_addr only: X-Forwarded-For is trusted solely through ProxyFix when PROXY_COUNT is set.
    return f"comment-client:{request.remote_addr}"


def is_rate_limited() -> bool:
    limit = int(current_app.config["COMMENT_RATE_LIMIT"])
    if limit <= 0:
        return False
    return throttle.is_limited(_rate_key(), limit, int(current_app.config["COMMENT_RATE_WINDOW"]))


def count_attempt() -> None:
    """Count one comment attempt from this client; the caller commits."""
    if int(current_app.config["COMMENT_RATE_LIMIT"]) > 0:
        throttle.record(_rate_key())


_SAME_BODY = (
    select(Comment.id)
    .where(Comment.post_id == bindparam("post_id"), Comment.fingerprint == bindparam("fingerprint"))
    .limit(1)
)


def is_duplicate(post_id: int, body: str) -> bool:
    """Whether the post already holds this body (whitespace and case aside), in any status."""
    found = db.session.scalar(
        _SAME_BODY, {"post_id": post_id, "fingerprint": body_fingerprint(body)}
    )
    return found is not None


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
    Traces older than 30 days are pruned."""
    log_decision("refused", why, post, name)
    db.session.add(
        CommentEvent(
            post_id=post.id,
            author_name=name[:COMMENT_NAME_MAX],
            reason=why[:200],
            ip=(request.remote_addr or "")[:IP_MAX],
        )
    )
    db.session.execute(delete(CommentEvent).where(CommentEvent.at < utcnow() - REFUSALS_KEPT))


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
