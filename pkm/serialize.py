"""The JSON shapes of pkm's values: what `--json` prints and what digests will cite.

Scripts rely on these names, so they change only by adding fields. Datetimes are ISO 8601
UTC (`2026-02-02T09:00:00Z`) or null. Pure and stdlib only, like the models it reads.
"""

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from pkm._util.timeutil import to_iso
from pkm.models import Annotation, Item, Note, SeekReport, Source


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes, tuples and dicts as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def item_json(item: Item) -> dict[str, Any]:
    """An inbox item. `published` is the item's date: the feed's published date, else its
    updated date (many feeds give only one); `updated` is the updated date as given."""
    return {
        "id": item.id,
        "source_url": item.source_urls[0] if item.source_urls else None,
        "source_urls": list(item.source_urls),
        "source_title": item.source_title,
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "author": item.author,
        "published": to_iso(item.date),
        "updated": to_iso(item.updated),
        "summary": item.summary,
        "content_text": item.content_text,
        "status": item.status.value,
        "tags": list(item.tags),
        "enclosures": to_jsonable(item.enclosures),
        "first_seen": to_iso(item.first_seen_at),
        "annotation_count": item.annotation_count,
        "notes": to_jsonable(item.notes),
    }


def item_view_json(
    item: Item, annotations: Sequence[Annotation], notes: Sequence[Note]
) -> dict[str, Any]:
    """An item as `sense show --json` prints it: the inbox shape, its annotations (in text
    order) and the notes citing it in full."""
    return {**item_json(item), "annotations": to_jsonable(annotations), "notes": to_jsonable(notes)}


def source_json(source: Source, now: datetime) -> dict[str, Any]:
    """A subscription with its health at `now`."""
    return {
        "id": source.id,
        "url": source.url,
        "kind": source.kind.value,
        "title": source.title,
        "site_url": source.site_url,
        "tags": list(source.tags),
        "items": source.item_count,
        "added_at": to_iso(source.added_at),
        "last_fetched_at": to_iso(source.last_fetched_at),
        "last_status": source.last_status,
        "last_outcome": source.last_outcome.value if source.last_outcome else None,
        "last_error": source.last_error,
        "error_count": source.error_count,
        "next_due_at": to_iso(source.next_due_at),
        "retry_after_at": to_iso(source.retry_after_at),
        "previous_url": source.previous_url,
        "health": source.health(now).value,
    }


def seek_report_json(report: SeekReport) -> dict[str, Any]:
    """A seek run: totals, counts per outcome, and one record per source."""
    return {
        "ok": not report.failed,
        "new_items": report.new_items,
        "updated_items": report.updated_items,
        "outcomes": {o.value: n for o, n in report.outcome_counts().items()},
        "sources": [to_jsonable(r) for r in report.results],
    }
