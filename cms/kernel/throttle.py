"""Rate limits counted in the database, so every worker process shares one count per key."""

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select, text

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
    """A read alone, to turn a request away early: only hit() counts atomically."""
    return recent_count(key, window_seconds) >= limit


def _lock(key: str) -> None:
    """Serialise hit() for one key until the transaction ends. SQLite needs nothing: the first
    write of a request takes the database's write lock (kernel.database), and hit() writes
    before it counts."""
    if db.session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:number)"), {"number": number})


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one event for `key` unless it already has `limit` in the window: whether it was
    under the limit. The count and the check are one step (two requests at once cannot both
    pass the last free place), and a key over its limit stores nothing more. The caller commits;
    events older than a day are pruned."""
    _lock(key)
    event = ThrottleEvent(key=key)
    db.session.add(event)
    db.session.flush()
    if recent_count(key, window_seconds) > limit:
        db.session.delete(event)
        db.session.flush()
        return False
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < utcnow() - timedelta(days=1)))
    return True


def forget(key: str) -> None:
    """Clear the count for `key` (after a successful login, say); the caller commits."""
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.key == key))


def record(key: str) -> None:
    """Count one event for `key` with no limit; the caller commits."""
    db.session.add(ThrottleEvent(key=key))
