"""Hypothesis' JSON export of annotations. Pure: bytes in, a plan out.

The export (Hypothesis' client, "Export annotations") is an object with the annotations in
`annotations`: each as Hypothesis' API gives it, with `id`, `uri` (the page), `text` (the
comment, Markdown), `tags`, `created`, `updated`, `document.title`, `references` (set on a
reply: the annotations it answers) and `target[0].selector`, the W3C selectors of the
passage: TextQuoteSelector (`exact`, `prefix`, `suffix`), TextPositionSelector (`start`,
`end`, in the page's text as the browser had it) and RangeSelector (XPaths into the page's
DOM, which pkm's plain text has no use for). The API's search result (`rows`) and a bare
list of annotations are read too.

Each page becomes an item (its URL, its title from `document.title`) with its annotations:
a highlight keeps its TextQuoteSelector and TextPositionSelector as they are (pkm anchors
them in its own text of the page when it has one); a page note (no selector) is a comment
on the item. Replies are skipped: an export holds the person's own replies without the
annotations they answer, so they would be comments without their context. So are other
people's annotations, which an export of a group's annotations may hold (`user` is not the
`export_userid`): they would become the person's own. A page that is not at an http(s)
URL (a PDF's `urn:x-pdf:`, a local file) is skipped.
"""

import json
from typing import Any

from pkm._util.text import strip_controls
from pkm.errors import ImportFileError
from pkm.imports.plan import (
    ImportedAnnotation,
    ImportedItem,
    ImportFormat,
    ImportPlan,
    SkippedEntry,
    clean_tags,
    clean_text,
    decode_text,
    not_web_reason,
    one_line_or_none,
    parse_iso_time,
    web_url,
)
from pkm.models import ItemStatus, TextPosition, TextQuote


def parse_hypothesis(data: bytes) -> ImportPlan:
    """A Hypothesis export. Raises ImportFileError naming the entry (`annotations[3]`,
    with its id) that cannot be read, or the line of broken JSON."""
    text = decode_text(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFileError(f"line {e.lineno}", f"not JSON: {e.msg}") from None
    key = "annotations"
    owner = None
    if isinstance(document, dict):
        key = "annotations" if "annotations" in document else "rows"
        rows = document.get(key)
        owner = document.get("export_userid")
    else:
        rows = document
    if not isinstance(rows, list):
        raise ImportFileError("the file", "not a Hypothesis export: no list of annotations")
    pages: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    skipped: list[SkippedEntry] = []
    replies = others = 0
    for n, row in enumerate(rows):
        ref = f"{key}[{n}]"
        if not isinstance(row, dict):
            raise ImportFileError(ref, "not an annotation (an object)")
        if isinstance(row.get("id"), str):
            ref += f" (id {one_line_or_none(row['id'])})"
        if isinstance(owner, str) and isinstance(row.get("user"), str) and row["user"] != owner:
            others += 1
            continue
        if row.get("references"):
            replies += 1
            continue
        raw_uri = row.get("uri")
        if not isinstance(raw_uri, str) or not raw_uri.strip():
            raise ImportFileError(ref, "no uri")
        url = web_url(raw_uri)
        if url is None:
            skipped.append(SkippedEntry(ref, not_web_reason(raw_uri), _title(row)))
            continue
        pages.setdefault(url, []).append((ref, row))
    items = tuple(_item(url, rows) for url, rows in pages.items())
    notes = [f"skipped {replies} repl{'ies' if replies > 1 else 'y'}"] if replies else []
    if others:
        notes.append(f"skipped {others} annotation{'s' if others > 1 else ''} by other people")
    return ImportPlan(
        ImportFormat.HYPOTHESIS,
        items,
        tuple(skipped),
        skipped_annotations=replies + others,
        notes=tuple(notes),
    )


def _title(row: dict[str, Any]) -> str | None:
    document = row.get("document")
    title = document.get("title") if isinstance(document, dict) else None
    if isinstance(title, list):
        title = next((t for t in title if isinstance(t, str) and t.strip()), None)
    return one_line_or_none(title)


def _item(url: str, rows: list[tuple[str, dict[str, Any]]]) -> ImportedItem:
    annotations = [_annotation(ref, row) for ref, row in rows]
    created = [a.created for a in annotations if a.created is not None]
    first = min(created, default=None)
    title = next((t for _, row in rows if (t := _title(row))), None)
    return ImportedItem(
        ref=rows[0][0],
        key=url,
        url=url,
        title=title,
        saved=first,
        # The person annotated the page: they read it.
        status=ItemStatus.READ,
        status_at=first,
        annotations=tuple(annotations),
    )


def _annotation(ref: str, row: dict[str, Any]) -> ImportedAnnotation:
    created = _time(ref, row, "created")
    updated = _time(ref, row, "updated") or created
    comment = row.get("text") or ""
    if not isinstance(comment, str):
        raise ImportFileError(ref, "text is not a string")
    tags = row.get("tags") or []
    if not isinstance(tags, list):
        raise ImportFileError(ref, "tags is not a list")
    quote, position = _selectors(ref, row.get("target"))
    comment = clean_text(comment)
    if quote is None and not comment:
        raise ImportFileError(ref, "neither a quote nor a comment")
    return ImportedAnnotation(
        ref=ref,
        quote=quote,
        position=position,
        comment=comment,
        tags=clean_tags(tags),
        created=created,
        updated=updated,
        origin_id=f"hypothesis:{row['id']}" if isinstance(row.get("id"), str) else None,
        origin_target=json.dumps(row["target"], ensure_ascii=False) if row.get("target") else None,
    )


def _time(ref: str, row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    if value is None:
        return None
    try:
        return parse_iso_time(value)
    except ValueError:
        raise ImportFileError(ref, f"{name} is not an ISO 8601 time: {value!r}") from None


def _selectors(ref: str, target: object) -> tuple[TextQuote | None, TextPosition | None]:
    """The passage's TextQuoteSelector and TextPositionSelector, as they are; a page note
    has neither."""
    if target is None:
        return None, None
    if not isinstance(target, list) or not all(isinstance(t, dict) for t in target):
        raise ImportFileError(ref, "target is not a list of objects")
    quote = position = None
    for t in target[:1]:  # Hypothesis keeps one target per annotation
        selectors = t.get("selector") or []
        if not isinstance(selectors, list):
            raise ImportFileError(ref, "target selector is not a list")
        for s in selectors:
            if not isinstance(s, dict):
                raise ImportFileError(ref, "a selector is not an object")
            if s.get("type") == "TextQuoteSelector" and quote is None:
                exact = s.get("exact")
                if not isinstance(exact, str):
                    raise ImportFileError(ref, "TextQuoteSelector without an exact quote")
                prefix, suffix = s.get("prefix") or "", s.get("suffix") or ""
                if not isinstance(prefix, str) or not isinstance(suffix, str):
                    raise ImportFileError(ref, "TextQuoteSelector prefix or suffix is not text")
                if clean_text(exact):
                    quote = TextQuote(_keep(exact), _keep(prefix), _keep(suffix))
            elif s.get("type") == "TextPositionSelector" and position is None:
                start, end = s.get("start"), s.get("end")
                if not (
                    isinstance(start, int)
                    and isinstance(end, int)
                    and not isinstance(start, bool)
                    and not isinstance(end, bool)
                    and 0 <= start <= end
                ):
                    raise ImportFileError(
                        ref, "TextPositionSelector start and end must be 0 <= start <= end"
                    )
                position = TextPosition(start, end)
    return quote, position if quote is not None else None


def _keep(text: str) -> str:
    """Selector text as it is, but without control characters."""
    return strip_controls(text)
