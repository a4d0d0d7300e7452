"""Rate limits counted in the database, so every worker process shares one count per key."""

import hashlib
from collections.abc import Callable
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


def hit_spaced(key: str, gap: Callable[[int], float], window_seconds: int) -> float:
    """Count one event for `key` if it comes at least gap(n) seconds after the last one, n being
    how many the window holds; otherwise count nothing and say how many seconds are left to wait
    (0 when it was counted). One step, as in hit(); the caller commits."""
    _lock(key)
    event = ThrottleEvent(key=key)
    db.session.add(event)
    db.session.flush()
    since = utcnow() - timedelta(seconds=window_seconds)
    count, last = db.session.execute(
        select(func.count(ThrottleEvent.id), func.max(ThrottleEvent.at)).where(
            ThrottleEvent.key == key, ThrottleEvent.at >= since, ThrottleEvent.id != event.id
        )
    ).one()
    wait = gap(count) - (event.at - last).total_seconds() if count else 0.0
    if wait > 0:
        db.session.delete(event)
        db.session.flush()
        return wait
    return 0.0


def give_back(key: str) -> None:
    """Take back the last event counted for `key` (an attempt that turned out right); the caller
    commits."""
    newest = select(ThrottleEvent.id).where(ThrottleEvent.key == key)
    newest = newest.order_by(ThrottleEvent.id.desc()).limit(1).scalar_subquery()
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.id == newest))


def forget(key: str) -> None:
    """Clear the count for `key` (after a successful login, say); the caller commits."""
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.key == key))
