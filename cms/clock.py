"""Time in one convention: naive UTC datetimes in the database, the site's time zone at the edges."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (SQLite and PostgreSQL store it alike)."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def local_to_utc(local: datetime, tz: str) -> datetime:
    """A wall-clock time in zone `tz` as a naive UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(utc: datetime, tz: str) -> datetime:
    """A naive UTC datetime as a naive wall-clock time in zone `tz`."""
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
