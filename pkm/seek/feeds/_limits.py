"""`FeedLimits` applied: which entries of a long feed are kept, and how long texts are cut.

Owns the ranking (newest first by published, else updated; undated entries after every
dated one; ties and undated entries in document order, since feeds list newest first) and
the cut (UTF-8 bytes, at a character boundary). Both run before anything is sanitized, so
a hostile feed costs what its kept part costs. Reads no documents.
"""

from collections.abc import Sequence
from datetime import datetime

from pkm.seek.feeds._dates import _parse_date
from pkm.seek.feeds._raw import _RawEntry


def entry_date(published: str | None, updated: str | None, created: str | None) -> datetime | None:
    """The date an entry is ranked by: the `published` it will get (published, else
    created), else its `updated`."""
    return _parse_date(published) or _parse_date(created) or _parse_date(updated)


def newest(dates: Sequence[datetime | None], keep: int) -> list[int]:
    """Indices, in document order, of the `keep` newest entries given their dates.

    Ranked by date, newest first; entries with the same date, and undated entries (ranked
    after all dated ones), keep their document order: feeds list newest first, so an
    earlier entry is the likelier newer one.
    """
    if len(dates) <= keep:
        return list(range(len(dates)))
    dated = [i for i, date in enumerate(dates) if date is not None]
    dated.sort(key=lambda i: (dates[i], -i), reverse=True)
    undated = (i for i, date in enumerate(dates) if date is None)
    ranked = dated[:keep]
    ranked.extend(i for _, i in zip(range(keep - len(ranked)), undated, strict=False))
    return sorted(ranked)


def cut(text: str, max_bytes: int) -> str | None:
    """`text` cut to at most `max_bytes` UTF-8 bytes at a character boundary, or None if it
    already fits. Encodes at most `max_bytes` characters, whatever the text's length."""
    if len(text) * 4 <= max_bytes:
        return None  # no character takes more than 4 bytes
    data = text[: max_bytes + 1].encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return None
    return data[:max_bytes].decode("utf-8", errors="ignore")


def cut_entry(entry: _RawEntry, max_bytes: int) -> bool:
    """Cut every text of `entry` (title, content, summary, plain text) to `max_bytes`, in
    place; whether anything was cut."""
    quarter = max_bytes // 4  # a text of at most this many characters fits: the usual case
    content, summary = entry.content, entry.summary
    if (
        (content is None or len(content.value) <= quarter)
        and (summary is None or len(summary.value) <= quarter)
        and len(entry.title or "") <= quarter
        and len(entry.content_text or "") <= quarter
    ):
        return False
    was_cut = False
    for text in {id(t): t for t in (entry.content, entry.summary) if t is not None}.values():
        shorter = cut(text.value, max_bytes)
        if shorter is not None:
            text.value, was_cut = shorter, True
    for name in ("title", "content_text"):
        value = getattr(entry, name)
        shorter = cut(value, max_bytes) if value else None
        if shorter is not None:
            setattr(entry, name, shorter)
            was_cut = True
    return was_cut
