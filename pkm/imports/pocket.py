"""Pocket's exports: the CSV of 2025 and the older `ril_export.html`. Pure: bytes in, a plan out.

The CSV has a header row naming its columns, `title,url,time_added,tags,status`: tags are
separated by `|`, `time_added` is when the page was saved (seconds since 1970), `status`
is `unread` or `archive`. A `favorite` column (`1`), when an export has one, stars the item.

The HTML file lists links under `<h1>Unread</h1>` and `<h1>Read Archive</h1>`, each an
`<a href="..." time_added="..." tags="a,b">title</a>` in a `<ul>`; its tags are separated
by commas.

Which of the two a file is, is read from the file: HTML starts with `<`.
"""

import csv
import io
from datetime import datetime

from pkm.errors import ImportFileError
from pkm.imports.plan import (
    ImportedItem,
    ImportFormat,
    ImportPlan,
    SkippedEntry,
    clean_tags,
    decode_text,
    not_web_reason,
    one_line_or_none,
    unix_time,
    web_url,
)
from pkm.models import ItemStatus

_STATUSES = {
    "": ItemStatus.UNREAD,
    "unread": ItemStatus.UNREAD,
    "archive": ItemStatus.ARCHIVED,
    "archived": ItemStatus.ARCHIVED,
    "read": ItemStatus.ARCHIVED,
}
_YES = frozenset({"1", "true", "yes"})
_NO = frozenset({"", "0", "false", "no"})
_SECTIONS = {"unread": ItemStatus.UNREAD, "read archive": ItemStatus.ARCHIVED}


def parse_pocket(data: bytes) -> ImportPlan:
    """A Pocket export, CSV or HTML. Raises ImportFileError naming the line that is wrong."""
    text = decode_text(data)
    if text.lstrip().startswith("<"):
        return _parse_html(text)
    return _parse_csv(text)


def _parse_csv(text: str) -> ImportPlan:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    items: list[ImportedItem] = []
    skipped: list[SkippedEntry] = []
    header: list[str] | None = None
    line = 1
    try:
        for row in reader:
            ref = f"line {line}"
            line = reader.line_num + 1  # the next row starts after this one's last line
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [name.strip().lower() for name in row]
                if "url" not in header:
                    raise ImportFileError(ref, "not a Pocket CSV export: no url column")
                continue
            if len(row) > len(header):
                raise ImportFileError(ref, f"{len(row)} fields, the header names {len(header)}")
            cells = dict(zip(header, row, strict=False))
            item = _csv_item(ref, cells)
            if isinstance(item, SkippedEntry):
                skipped.append(item)
            else:
                items.append(item)
    except csv.Error as e:
        raise ImportFileError(f"line {line}", f"not CSV: {e}") from None
    return ImportPlan(ImportFormat.POCKET, tuple(items), tuple(skipped))


def _csv_item(ref: str, cells: dict[str, str]) -> ImportedItem | SkippedEntry:
    raw_url = cells.get("url", "").strip()
    title = one_line_or_none(cells.get("title"))
    if not raw_url:
        raise ImportFileError(ref, "no url")
    url = web_url(raw_url)
    if url is None:
        return SkippedEntry(ref, not_web_reason(raw_url), title)
    saved = _time(ref, "time_added", cells.get("time_added", ""))
    status_word = cells.get("status", "").strip().lower()
    if status_word not in _STATUSES:
        raise ImportFileError(ref, f"status must be unread or archive, not {status_word!r}")
    status = _STATUSES[status_word]
    favorite = cells.get("favorite", "").strip().lower()
    if favorite not in _YES | _NO:
        raise ImportFileError(ref, f"favorite must be 0 or 1, not {favorite!r}")
    if favorite in _YES:
        status = ItemStatus.STARRED
    tags = clean_tags(cells.get("tags", "").split("|"))
    return ImportedItem(
        ref=ref,
        key=url,
        url=url,
        title=title if title != url else None,
        saved=saved,
        status=status,
        tags=tags,
    )


def _time(ref: str, name: str, value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return unix_time(value)
    except ValueError:
        raise ImportFileError(ref, f"{name} is not a Unix time: {value.strip()!r}") from None


def _parse_html(text: str) -> ImportPlan:
    from lxml import etree  # type: ignore[import-untyped]
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ImportFileError("line 1", f"not HTML: {e}") from None
    items: list[ImportedItem] = []
    skipped: list[SkippedEntry] = []
    status: ItemStatus | None = None
    sections = 0
    for element in root.iter("h1", "a"):
        ref = f"line {element.sourceline or 1}"
        if element.tag == "h1":
            heading = " ".join(element.text_content().split()).lower()
            if heading not in _SECTIONS:
                raise ImportFileError(ref, f"unknown list {element.text_content().strip()!r}")
            status = _SECTIONS[heading]
            sections += 1
            continue
        if status is None:
            raise ImportFileError(ref, "a link outside the Unread and Read Archive lists")
        raw_url = element.get("href", "").strip()
        title = one_line_or_none(element.text_content())
        if not raw_url:
            raise ImportFileError(ref, "a link without an href")
        url = web_url(raw_url)
        if url is None:
            skipped.append(SkippedEntry(ref, not_web_reason(raw_url), title))
            continue
        items.append(
            ImportedItem(
                ref=ref,
                key=url,
                url=url,
                title=title if title != url else None,
                saved=_time(ref, "time_added", element.get("time_added", "")),
                status=status,
                tags=clean_tags(element.get("tags", "").split(",")),
            )
        )
    if not sections:
        raise ImportFileError("line 1", "not a Pocket export: no Unread or Read Archive list")
    return ImportPlan(ImportFormat.POCKET, tuple(items), tuple(skipped))
