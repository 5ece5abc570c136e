"""Which span of time a digest covers: ISO weeks and ranges of days in the person's zone. Pure.

Days and weeks are counted in a time zone (the person's: `local_timezone`), so a week of a
person in Berlin runs from Monday 00:00 Berlin time to the next Monday 00:00, 167 or 169
hours across a DST change. A `Period` holds the bounds in aware UTC, half-open
[start, end), and names the zone it was counted in. Nothing here reads the clock: the
default period is computed from the `now` it is given.
"""

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from pkm.errors import InvalidPeriodError
from pkm.models import Period

_WEEK_RE = re.compile(r"(\d{4})-?W(\d{2})", re.IGNORECASE)
# A digest over more than this many days is almost certainly a typo in a year.
MAX_RANGE_DAYS = 366


def local_timezone(tz_name: str | None = None) -> tzinfo:
    """The person's time zone: `tz_name` (the TZ variable, which the CLI hands in) when it
    names an IANA zone, else the zone /etc/localtime links to, else the system's current
    UTC offset (`datetime.now().astimezone()`: a fixed offset, so DST is not followed)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    names = []
    if tz_name:
        names.append(tz_name.removeprefix(":"))
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "/zoneinfo/" in target:
        names.append(target.split("/zoneinfo/", 1)[1])
    for name in names:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return datetime.now().astimezone().tzinfo or UTC


def zone_name(tz: tzinfo, at: datetime) -> str:
    """An IANA name for `tz` if it has one, else its UTC offset at `at` (`+01:00`)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    offset = at.astimezone(tz).utcoffset() or timedelta(0)
    if offset == timedelta(0) and tz is UTC:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of `day` in `tz`, as aware UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _days(first: date, last: date, label: str, tz: tzinfo) -> Period:
    start = _midnight(first, tz)
    return Period(
        start=start,
        end=_midnight(last + timedelta(days=1), tz),
        label=label,
        timezone=zone_name(tz, start),
    )


def week_period(label: str, tz: tzinfo) -> Period:
    """The ISO week `YYYY-Www` (Monday to Sunday) in `tz`.

    Raises InvalidPeriodError for a malformed label or a week the year does not have (a
    year has week 53 only when it has 53 Thursdays).
    """
    m = _WEEK_RE.fullmatch(label.strip())
    if m is None:
        raise InvalidPeriodError(f"not an ISO week: {label!r} (use YYYY-Www, e.g. 2026-W05)")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidPeriodError(f"{year} has no week {week}: {label!r}") from None
    return _days(monday, monday + timedelta(days=6), f"{year:04d}-W{week:02d}", tz)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidPeriodError(f"{option}: not a date: {text!r} (use YYYY-MM-DD)") from None


def range_period(since: str, until: str, tz: tzinfo) -> Period:
    """The days from `since` to `until`, both included (`YYYY-MM-DD`), in `tz`; labelled
    `SINCE..UNTIL`, or `YYYY-Www` when the days are exactly one ISO week.

    Raises InvalidPeriodError for a date that cannot be read, an end before the start, or
    a range of more than MAX_RANGE_DAYS days.
    """
    first, last = _day(since, "--since"), _day(until, "--until")
    if last < first:
        raise InvalidPeriodError(f"--until {last} is before --since {first}")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidPeriodError(f"a digest covers at most {MAX_RANGE_DAYS} days")
    iso = first.isocalendar()
    if iso.weekday == 1 and (last - first).days == 6:
        return _days(first, last, f"{iso.year:04d}-W{iso.week:02d}", tz)
    return _days(first, last, f"{first.isoformat()}..{last.isoformat()}", tz)


def default_period(now: datetime, tz: tzinfo) -> Period:
    """The last complete ISO week before `now` in `tz` (on a Monday: the week that just
    ended)."""
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.isoweekday() - 1)
    last_monday = this_monday - timedelta(days=7)
    iso = last_monday.isocalendar()
    return week_period(f"{iso.year:04d}-W{iso.week:02d}", tz)


def choose_period(
    *,
    week: str | None,
    since: str | None,
    until: str | None,
    now: datetime,
    tz: tzinfo,
) -> Period:
    """The period a command's options name: `week`, or `since` and `until` together, or
    neither (the default). Raises InvalidPeriodError for any other combination."""
    if week is not None and (since is not None or until is not None):
        raise InvalidPeriodError("give --week or --since/--until, not both")
    if week is not None:
        return week_period(week, tz)
    if since is not None and until is not None:
        return range_period(since, until, tz)
    if since is not None or until is not None:
        raise InvalidPeriodError("--since and --until go together")
    return default_period(now, tz)


def recent_weeks(now: datetime, count: int, tz: tzinfo) -> list[Period]:
    """The `count` ISO weeks in `tz` up to the one `now` falls in (that one included, though
    it has not ended), oldest first."""
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.isoweekday() - 1)
    weeks = []
    for back in range(count - 1, -1, -1):
        iso = (this_monday - timedelta(weeks=back)).isocalendar()
        weeks.append(week_period(f"{iso.year:04d}-W{iso.week:02d}", tz))
    return weeks
