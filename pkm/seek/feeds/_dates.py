"""Feed dates: a raw date string to an aware UTC datetime, or None. Never reads the clock.

Owns the formats: ISO 8601 / RFC 3339 and RFC 822 first (the common cases, by the
standard library), RFC 822 with month names in other European languages ("Seg, 24 Set
2018", Portuguese), year-first dates with slashes or one-digit fields ("2020/1/10 14:33:00",
which feedparser's ISO 8601 handler reads as 1 December), then feedparser's handlers for
the unusual ones, except its ISO 8601 handler, which reads the clock and the local
timezone. A date without a zone is UTC.
"""

import calendar
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from functools import cache
from typing import Any

_ISO_START_RE = re.compile(r"^\d{4}-?\d\d")
_LOOSE_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.I,
)
_WORD_RE = re.compile(r"[^\W\d_]+")
# Month abbreviations and names in French, German, Dutch, Italian, Portuguese and Spanish,
# looked up by the whole word, else its first four letters, else three. No abbreviation
# means two different months across these languages (French juin/juillet need four).
_MONTHS = {
    **dict.fromkeys(["jan", "ene", "gen", "janv"], "Jan"),
    **dict.fromkeys(["feb", "fev", "fév", "févr", "fevr"], "Feb"),
    **dict.fromkeys(["mar", "mär", "mrz", "mrt", "mars"], "Mar"),
    **dict.fromkeys(["apr", "abr", "avr"], "Apr"),
    **dict.fromkeys(["may", "mai", "mag", "mei"], "May"),
    **dict.fromkeys(["jun", "juin", "giu"], "Jun"),
    **dict.fromkeys(["jul", "juil", "lug"], "Jul"),
    **dict.fromkeys(["aug", "ago", "aoû", "aou", "août"], "Aug"),
    **dict.fromkeys(["sep", "set", "sept"], "Sep"),
    **dict.fromkeys(["oct", "out", "ott", "okt"], "Oct"),
    "nov": "Nov",
    **dict.fromkeys(["dec", "dez", "dic", "déc"], "Dec"),
}
_DateHandler = Callable[[str], Any]


@cache
def _fallback_date_handlers() -> tuple[_DateHandler, ...]:
    """feedparser's handlers that do not read the clock or the local timezone (its ISO 8601
    handler does both), for the unusual formats. Imported when first needed: importing
    them loads all of feedparser (20-40 ms), which every parse worker and most runs would
    otherwise pay for dates they never see."""
    from feedparser.datetimes.asctime import _parse_date_asctime
    from feedparser.datetimes.greek import _parse_date_greek
    from feedparser.datetimes.hungarian import _parse_date_hungarian
    from feedparser.datetimes.korean import _parse_date_nate, _parse_date_onblog
    from feedparser.datetimes.rfc822 import _parse_date_rfc822
    from feedparser.datetimes.w3dtf import _parse_date_w3dtf

    return (
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
        parts = parsedate_tz(value) or parsedate_tz(_english_months(value))
        if parts is not None:
            try:
                offset = timezone(timedelta(seconds=parts[9] or 0))
                return datetime(*parts[:6], tzinfo=offset).astimezone(UTC)
            except (ValueError, OverflowError):
                return None
    loose = _LOOSE_RE.match(value)
    if loose is not None:
        return _from_loose(loose)
    for handler in _fallback_date_handlers():
        try:
            struct = handler(value)
        except (KeyError, OverflowError, ValueError, AttributeError, IndexError, TypeError):
            continue
        if struct is not None:
            return _from_struct(struct)
    return None


def _english_months(value: str) -> str:
    """`value` with other languages' month names as RFC 822's English abbreviations."""

    def month(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        found = _MONTHS.get(word) or _MONTHS.get(word[:4]) or _MONTHS.get(word[:3])
        return found if found is not None and len(word) <= 10 else match.group(0)

    return _WORD_RE.sub(month, value)


def _from_loose(match: re.Match[str]) -> datetime | None:
    """A year-first date: "2020/1/10 14:33:00", "2020-1-5", "2020.01.10 09:00 +0100"."""
    year, month, day, hour, minute, second, zone = match.groups()
    offset = timedelta()
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
        return local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    except (ValueError, OverflowError):
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
