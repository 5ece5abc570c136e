"""Datetimes in pkm are aware UTC; stored and printed as ISO 8601 with a Z."""

import re
from datetime import UTC, date, datetime, timedelta


def utc_now() -> datetime:
    """The wall clock, in one place so that tests and `core.Pkm.now` can replace it."""
    return datetime.now(UTC)


def to_iso(dt: datetime | None) -> str | None:
    """Format an aware datetime as `2026-02-02T09:00:00Z` (seconds precision)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    u = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    # What strftime("%Y-%m-%dT%H:%M:%SZ") writes (the year unpadded, as glibc writes it),
    # at half the cost: storing a feed of 20 entries formats 60 dates.
    return f"{u.year}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def from_iso(text: str | None) -> datetime | None:
    """Parse what `to_iso` wrote (and any ISO 8601 form with an offset) back to aware UTC."""
    if not text:
        return None
    dt = datetime.fromisoformat(text)  # Python 3.11 reads the Z
    if dt.tzinfo is UTC:  # what to_iso wrote: the common case, and a hot one
        return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


# A duration as people type it on a command line: 90m, 12h, 7d, 2w.
_DURATION_RE = re.compile(r"\s*(\d{1,5})\s*(m|min|h|d|w)\s*", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`90m`, `12h`, `7d`, `2w` as a timedelta (for `--older-than`).

    Raises ValueError with a message fit for the user.
    """
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90m, 12h, 7d or 2w)")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_when(text: str, now: datetime, *, end: bool = False) -> datetime:
    """A point in time as a person gives it (for `--since` / `--until`), as aware UTC.

    Accepts a date (`2026-01-31`, a whole day in UTC, the zone the inbox shows dates in),
    an ISO 8601 datetime (`2026-01-31T08:00`, `...Z`, `...+01:00`; without an offset it is
    UTC), or a time before `now` (`12h`, `7d`, `2w`; see `parse_duration`).

    With `end`, the result is the first instant *after* what the text names, so that
    `--until 2026-01-31` includes the whole of that day: callers compare `t < result`.

    Raises ValueError with a message fit for the user.
    """
    if _DURATION_RE.fullmatch(text):
        return now - parse_duration(text)
    text = text.strip()
    try:
        if "T" not in text.upper() and " " not in text:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        dt = datetime.fromisoformat(re.sub("[zZ]$", "+00:00", text))
    except ValueError:
        raise ValueError(
            f"not a date: {text!r} (use YYYY-MM-DD, an ISO 8601 time, or e.g. 7d, 2w)"
        ) from None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    # Stored times have whole seconds: the end of the second a datetime names.
    return dt.replace(microsecond=0) + timedelta(seconds=1) if end else dt
