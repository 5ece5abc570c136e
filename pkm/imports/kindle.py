"""Kindle's `My Clippings.txt`: one item per book, its highlights and notes as annotations.
Pure: bytes in, a plan out.

The file is a list of clippings, each ended by a line of ten `=`:

    Book Title (Author Name)
    - Your Highlight on page 12 | Location 170-172 | Added on Sunday, March 5, 2023 10:12:30 PM

    The highlighted text.
    ==========

The second line says what the clipping is (a highlight, a note or a bookmark), where it is
(`Location A-B`, `page N`, or both) and when it was made. Kindles in other languages write
it in theirs (`- Ihre Markierung bei Position 170-172 | Hinzugefügt am ...`): the kinds and
places of German, French, Spanish and Italian ones are read too; dates only in English (the
others get the time of the import). Times carry no zone: they are read in the zone given.

A book becomes one item without a URL, its guid `kindle:<title> (<author>)`, whose text is
its highlights in the order of the book, one paragraph each, so that every highlight is
anchored in it. A note becomes the comment of the highlight whose location range holds the
note's location (Kindle puts a note at the end of its highlight), else a comment on the
book. Bookmarks are skipped. Kindle writes a highlight again when it is extended or
shortened: of two highlights of a book whose location ranges overlap and one of whose texts
holds the other, only the later is kept (an identical text is kept once too); a note
written again at the same location replaces the earlier one.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from pkm._util.quotes import normalise_quote
from pkm._util.text import strip_controls
from pkm.errors import ImportFileError
from pkm.imports.plan import (
    PARAGRAPH_BREAK,
    ImportedAnnotation,
    ImportedItem,
    ImportFormat,
    ImportPlan,
    decode_text,
    one_line_or_none,
    paragraphs_html,
)
from pkm.models import ItemStatus, TextPosition, TextQuote

SEPARATOR = "=========="
GUID_PREFIX = "kindle:"

_HIGHLIGHT, _NOTE, _BOOKMARK = "highlight", "note", "bookmark"
# The word that names the kind, in the languages Kindle writes (after "- Your", "- Ihre"...).
_KINDS = {
    "highlight": _HIGHLIGHT,
    "clip": _HIGHLIGHT,
    "markierung": _HIGHLIGHT,
    "surlignement": _HIGHLIGHT,
    "subrayado": _HIGHLIGHT,
    "evidenziazione": _HIGHLIGHT,
    "note": _NOTE,
    "notiz": _NOTE,
    "nota": _NOTE,
    "bookmark": _BOOKMARK,
    "lesezeichen": _BOOKMARK,
    "signet": _BOOKMARK,
    "marcador": _BOOKMARK,
    "segnalibro": _BOOKMARK,
}
_META_RE = re.compile(r"^-\s*(.*)$")
_WORD_RE = re.compile(r"[^\W\d_]+")
_LOCATION_RE = re.compile(
    r"(?:location|loc\.|position|emplacement|posici[oó]n|posizione)\s*(\d+)(?:\s*-\s*(\d+))?",
    re.IGNORECASE,
)
_PAGE_RE = re.compile(r"(?:page|seite|p[aá]gina)\s*(\w+)", re.IGNORECASE)
_ADDED_RE = re.compile(r"added on\s+(.+)$", re.IGNORECASE)
_DATE_FORMATS = (
    "%A, %B %d, %Y %I:%M:%S %p",  # Sunday, March 5, 2023 10:12:30 PM
    "%A, %d %B %Y %H:%M:%S",  # Sunday, 5 March 2023 22:12:30 (en-GB)
    "%A, %B %d, %Y, %I:%M %p",  # Monday, March 21, 2011, 09:21 PM (older Kindles)
    "%A, %d %B %Y, %H:%M",
)
_TITLE_RE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


@dataclass
class _Clipping:
    line: int
    kind: str
    text: str
    start: int | None
    end: int | None
    page: str | None
    added: datetime | None
    compared: str = ""  # the text as two clippings are compared (see `_compared`)


@dataclass
class _Book:
    title: str
    author: str | None
    line: int
    highlights: list[_Clipping] = field(default_factory=list)
    notes: list[_Clipping] = field(default_factory=list)


def parse_clippings(data: bytes, tz: tzinfo = UTC) -> ImportPlan:
    """`My Clippings.txt`: one item per book. Raises ImportFileError naming the line of a
    clipping that cannot be read."""
    books: dict[str, _Book] = {}
    bookmarks = empty = 0
    for line, block in _blocks(decode_text(data)):
        title_line = one_line_or_none(block[0].replace("\ufeff", ""))
        if title_line is None:
            raise ImportFileError(f"line {line}", "a clipping without a book title")
        if len(block) < 2:
            raise ImportFileError(f"line {line + 1}", "a clipping without its '- Your ...' line")
        clipping = _clipping(line + 1, block[1], block[2:], tz)
        if clipping.kind == _BOOKMARK:
            bookmarks += 1
            continue
        if not clipping.text:
            empty += 1
            continue
        title, author = _title_author(title_line)
        guid = GUID_PREFIX + title_line
        book = books.setdefault(guid, _Book(title, author, line))
        if clipping.kind == _HIGHLIGHT:
            _keep_highlight(book.highlights, clipping)
        else:
            _keep_note(book.notes, clipping)
    notes = []
    if bookmarks:
        notes.append(f"skipped {bookmarks} bookmark{'s' if bookmarks > 1 else ''}")
    if empty:
        notes.append(f"skipped {empty} empty clipping{'s' if empty > 1 else ''}")
    items = tuple(_item(guid, book) for guid, book in books.items())
    return ImportPlan(ImportFormat.KINDLE, items, skipped_annotations=empty, notes=tuple(notes))


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """The clippings: (line number of the first line, its lines), blank lines around the
    title left out."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.replace("\ufeff", "")
        if line.strip() == SEPARATOR:
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            if not line.strip():
                continue
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def _clipping(line: int, meta: str, body: list[str], tz: tzinfo) -> _Clipping:
    match = _META_RE.match(meta.strip())
    words = _WORD_RE.findall(match.group(1).lower()) if match else []
    kind = next((_KINDS[w] for w in words[:3] if w in _KINDS), None)
    if match is None or kind is None:
        shown = meta.strip()[:60]
        raise ImportFileError(
            f"line {line}",
            f"not a clipping's '- Your Highlight ... | Added on ...' line: {shown!r}",
        )
    parts = match.group(1).split("|")
    start = end = None
    page = added = None
    for part in parts:
        if (found := _LOCATION_RE.search(part)) and start is None:
            start = int(found.group(1))
            end = _range_end(start, found.group(2))
        elif (found := _PAGE_RE.search(part)) and page is None:
            page = found.group(1)
        if found_added := _ADDED_RE.search(part.strip()):
            added = _date(found_added.group(1), tz)
    lines = [strip_controls(b).strip() for b in body]
    text = "\n".join(b for b in lines if b)
    return _Clipping(line, kind, text, start, end, page, added, _compared(text))


def _range_end(start: int, end: str | None) -> int:
    """The end of `Location 1234-56`: older Kindles wrote only its last digits."""
    if end is None:
        return start
    if len(end) < len(str(start)) and int(end) < start:
        end = str(start)[: len(str(start)) - len(end)] + end
    return max(start, int(end))


def _date(text: str, tz: tzinfo) -> datetime | None:
    text = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            local = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=tz).astimezone(UTC)
    return None


def _title_author(line: str) -> tuple[str, str | None]:
    match = _TITLE_RE.match(line)
    if match is None or not match.group(1).strip():
        return line, None
    return match.group(1).strip(), one_line_or_none(match.group(2))


def _overlap(a: _Clipping, b: _Clipping) -> bool:
    if a.start is None or b.start is None or a.end is None or b.end is None:
        return a.page == b.page
    return a.start <= b.end and b.start <= a.end


_ENDS_RE = re.compile(r"^\W+|\W+$")


def _compared(text: str) -> str:
    """A highlight's text as two clippings of it are compared: whitespace normalised, case
    and the punctuation at its ends set aside ("Soil first." grows into "Soil first, then")."""
    return _ENDS_RE.sub("", normalise_quote(text).casefold())


def _keep_highlight(kept: list[_Clipping], new: _Clipping) -> None:
    """Add `new`, dropping an earlier highlight it extends, shortens or repeats."""
    flat = new.compared
    for i, old in enumerate(kept):
        old_flat = old.compared
        if old_flat == flat or (_overlap(old, new) and (old_flat in flat or flat in old_flat)):
            del kept[i]
            break
    kept.append(new)


def _keep_note(kept: list[_Clipping], new: _Clipping) -> None:
    """Add `new`, replacing a note written earlier at the same place (an edit)."""
    for i, old in enumerate(kept):
        if old.start is not None and (old.start, old.page) == (new.start, new.page):
            del kept[i]
            break
    kept.append(new)


def _item(guid: str, book: _Book) -> ImportedItem:
    # In the order of the book: by location, those without one after, in file order.
    order = sorted(
        range(len(book.highlights)),
        key=lambda i: (book.highlights[i].start is None, book.highlights[i].start or 0, i),
    )
    highlights = [book.highlights[i] for i in order]
    paragraphs = [h.text for h in highlights]
    comments: dict[int, list[str]] = {}
    loose: list[_Clipping] = []
    for note in book.notes:
        holder = _holder(highlights, note)
        if holder is None:
            loose.append(note)
        else:
            comments.setdefault(holder, []).append(note.text)
    annotations = []
    offset = 0
    for i, h in enumerate(highlights):
        position = TextPosition(offset, offset + len(h.text))
        offset = position.end + len(PARAGRAPH_BREAK)
        annotations.append(
            ImportedAnnotation(
                ref=f"line {h.line}",
                quote=TextQuote(h.text),
                position=position,
                comment=PARAGRAPH_BREAK.join(comments.get(i, [])),
                created=h.added,
                updated=h.added,
            )
        )
    for note in loose:
        annotations.append(
            ImportedAnnotation(
                ref=f"line {note.line}",
                quote=None,
                comment=note.text,
                created=note.added,
                updated=note.added,
            )
        )
    dates = [c.added for c in [*highlights, *book.notes] if c.added is not None]
    latest = max(dates, default=None)
    return ImportedItem(
        ref=f"line {book.line}",
        key=guid,
        url=None,
        title=book.title,
        author=book.author,
        saved=latest,
        status=ItemStatus.READ,
        status_at=latest,
        content_html=paragraphs_html(paragraphs) if paragraphs else None,
        content_text=PARAGRAPH_BREAK.join(paragraphs),
        paragraphs=True,
        annotations=tuple(annotations),
    )


def _holder(highlights: list[_Clipping], note: _Clipping) -> int | None:
    """The highlight a note belongs to: the last whose location range holds the note's."""
    found = None
    for i, h in enumerate(highlights):
        if note.start is not None and h.start is not None and h.end is not None:
            holds = h.start <= note.start <= h.end
        else:  # no locations (a PDF): the same page
            holds = note.start is None and h.start is None and note.page is not None
            holds = holds and h.page == note.page
        if holds:
            found = i
    return found
