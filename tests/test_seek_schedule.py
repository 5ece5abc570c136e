from datetime import UTC, datetime, timedelta

from pkm.seek import schedule

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


def test_retry_after_seconds_and_http_date() -> None:
    assert schedule.parse_retry_after("120", NOW) == NOW + timedelta(seconds=120)
    assert schedule.parse_retry_after("Mon, 02 Feb 2026 10:30:00 GMT", NOW) == NOW + timedelta(
        minutes=90
    )


def test_retry_after_garbage_or_past_is_ignored() -> None:
    assert schedule.parse_retry_after("soon", NOW) is None
    assert schedule.parse_retry_after("Mon, 02 Feb 2026 08:00:00 GMT", NOW) is None
    assert schedule.parse_retry_after(None, NOW) is None


def test_cache_lifetime_prefers_max_age_then_expires() -> None:
    assert schedule.cache_lifetime({"cache-control": "public, max-age=7200"}, NOW) == 2 * HOUR
    headers = {"expires": "Mon, 02 Feb 2026 12:00:00 GMT", "date": "Mon, 02 Feb 2026 09:00:00 GMT"}
    assert schedule.cache_lifetime(headers, NOW) == 3 * HOUR
    assert schedule.cache_lifetime({"cache-control": "no-cache, max-age=9999"}, NOW) is None
    assert schedule.cache_lifetime({"expires": "0"}, NOW) is None


def test_hints_only_lengthen_the_interval_and_are_capped() -> None:
    assert schedule.next_due(NOW, HOUR, hints=[timedelta(minutes=5)], cap=DAY) == NOW + HOUR
    assert schedule.next_due(NOW, HOUR, hints=[3 * HOUR, None], cap=DAY) == NOW + 3 * HOUR
    assert schedule.next_due(NOW, HOUR, hints=[timedelta(days=365)], cap=DAY) == NOW + DAY


def test_jitter_stays_within_bounds() -> None:
    for _ in range(50):
        due = schedule.next_due(NOW, HOUR, jitter=timedelta(minutes=5), cap=DAY)
        assert NOW + HOUR <= due <= NOW + HOUR + timedelta(minutes=5)


def test_backoff_doubles_and_is_capped() -> None:
    delays = [schedule.backoff_delay(n, HOUR, DAY) for n in range(1, 8)]
    assert delays[:5] == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR]
    assert delays[5:] == [DAY, DAY]
