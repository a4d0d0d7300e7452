"""Time in one convention: naive UTC datetimes in the database, the site's time zone at the edges."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# A new site's time zone, until its author picks one.
DEFAULT_TIMEZONE = "UTC"
# Listed first on the settings page, most likely first for a site in French or English; every
# one of them is listed again in its region.
COMMON_TIMEZONES = (
    "UTC",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Luxembourg",
    "America/Montreal",
    "America/Toronto",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Africa/Casablanca",
    "Africa/Algiers",
    "Africa/Tunis",
    "Africa/Dakar",
    "Africa/Abidjan",
    "Africa/Kinshasa",
    "Indian/Reunion",
    "America/Martinique",
    "America/Guadeloupe",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Asia/Tokyo",
    "Australia/Sydney",
)
# The tz database's continents and oceans; its other names (US/..., Etc/..., CET) are "other".
TIMEZONE_REGIONS = (
    "Europe",
    "America",
    "Africa",
    "Asia",
    "Australia",
    "Pacific",
    "Atlantic",
    "Indian",
    "Antarctica",
    "Arctic",
)


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


def timezone_regions() -> dict[str, list[str]]:
    """Every time zone once, by TIMEZONE_REGIONS in their order, then "" for the others; sorted
    by name within each."""
    regions: dict[str, list[str]] = {region: [] for region in (*TIMEZONE_REGIONS, "")}
    for name in timezone_names():
        region = name.partition("/")[0]
        regions[region if region in regions and "/" in name else ""].append(name)
    return regions


def local_to_utc(local: datetime, tz: str) -> datetime:
    """A wall-clock time in zone `tz` as a naive UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(utc: datetime, tz: str) -> datetime:
    """A naive UTC datetime as a naive wall-clock time in zone `tz`."""
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
