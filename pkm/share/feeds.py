"""The Atom files of a team folder: an author's `feed.atom` (one entry per digest), their
`shared.atom` (one entry per shared item or note; docs/shared-atom.md) and the team's
`feed.atom`. Pure: bytes in, bytes out; written with lxml.etree, never string templates.

Times come from the data, never the clock. An entry's `updated` is the data's time; when
the entry's content differs from the previous file's entry with the same id but that time
did not move (a highlight deleted), it is the previous `updated` plus one second, and when
the content is the same the previous times are kept: `updated` moves exactly when the
content changes, and publishing again with nothing changed gives the same bytes.
"""

import hashlib
import html
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm.content import sanitize_html
from pkm.models import Answer, Question, SharedItem, SharedNote

log = logging.getLogger("pkm.share.feeds")

ATOM_NS = "http://www.w3.org/2005/Atom"
PKM_NS = "https://pkm.invalid/ns/share/1"
TAG_PREFIX = "tag:pkm,2026:"
MAX_SHARED_ENTRIES = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_A = f"{{{ATOM_NS}}}"
_P = f"{{{PKM_NS}}}"
# What XML 1.0 cannot hold: a feed title with a stray control character must not stop a publish.
_NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _etree() -> Any:
    """lxml's etree (no type stubs ship with lxml), loaded on first use."""
    from lxml import etree  # type: ignore[import-untyped]

    return etree


def xml_text(value: str | None) -> str:
    return _NOT_XML_RE.sub("", value or "")


def tag_uri(author: str, *parts: str) -> str:
    """A stable Atom id: `tag:pkm,2026:<author>/<part>/...` (RFC 4151)."""
    return TAG_PREFIX + "/".join((author, *parts))


@dataclass(frozen=True)
class EntryTimes:
    """An entry's id and times as the previous file had them, and what its content was."""

    published: datetime
    updated: datetime
    fingerprint: str


def settle_times(
    previous: EntryTimes | None, fingerprint: str, published: datetime, updated: datetime
) -> tuple[datetime, datetime]:
    """(published, updated) for an entry whose content is `fingerprint` and whose data says
    `published` and `updated` (see the module docstring)."""
    if previous is None:
        return published, updated
    if previous.fingerprint == fingerprint:
        return previous.published, previous.updated
    if updated <= previous.updated:
        updated = previous.updated + timedelta(seconds=1)
    return min(previous.published, published), updated


# --- the digest feeds (an author's feed.atom, the team's feed.atom) -----------------------------


@dataclass(frozen=True)
class DigestEntry:
    """One digest in a feed: `label` is the period (`2026-W05`), `href` the HTML page
    relative to the feed, `summary` a line of counts, `content_html` the sanitized body."""

    author: str  # the name shown
    folder: str  # the author's folder in the team folder (what ids are made of)
    label: str
    title: str
    href: str
    start: datetime
    end: datetime
    published: datetime
    updated: datetime
    summary: str
    content_html: str

    @property
    def id(self) -> str:
        return tag_uri(self.folder, "digest", self.label)

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.title, self.href, self.summary, self.content_html)


def _fingerprint(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def with_previous(entry: DigestEntry, previous: DigestEntry | None) -> DigestEntry:
    """`entry` with times settled against the same digest's entry in the previous feed."""
    before = (
        EntryTimes(previous.published, previous.updated, previous.fingerprint)
        if previous is not None
        else None
    )
    published, updated = settle_times(before, entry.fingerprint, entry.published, entry.updated)
    return replace(entry, published=published, updated=updated)


def render_digest_feed(
    *, feed_id: str, title: str, author: str | None, entries: Sequence[DigestEntry]
) -> bytes:
    """An Atom feed of digests, newest period first (then by author)."""
    etree = _etree()

    ordered = sorted(entries, key=lambda e: (-e.start.timestamp(), e.author, e.label))
    root = etree.Element(_A + "feed", nsmap={None: ATOM_NS, "pkm": PKM_NS})
    _sub(root, "id", feed_id)
    _sub(root, "title", title)
    if author is not None:
        _author(root, author)
    _sub(root, "updated", to_iso(max((e.updated for e in ordered), default=EPOCH)))
    _link(root, "self", "feed.atom")
    _sub(root, "generator", "pkm")
    for e in ordered:
        entry = _sub(root, "entry")
        _sub(entry, "id", e.id)
        _sub(entry, "title", e.title)
        _link(entry, "alternate", e.href, "text/html")
        _author(entry, e.author)
        _sub(entry, "published", to_iso(e.published))
        _sub(entry, "updated", to_iso(e.updated))
        _sub(entry, "summary", e.summary)
        content = _sub(entry, "content", e.content_html)
        content.set("type", "html")
        period = etree.SubElement(entry, _P + "period")
        period.set("label", xml_text(e.label))
        period.set("start", to_iso(e.start) or "")
        period.set("end", to_iso(e.end) or "")
    return _serialize(root)


def read_digest_feed(data: bytes, where: str = "") -> list[DigestEntry]:
    """The digests of a feed `render_digest_feed` wrote; entries it cannot read are skipped,
    and a file that is not such a feed reads as none (logged), so a teammate's broken file
    never stops a publish."""
    etree = _etree()

    if not data.strip():
        return []
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as e:
        log.warning("%s: not a feed: %s", where, e)
        return []
    entries = []
    for entry in root.iterfind(_A + "entry"):
        period = entry.find(_P + "period")
        link = entry.find(_A + "link")
        if period is None:
            continue
        start = from_iso(period.get("start"))
        end = from_iso(period.get("end"))
        published = from_iso(entry.findtext(_A + "published"))
        updated = from_iso(entry.findtext(_A + "updated"))
        author = entry.findtext(f"{_A}author/{_A}name")
        label = period.get("label")
        entry_id = entry.findtext(_A + "id") or ""
        folder = entry_id.removeprefix(TAG_PREFIX).rpartition("/digest/")[0]
        if not (start and end and published and updated and author and label and folder):
            continue
        entries.append(
            DigestEntry(
                author=author,
                folder=folder,
                label=label,
                title=entry.findtext(_A + "title") or label,
                href=link.get("href", "") if link is not None else "",
                start=start,
                end=end,
                published=published,
                updated=updated,
                summary=entry.findtext(_A + "summary") or "",
                content_html=entry.findtext(_A + "content") or "",
            )
        )
    return entries


# --- shared.atom -------------------------------------------------------------------------------


def item_content_html(item: SharedItem) -> str:
    """Each highlight as a blockquote with its comment after it, then the item's comments;
    sanitized."""
    parts = []
    for h in item.highlights:
        if h.exact is not None:
            parts.append(f"<blockquote>{_paragraphs(h.exact)}</blockquote>")
            if h.comment:
                parts.append(_paragraphs(h.comment))
    for h in item.highlights:
        if h.exact is None and h.comment:
            parts.append(_paragraphs(h.comment))
    return sanitize_html("\n".join(parts), item.url)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in b.splitlines()) + "</p>" for b in blocks
    )


def render_shared_feed(
    author: str,
    items: Iterable[SharedItem],
    notes: Iterable[SharedNote],
    note_content: Callable[[SharedNote], str | None],
    previous: bytes | None = None,
    *,
    name: str | None = None,
    questions: Iterable[Question] = (),
    answers: Iterable[Answer] = (),
) -> bytes:
    """`shared.atom` (docs/shared-atom.md) from the author's shared items and notes, newest
    first, at most 500 entries. `note_content` gives a note's sanitized HTML (None: leave
    the note out). `author` is the author's folder (ids are made of it), `name` the name
    shown (default: the same). `previous` is the file as it is, whose times are kept for
    entries that did not change."""
    shown = name or author
    etree = _etree()

    before = read_entry_times(previous) if previous else {}
    root = etree.Element(_A + "feed", nsmap={None: ATOM_NS, "pkm": PKM_NS})
    _sub(root, "id", tag_uri(author, "shared"))
    _sub(root, "title", f"{shown}: shared with pkm")
    _author(root, shown)
    feed_updated = _sub(root, "updated")
    _link(root, "self", "shared.atom")
    _sub(root, "generator", "pkm")
    # Only entries that can make the cut are built: the newest by the data's times, and
    # those of the previous file (whose settled time may be later than the data's). An
    # entry in neither keeps its data time, older than all of the first kind.
    candidates: list[tuple[datetime, str, SharedItem | SharedNote | Question | Answer]] = []
    for item in items:
        if item.starred_at is not None or item.highlights:
            candidates.append((item.updated, tag_uri(author, "item", str(item.item_id)), item))
    for note in notes:
        candidates.append((note.updated, tag_uri(author, "note", note.path), note))
    for q in questions:
        candidates.append((q.asked_at, tag_uri(author, "question", str(q.id)), q))
    for a in answers:
        candidates.append((a.answered_at, tag_uri(author, "answer", str(a.id)), a))
    candidates.sort(key=lambda c: (-c[0].timestamp(), c[1]))
    built: list[tuple[str, Any]] = []
    for _, entry_id, thing in candidates:
        if len(built) >= MAX_SHARED_ENTRIES and entry_id not in before:
            continue
        if isinstance(thing, SharedItem):
            built.append(_item_entry(root, author, shown, thing))
            continue
        if isinstance(thing, Question):
            built.append(_question_entry(root, author, shown, thing))
            continue
        if isinstance(thing, Answer):
            built.append(_answer_entry(root, author, shown, thing, note_content))
            continue
        content = note_content(thing)
        if content is not None:
            built.append(_note_entry(root, author, shown, thing, content))
    settled = []
    for entry_id, entry in built:
        fingerprint = _element_fingerprint(entry)
        published = from_iso(entry.findtext(_A + "published")) or EPOCH
        updated = from_iso(entry.findtext(_A + "updated")) or EPOCH
        published, updated = settle_times(before.get(entry_id), fingerprint, published, updated)
        _set_time(entry, "published", published)
        _set_time(entry, "updated", updated)
        root.remove(entry)
        settled.append((updated, entry_id, entry))
    settled.sort(key=lambda t: (-t[0].timestamp(), t[1]))
    settled = settled[:MAX_SHARED_ENTRIES]
    feed_updated.text = to_iso(settled[0][0] if settled else EPOCH)
    for _, _, entry in settled:
        root.append(entry)
    return _serialize(root)


def _item_entry(root: Any, author: str, shown: str, item: SharedItem) -> tuple[str, Any]:
    etree = _etree()

    entry_id = tag_uri(author, "item", str(item.item_id))
    entry = _sub(root, "entry")
    _sub(entry, "id", entry_id)
    _sub(entry, "title", item.title or item.url or f"item {item.item_id}")
    if item.url:
        _link(entry, "alternate", item.url)
    _author(entry, shown)
    _sub(entry, "published", to_iso(item.published))
    _sub(entry, "updated", to_iso(item.updated))
    for tag in item.tags:
        etree.SubElement(entry, _A + "category").set("term", xml_text(tag))
    content = _sub(entry, "content", item_content_html(item))
    content.set("type", "html")
    _sub(entry, _P + "kind", "item")
    if item.source_url:
        source = etree.SubElement(entry, _P + "source")
        source.set("href", xml_text(item.source_url))
        if item.source_title:
            source.set("title", xml_text(item.source_title))
    for h in item.highlights:
        el = etree.SubElement(entry, _P + "highlight")
        el.set("id", tag_uri(author, "annotation", str(h.annotation_id)))
        el.set("created", to_iso(h.created) or "")
        el.set("updated", to_iso(h.updated) or "")
        _sub(el, _P + "exact", h.exact or "")
        _sub(el, _P + "prefix", h.prefix)
        _sub(el, _P + "suffix", h.suffix)
        _sub(el, _P + "comment", h.comment)
        for tag in h.tags:
            _sub(el, _P + "tag", tag)
    return entry_id, entry


def _note_entry(
    root: Any, author: str, shown: str, note: SharedNote, content_html: str
) -> tuple[str, Any]:
    etree = _etree()

    entry_id = tag_uri(author, "note", note.path)
    entry = _sub(root, "entry")
    _sub(entry, "id", entry_id)
    _sub(entry, "title", note.title)
    _author(entry, shown)
    published = min(note.created or note.updated, note.updated)
    _sub(entry, "published", to_iso(published))
    _sub(entry, "updated", to_iso(note.updated))
    for tag in note.tags:
        etree.SubElement(entry, _A + "category").set("term", xml_text(tag))
    content = _sub(entry, "content", content_html)
    content.set("type", "html")
    _sub(entry, _P + "kind", "note")
    for cite in note.cites:
        if not cite.url:
            continue
        el = etree.SubElement(entry, _P + "cites")
        el.set("href", xml_text(cite.url))
        if cite.title:
            el.set("title", xml_text(cite.title))
    return entry_id, entry


def _question_entry(root: Any, author: str, shown: str, q: Question) -> tuple[str, Any]:
    """A question asked of the team (`pkm:kind question`): its text is title and content."""
    etree = _etree()
    entry_id = tag_uri(author, "question", str(q.id))
    entry = _sub(root, "entry")
    _sub(entry, "id", entry_id)
    _sub(entry, "title", q.text if len(q.text) <= 200 else q.text[:199] + "…")
    _author(entry, shown)
    _sub(entry, "published", to_iso(q.asked_at))
    _sub(entry, "updated", to_iso(q.asked_at))
    for tag in q.tags:
        etree.SubElement(entry, _A + "category").set("term", xml_text(tag))
    _sub(entry, "content", _paragraphs(q.text)).set("type", "html")
    _sub(entry, _P + "kind", "question")
    return entry_id, entry


def _answer_entry(
    root: Any,
    author: str,
    shown: str,
    a: Answer,
    note_content: Callable[[SharedNote], str | None],
) -> tuple[str, Any]:
    """An answer (`pkm:kind answer`, `pkm:answers ref` = the question's entry id): the
    comment, the note it points to (its text, as shared notes are), and the items, each
    also a `pkm:cites` so the asker's pkm links them to the asker's own copies."""
    escape = html.escape
    etree = _etree()
    entry_id = tag_uri(author, "answer", str(a.id))
    entry = _sub(root, "entry")
    _sub(entry, "id", entry_id)
    _sub(entry, "title", f"Re: {a.question_text[:190]}")
    _author(entry, shown)
    _sub(entry, "published", to_iso(a.answered_at))
    _sub(entry, "updated", to_iso(a.answered_at))
    parts = [_paragraphs(a.comment)] if a.comment else []
    if a.note_path:
        parts.append(f"<h3>{escape(a.note_title or a.note_path)}</h3>")
        note = SharedNote(0, a.note_path, a.note_title or a.note_path, (), None, a.answered_at)
        parts.append(note_content(note) or "")
    links = [c for c in a.items if c.url]
    if links:
        rows = "".join(
            f'<li><a href="{escape(c.url or "")}">{escape(c.title or c.url or "")}</a></li>'
            for c in links
        )
        parts.append(f"<ul>{rows}</ul>")
    _sub(entry, "content", sanitize_html("".join(parts))).set("type", "html")
    _sub(entry, _P + "kind", "answer")
    etree.SubElement(entry, _P + "answers").set("ref", xml_text(a.question_ref))
    for c in links:
        el = etree.SubElement(entry, _P + "cites")
        el.set("href", xml_text(c.url))
        if c.title:
            el.set("title", xml_text(c.title))
    return entry_id, entry


def read_entry_times(data: bytes) -> dict[str, EntryTimes]:
    """The times and content fingerprint of every entry of an Atom file pkm wrote."""
    etree = _etree()

    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError:
        return {}
    times = {}
    for entry in root.iterfind(_A + "entry"):
        entry_id = entry.findtext(_A + "id")
        published = from_iso(entry.findtext(_A + "published"))
        updated = from_iso(entry.findtext(_A + "updated"))
        if entry_id and published and updated:
            times[entry_id] = EntryTimes(published, updated, _element_fingerprint(entry))
    return times


def _element_fingerprint(entry: Any) -> str:
    """The entry's canonical XML without its times: what its content is."""
    etree = _etree()

    copy = etree.fromstring(etree.tostring(entry, with_tail=False), parser=_parser())
    for name in ("published", "updated"):
        for el in copy.findall(_A + name):
            copy.remove(el)
    return hashlib.sha256(etree.tostring(copy, method="c14n")).hexdigest()


# --- writing -----------------------------------------------------------------------------------


def _sub(parent: Any, name: str, text: str | None = None) -> Any:
    etree = _etree()

    el = etree.SubElement(parent, name if name.startswith("{") else _A + name)
    if text is not None:
        el.text = xml_text(text)
    return el


def _set_time(entry: Any, name: str, when: datetime) -> None:
    el = entry.find(_A + name)
    if el is not None:
        el.text = to_iso(when)


def _author(parent: Any, name: str) -> None:
    _sub(_sub(parent, "author"), "name", name)


def _link(parent: Any, rel: str, href: str, mime: str | None = None) -> None:
    el = _sub(parent, "link")
    el.set("rel", rel)
    el.set("href", xml_text(href))
    if mime:
        el.set("type", mime)


def _serialize(root: Any) -> bytes:
    etree = _etree()

    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return data


def _parser() -> Any:
    etree = _etree()

    # Our own files, or a teammate's: never resolve entities or reach the network.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True
    )


def entries_by_id(entries: Iterable[DigestEntry]) -> Mapping[str, DigestEntry]:
    return {e.id: e for e in entries}
