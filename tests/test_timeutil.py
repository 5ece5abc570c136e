"""pkm._util.timeutil: how datetimes are written to the index and read back."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkm._util.timeutil import from_iso, to_iso

ZONES = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES))
def test_to_iso_writes_what_strftime_writes(dt: datetime) -> None:
    assert to_iso(dt) == dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 31), timezones=ZONES)
)
def test_what_to_iso_writes_reads_back_to_the_second(dt: datetime) -> None:
    assert from_iso(to_iso(dt)) == dt.astimezone(UTC).replace(microsecond=0)


def test_to_iso_refuses_naive_datetimes_and_passes_none() -> None:
    assert to_iso(None) is None
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 1, 1))
