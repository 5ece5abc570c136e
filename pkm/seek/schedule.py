"""When is a source due again? Pure scheduling arithmetic, with `now` passed in.

There is no daemon: cron calls `pkm seek` as often as it likes and only due sources are
fetched. Server hints (Cache-Control max-age, Expires, RSS <ttl>, Retry-After) may only
lengthen the interval, and every delay is capped so a hostile or confused server cannot
switch a source off for a year.
"""

import random
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

_MAX_AGE_RE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.I)


def _http_date(value: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None or dt.tzinfo is None:
        return None
    return dt


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After in either form: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    when = _http_date(value)
    return when if when is not None and when > now else None


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response says it stays fresh: Cache-Control max-age, else Expires."""
    cache_control = headers.get("cache-control", "")
    if re.search(r"no-cache|no-store", cache_control, re.I):
        return None
    match = _MAX_AGE_RE.search(cache_control)
    if match:
        return timedelta(seconds=int(match.group(1)))
    expires = headers.get("expires")
    if expires:
        when = _http_date(expires)
        date = _http_date(headers.get("date", "")) or now
        if when is not None and when > date:
            return when - date
    return None


def next_due(
    now: datetime,
    interval: timedelta,
    *,
    hints: Iterable[timedelta | None] = (),
    jitter: timedelta = timedelta(0),
    cap: timedelta,
    rng: random.Random | None = None,
) -> datetime:
    """The next time a healthy source is due: the interval, lengthened by any server hint
    (never shortened), capped, plus up to `jitter` so sources spread over cron runs."""
    delay = max([interval, *(h for h in hints if h is not None)])
    delay = min(delay, max(cap, interval))
    if jitter > timedelta(0):
        delay += timedelta(seconds=(rng or random).uniform(0, jitter.total_seconds()))
    return now + delay


def backoff_delay(error_count: int, interval: timedelta, cap: timedelta) -> timedelta:
    """Exponential backoff after `error_count` consecutive failures: 1, 2, 4, 8... intervals."""
    if error_count <= 0:
        return interval
    delay: timedelta = interval * (2 ** min(error_count - 1, 20))
    return min(delay, max(cap, interval))
