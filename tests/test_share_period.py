"""ISO weeks and ranges of days in the person's zone (pkm.share.period)."""

import itertools
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pkm.errors import InvalidPeriodError
from pkm.share.period import (
    choose_period,
    default_period,
    local_timezone,
    range_period,
    week_period,
    zone_name,
)

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_week_runs_monday_to_monday_in_the_zone() -> None:
    p = week_period("2026-W05", BERLIN)
    assert p.label == "2026-W05" and p.timezone == "Europe/Berlin"
    assert p.start == datetime(2026, 1, 25, 23, tzinfo=UTC)
    assert p.end == datetime(2026, 2, 1, 23, tzinfo=UTC)


def test_week_1_may_start_in_the_previous_year_and_week_53_exists_only_in_long_years() -> None:
    assert week_period("2026-W01", UTC).start == datetime(2025, 12, 29, tzinfo=UTC)
    assert week_period("2020-W53", UTC).end == datetime(2021, 1, 4, tzinfo=UTC)
    assert week_period("2026-W53", UTC).start == datetime(2026, 12, 28, tzinfo=UTC)
    with pytest.raises(InvalidPeriodError, match="no week 53"):
        week_period("2025-W53", UTC)
    with pytest.raises(InvalidPeriodError, match="no week 0"):
        week_period("2026-W00", UTC)


def test_a_week_across_a_dst_change_is_167_or_169_hours() -> None:
    spring = week_period("2026-W13", BERLIN)  # 29 March 2026: clocks go forward
    autumn = week_period("2026-W43", BERLIN)  # 25 October 2026: clocks go back
    assert spring.end - spring.start == timedelta(hours=167)
    assert autumn.end - autumn.start == timedelta(hours=169)
    assert spring.end == datetime(2026, 3, 29, 22, tzinfo=UTC)  # Monday 00:00 CEST


def test_consecutive_weeks_tile_time() -> None:
    weeks = [week_period(f"2026-W{n:02d}", BERLIN) for n in range(1, 54)]
    for a, b in itertools.pairwise(weeks):
        assert a.end == b.start
    assert week_period("2027-W01", BERLIN).start == weeks[-1].end


@pytest.mark.parametrize("label", ["2026-5", "2026-W5", "W05", "2026-W05x", "", "26-W05"])
def test_a_malformed_week_is_refused(label: str) -> None:
    with pytest.raises(InvalidPeriodError, match="not an ISO week"):
        week_period(label, UTC)


def test_the_default_is_the_last_complete_week_in_the_persons_zone() -> None:
    monday_morning = datetime(2026, 2, 2, 9, tzinfo=UTC)
    assert default_period(monday_morning, BERLIN).label == "2026-W05"
    # Sunday 20:00 UTC is already Monday in Tokyo: the week that just ended there is W05.
    sunday_evening = datetime(2026, 2, 1, 20, tzinfo=UTC)
    assert default_period(sunday_evening, UTC).label == "2026-W04"
    assert default_period(sunday_evening, TOKYO).label == "2026-W05"
    # New year: the week before 2026-W01 is 2025-W52.
    assert default_period(datetime(2026, 1, 5, 12, tzinfo=UTC), UTC).label == "2026-W01"
    assert default_period(datetime(2026, 1, 4, 12, tzinfo=UTC), UTC).label == "2025-W52"


def test_a_range_includes_both_days() -> None:
    p = range_period("2026-03-01", "2026-03-31", BERLIN)
    assert p.label == "2026-03-01..2026-03-31"
    assert p.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert p.end == datetime(2026, 3, 31, 22, tzinfo=UTC)  # April 1st, 00:00 CEST
    assert range_period("2026-03-04", "2026-03-04", UTC).end == datetime(2026, 3, 5, tzinfo=UTC)
    assert range_period("2026-01-26", "2026-02-01", UTC) == week_period("2026-W05", UTC)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-03-05", "2026-03-04", "before"),
        ("2026-02-30", "2026-03-04", "not a date"),
        ("yesterday", "2026-03-04", "not a date"),
        ("2024-01-01", "2026-01-01", "at most"),
    ],
)
def test_a_bad_range_is_refused(since: str, until: str, message: str) -> None:
    with pytest.raises(InvalidPeriodError, match=message):
        range_period(since, until, UTC)


def test_choose_period_refuses_mixed_or_half_options() -> None:
    now = datetime(2026, 2, 2, 9, tzinfo=UTC)
    kw = {"now": now, "tz": UTC}
    with pytest.raises(InvalidPeriodError, match="not both"):
        choose_period(week="2026-W05", since="2026-01-01", until=None, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidPeriodError, match="go together"):
        choose_period(week=None, since="2026-01-01", until=None, **kw)  # type: ignore[arg-type]
    assert choose_period(week=None, since=None, until=None, now=now, tz=UTC).label == "2026-W05"


def test_zone_names() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert zone_name(BERLIN, at) == "Europe/Berlin"
    assert zone_name(timezone(timedelta(hours=5, minutes=30)), at) == "+05:30"
    assert zone_name(timezone(-timedelta(hours=3)), at) == "-03:00"
    assert zone_name(UTC, at) == "UTC"
    assert getattr(local_timezone("Asia/Tokyo"), "key", None) == "Asia/Tokyo"
    assert local_timezone("Not/AZone") is not None  # falls back to the system's zone
