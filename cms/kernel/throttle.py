"""Rate limits counted in the database, so every worker process shares one count per key."""

from datetime import timedelta

from sqlalchemy import delete, func, select

from ..clock import utcnow
from ..extensions import db
from ..models import ThrottleEvent


def recent_count(key: str, window_seconds: int) -> int:
    """How many events `key` recorded within the last `window_seconds`."""
    since = utcnow() - timedelta(seconds=window_seconds)
    return db.session.scalar(
        select(func.count(ThrottleEvent.id)).where(
            ThrottleEvent.key == key, ThrottleEvent.at >= since
        )
    )


def is_limited(key: str, limit: int, window_seconds: int) -> bool:
    return recent_count(key, window_seconds) >= limit


def record(key: str) -> None:
    """Count one event for `key`; the caller commits. Events older than a day are pruned."""
    db.session.add(ThrottleEvent(key=key))
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < utcnow() - timedelta(days=1)))


def forget(key: str) -> None:
    """Clear the count for `key` (after a successful login, say); the caller commits."""
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.key == key))
