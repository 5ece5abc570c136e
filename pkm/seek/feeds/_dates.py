"""Feed dates: a raw date string to an aware UTC datetime, or None. Never reads the clock.

Owns the formats: ISO 8601 / RFC 3339 and RFC 822 first (the common cases, by the
standard library), then feedparser's handlers for the unusual ones, except its ISO 8601
handler, which reads the clock and the local timezone. A date without a zone is UTC.
"""

import calendar
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from typing import Any

from feedparser.datetimes.asctime import _parse_date_asctime
from feedparser.datetimes.greek import _parse_date_greek
from feedparser.datetimes.hungarian import _parse_date_hungarian
from feedparser.datetimes.korean import _parse_date_nate, _parse_date_onblog
from feedparser.datetimes.rfc822 import _parse_date_rfc822
from feedparser.datetimes.w3dtf import _parse_date_w3dtf

_ISO_START_RE = re.compile(r"^\d{4}-?\d\d")
_DateHandler = Callable[[str], Any]
# feedparser's handlers that do not read the clock or the local timezone (its ISO 8601
# handler does both), for the unusual formats.
_FALLBACK_DATE_HANDLERS: tuple[_DateHandler, ...] = (
    _parse_date_rfc822,
    _parse_date_w3dtf,
    _parse_date_asctime,
    _parse_date_greek,
    _parse_date_hungarian,
    _parse_date_onblog,
    _parse_date_nate,
)


def _parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None. Dates without a zone are taken as UTC."""
    if not value:
        return None
    value = " ".join(value.split())
    if not value or len(value) > 100:
        return None
    if _ISO_START_RE.match(value):
        parsed = _parse_iso(value)
        if parsed is not None:
            return parsed
    else:
        parts = parsedate_tz(value)
        if parts is not None:
            try:
                offset = timezone(timedelta(seconds=parts[9] or 0))
                return datetime(*parts[:6], tzinfo=offset).astimezone(UTC)
            except (ValueError, OverflowError):
                return None
    for handler in _FALLBACK_DATE_HANDLERS:
        try:
            struct = handler(value)
        except (KeyError, OverflowError, ValueError, AttributeError, IndexError, TypeError):
            continue
        if struct is not None:
            return _from_struct(struct)
    return None


def _parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _from_struct(struct: time.struct_time) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (ValueError, OverflowError, OSError):
        return None
