"""Datetimes in pkm are aware UTC; stored and printed as ISO 8601 with a Z."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The wall clock, in one place so that tests and `core.Pkm.now` can replace it."""
    return datetime.now(UTC)


def to_iso(dt: datetime | None) -> str | None:
    """Format an aware datetime as `2026-02-02T09:00:00Z` (seconds precision)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str | None) -> datetime | None:
    """Parse what `to_iso` wrote (and any ISO 8601 form with an offset) back to aware UTC."""
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
