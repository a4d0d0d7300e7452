"""Epochs: a content version plus the time-based changes around it, and the ETags they give."""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..kernel.paths import PROJECT_ROOT
from ..models import PUBLISHED, ContentVersion, Post, SiteSettings


@dataclass(frozen=True)
class Epoch:
    """A span of time in which every public page stays the same: one content version, between
    two time-based changes (a scheduled post appearing, comments closing by age, midnight UTC,
    when the comment form's token ages)."""

    version: int
    language: str
    starts: datetime  # naive UTC: the last change, so the pages' Last-Modified
    ends: datetime  # naive UTC: the next time-based change

    @functools.cached_property
    def name(self) -> str:
        return f"{release()}|{self.version}|{self.starts.isoformat()}|{self.language}"

    def etag(self, key: str) -> str:
        digest = hashlib.blake2b(f"{self.name}|{key}".encode(), digest_size=10).hexdigest()
        return f'W/"{digest}"'

    @functools.cached_property
    def last_modified(self) -> datetime | None:
        """Last-Modified, in whole seconds, rounded up: None while still in that second, since
        a change later in the same second would leave it unchanged."""
        moment = datetime.fromtimestamp(math.ceil(self.starts.replace(tzinfo=UTC).timestamp()), UTC)
        return moment if moment <= datetime.now(UTC) else None


@functools.cache
def release() -> str:
    """Names the code that renders pages (newest template or module), so a deployment changes
    every ETag even when the content did not."""
    newest = 0.0
    for folder in ("templates", "cms"):
        for path in (PROJECT_ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".xml", ".py", ".mo", ".txt"):
                newest = max(newest, path.stat().st_mtime)
    return str(int(newest))


def _time_bounds(now: datetime, close_after_days: int) -> tuple[datetime, datetime]:
    """(latest, next) time-based change around `now`: scheduled publications, comments closing
    by age, and midnight UTC (which also renews the comment forms' tokens)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    latest, upcoming = [midnight], [midnight + timedelta(days=1)]
    published = Post.status == PUBLISHED
    moments = [(now, timedelta(0))]
    if close_after_days > 0:
        age = timedelta(days=close_after_days)
        moments.append((now - age, age))
    for point, offset in moments:
        before = db.session.scalar(
            select(func.max(Post.published_at)).where(published, Post.published_at <= point)
        )
        after = db.session.scalar(
            select(func.min(Post.published_at)).where(published, Post.published_at > point)
        )
        if before is not None:
            latest.append(before + offset)
        if after is not None:
            upcoming.append(after + offset)
    return max(latest), min(upcoming)


def load_epoch(default_language: str) -> Epoch:
    """Read the epoch now in force (inside an app context, without taking a write lock)."""
    from ..kernel.database import reading_only

    now = clock.utcnow()
    with reading_only():
        row = db.session.execute(
            select(ContentVersion.version, ContentVersion.changed_at).where(ContentVersion.id == 1)
        ).first()
        settings = db.session.get(SiteSettings, 1)
        days = settings.close_comments_after_days if settings else 0
        latest, upcoming = _time_bounds(now, days or 0)
        db.session.rollback()
    version, changed_at = row if row else (0, datetime(2000, 1, 1))
    return Epoch(
        version=version,
        language=settings.language if settings else default_language,
        starts=max(changed_at, min(latest, now)),
        ends=upcoming,
    )
