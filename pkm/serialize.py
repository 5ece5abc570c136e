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
from pkm.models import Annotation, Item, ItemRef, Note, SeekReport, Source


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
        "cites": to_jsonable(item.cites),
        "kind": item.kind,
        "answers": item.answers_ref,
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


def annotation_json(a: Annotation, item: ItemRef | None = None) -> dict[str, Any]:
    """A highlight (`exact` not null) or an item-level comment. `start`/`end` index the
    item's `content_text`; an orphan keeps the last place it was known at."""
    return {
        "id": a.id,
        "item_id": a.item_id,
        "item_title": item.title if item else None,
        "item_url": item.url if item else None,
        "exact": a.quote.exact if a.quote else None,
        "prefix": a.quote.prefix if a.quote else None,
        "suffix": a.quote.suffix if a.quote else None,
        "start": a.position.start if a.position else None,
        "end": a.position.end if a.position else None,
        "comment": a.comment,
        "tags": list(a.tags),
        "state": a.state.value,
        "created": to_iso(a.created_at),
        "updated": to_iso(a.updated_at),
        "reviewed": to_iso(a.reviewed_at),
        "review_count": a.review_count,
        "retired": to_iso(a.retired_at),
        "shared_by": a.shared_by,
    }


W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def w3c_annotation(a: Annotation, item: ItemRef | None) -> dict[str, Any]:
    """One annotation in the W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/).

    The target's source is the item's URL (`urn:pkm:item:ID` for an item without one). A
    highlight is selected by a TextQuoteSelector and a TextPositionSelector; the position
    counts characters of pkm's plain text of the item, so other tools should prefer the
    quote. The comment is a TextualBody with purpose `commenting`, each tag one with
    purpose `tagging`.
    """
    source = (item.url if item else None) or f"urn:pkm:item:{a.item_id}"
    target: dict[str, Any] | str = source
    if a.quote is not None:
        selectors: list[dict[str, Any]] = [
            {
                "type": "TextQuoteSelector",
                "exact": a.quote.exact,
                "prefix": a.quote.prefix,
                "suffix": a.quote.suffix,
            }
        ]
        if a.position is not None:
            selectors.append(
                {"type": "TextPositionSelector", "start": a.position.start, "end": a.position.end}
            )
        target = {"source": source, "selector": selectors}
    body: list[dict[str, Any]] = []
    if a.comment:
        body.append(
            {
                "type": "TextualBody",
                "value": a.comment,
                "format": "text/plain",
                "purpose": "commenting",
            }
        )
    body += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in a.tags]
    value: dict[str, Any] = {
        "id": f"urn:pkm:annotation:{a.id}",
        "type": "Annotation",
        "motivation": _motivation(a),
        "created": to_iso(a.created_at),
        "modified": to_iso(a.updated_at),
    }
    if body:
        value["body"] = body
    value["target"] = target
    return value


def _motivation(a: Annotation) -> str:
    if a.comment:
        return "commenting"
    return "highlighting" if a.quote is not None else "tagging"


def w3c_collection(
    annotations: list[Annotation], items: dict[int, ItemRef], label: str = "pkm annotations"
) -> dict[str, Any]:
    """An AnnotationCollection holding every annotation on one embedded AnnotationPage."""
    return {
        "@context": W3C_CONTEXT,
        "id": "urn:pkm:annotations",
        "type": "AnnotationCollection",
        "label": label,
        "total": len(annotations),
        "first": {
            "id": "urn:pkm:annotations:page:0",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [w3c_annotation(a, items.get(a.item_id)) for a in annotations],
        },
    }


def note_json(note: Note, file: str | None = None) -> dict[str, Any]:
    """A note of the vault as the index read it; `file` is its absolute path. `error` says
    why its frontmatter could not be read (null for a good note)."""
    return {
        "id": note.id,
        "path": note.path,
        "file": file,
        "name": note.name,
        "title": note.title,
        "tags": list(note.tags),
        "aliases": list(note.aliases),
        "created": to_iso(note.created),
        "updated": to_iso(note.updated),
        "error": note.error,
    }
