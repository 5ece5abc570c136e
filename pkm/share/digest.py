"""What a digest shares: the notes, items and highlights of a period, and older highlights
resurfaced from the archive, with everything private left out.

`build_digest` reads the index (after bringing the note index up to date with the vault)
and hands the rows to pure functions that decide; `record_archive` stores which archive
highlights a written digest showed. Contains no rendering (`pkm.share.render`) and no SQL.

Privacy: anything tagged with `[share] private_tag` (without case) never appears: an item
tagged so (itself or through any of its sources), a highlight or comment tagged so, a note
tagged so (in its frontmatter or inline). A public note that cites a private item keeps
its place in the list of cited items as None ("a private source"). Teammates' highlights
(`shared_by`) are never shared as the person's own.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pkm.models import (
    Annotation,
    ArchiveHighlight,
    Digest,
    DigestHighlight,
    DigestItem,
    DigestNote,
    DigestSummary,
    ItemStatus,
    Note,
    Period,
    ShareableItem,
    WikiLink,
)

if TYPE_CHECKING:
    from pkm.core import Pkm

TOP_TAGS = 5
EXCERPT_CHARS = 500
SYNTHESIS_MAX_CHARS = 4000
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_COMMENT_RE = re.compile(r"%%.*?%%|<!--.*?-->", re.DOTALL)
_WIKILINK_RE = re.compile(r"!?\[\[([^\[\]|#\n]*)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")


@dataclass(frozen=True)
class DigestInputs:
    """The rows of the index a period's digest is decided from: the same inputs always
    give the same digest, so they also key the files published from it (see
    `pkm.share.rendered.RenderCache`)."""

    period: Period
    private_tag: str
    archive_count: int
    items: Mapping[int, ShareableItem]
    starred: Sequence[int]
    annotations: Sequence[Annotation]
    notes: Sequence[Note]
    all_notes: Sequence[Note]
    note_bodies: Mapping[int, str]
    note_items: Mapping[int, Sequence[int]]
    note_links: Sequence[tuple[str, WikiLink]]
    archive_pool: Sequence[Annotation] = ()
    archive_history: Mapping[int, datetime] = field(default_factory=dict)


def build_digest(pkm: "Pkm", period: Period, *, author: str) -> Digest:
    """The digest of `period` by `author`, from the index: pure data, private things left out.

    Brings the note index up to date with the vault first, unless pkm is opened read-only.
    The same index, period and author always give the same digest.

    Raises StoreError when the index cannot be read.
    """
    return assemble_digest(read_digest_inputs(pkm, period), author=author)


def read_digest_inputs(pkm: "Pkm", period: Period) -> DigestInputs:
    """What `build_digest` reads of the index (see there)."""
    if not pkm.readonly:
        from pkm.sense.notes import sync_notes

        sync_notes(pkm)
    store = pkm.store
    settings = pkm.settings.share
    window = (period.start, period.end)
    starred = store.get_starred_item_ids(*window)
    changed = store.get_own_annotations(changed_in=window)
    notes = store.get_notes_changed(*window)
    note_items = store.get_note_items([n.id for n in notes])
    archive_pool = (
        store.get_own_annotations(created_before=period.start, highlights_only=True, in_review=True)
        if settings.archive_count > 0
        else []
    )
    wanted = {*starred, *(a.item_id for a in changed), *(a.item_id for a in archive_pool)}
    wanted.update(i for ids in note_items.values() for i in ids)
    return DigestInputs(
        period=period,
        private_tag=settings.private_tag.strip(),
        archive_count=settings.archive_count,
        items=store.get_shareable_items(wanted),
        starred=starred,
        annotations=changed,
        notes=notes,
        all_notes=store.get_notes(),
        note_bodies=store.get_note_bodies([n.id for n in notes]),
        note_items=note_items,
        note_links=store.get_note_links() if notes else [],
        archive_pool=archive_pool,
        archive_history=store.get_archive_history(period.start) if archive_pool else {},
    )


def record_archive(pkm: "Pkm", period: Period, highlight_ids: Sequence[int]) -> None:
    """Remember which archive highlights the digest of `period` showed (its
    `archive_ids`), so that the digests of later periods choose others while others
    remain. Call it when the digest is written out (not on a dry run); running the same
    period again replaces its record."""
    with pkm.sense_lock():
        pkm.store.set_digest_archive(period.start, list(highlight_ids))


# --- the pure part ---------------------------------------------------------------------------


def is_private(tags: Iterable[str], private_tag: str) -> bool:
    if not private_tag:
        return False
    key = private_tag.lstrip("#").casefold()
    return any(t.lstrip("#").casefold() == key for t in tags)


def item_is_private(item: ShareableItem, private_tag: str) -> bool:
    return is_private((*item.tags, *item.source_tags), private_tag)


def _in(t: datetime | None, period: Period) -> bool:
    return t is not None and period.start <= t < period.end


def digest_highlight(a: Annotation) -> DigestHighlight:
    q = a.quote
    return DigestHighlight(
        annotation_id=a.id,
        exact=q.exact if q is not None else None,
        prefix=q.prefix if q is not None else "",
        suffix=q.suffix if q is not None else "",
        comment=a.comment,
        tags=a.tags,
        created=a.created_at,
        updated=a.updated_at if a.updated_at != a.created_at else None,
    )


def _text_order(a: Annotation) -> tuple[int, int]:
    return (a.position.start if a.position is not None else -1, a.id)


def _digest_item(
    item: ShareableItem,
    highlights: Sequence[DigestHighlight],
    changed: datetime,
    *,
    starred_at: datetime | None = None,
) -> DigestItem:
    summary = None
    if item.summary and item.summary.strip():
        from pkm.content import sanitize_html

        summary = sanitize_html(item.summary, item.url) or None
    return DigestItem(
        item_id=item.id,
        title=item.title,
        url=item.url,
        source_title=item.source_title,
        source_url=item.source_url,
        starred=item.status is ItemStatus.STARRED,
        tags=item.tags,
        highlights=tuple(highlights),
        changed=changed,
        content_html=summary,
        starred_at=starred_at,
    )


def select_items(
    period: Period,
    private_tag: str,
    items: Mapping[int, ShareableItem],
    starred: Sequence[int],
    annotations: Sequence[Annotation],
) -> tuple[DigestItem, ...]:
    """The items starred or annotated in the period, with their public highlights, oldest
    change first."""
    by_item: dict[int, list[Annotation]] = {}
    for a in annotations:
        if a.shared_by is None and not is_private(a.tags, private_tag):
            by_item.setdefault(a.item_id, []).append(a)
    chosen: list[DigestItem] = []
    for item_id in sorted({*starred, *by_item}):
        item = items.get(item_id)
        if item is None or item.status is ItemStatus.DELETED:
            continue
        if item_is_private(item, private_tag):
            continue
        own = sorted(by_item.get(item_id, []), key=_text_order)
        starred_at = (
            item.status_changed_at
            if item.status is ItemStatus.STARRED and _in(item.status_changed_at, period)
            else None
        )
        if not own and starred_at is None:
            continue
        times = [a.updated_at if _in(a.updated_at, period) else a.created_at for a in own]
        if starred_at is not None:
            times.append(starred_at)
        chosen.append(
            _digest_item(
                item, [digest_highlight(a) for a in own], max(times), starred_at=starred_at
            )
        )
    chosen.sort(key=lambda i: (i.changed, i.item_id))
    return tuple(chosen)


def synthesis_section(body: str) -> str:
    """The text under a `Synthesis` heading (to the next heading of its level or above)."""
    lines = body.split("\n")
    out: list[str] = []
    level = 0
    fence = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else _HEADING_RE.match(line)
        if level:
            if m is not None and len(m.group(1)) <= level:
                break
            out.append(line)
        elif m is not None and m.group(2).strip().casefold() == "synthesis":
            level = len(m.group(1))
    return "\n".join(out)


def public_text(text: str, private_names: frozenset[str] = frozenset()) -> str:
    """A note's text as it may leave: comments (Obsidian's `%% %%`, HTML's `<!-- -->`) out,
    each wikilink as its label, and a link to a private note as "a private note", so its
    name and label never leave. `private_names`: those notes' names and paths (no `.md`),
    casefolded."""

    def label(m: re.Match[str]) -> str:
        target = (m.group(1) or "").strip()
        if private_names and (
            target.casefold() in private_names
            or target.rsplit("/", 1)[-1].casefold() in private_names
        ):
            return "a private note"
        return (m.group(3) or m.group(1) or m.group(2) or "").strip()

    return _WIKILINK_RE.sub(label, _COMMENT_RE.sub("", text))


def private_note_names(notes: Sequence[Note], private_tag: str) -> frozenset[str]:
    """What a wikilink may call the private notes (or the unreadable ones): their names and
    paths without `.md`, casefolded, for `public_text`."""
    return frozenset(
        name.casefold()
        for n in notes
        if n.error is not None or is_private(n.tags, private_tag)
        for name in (n.name, n.path.removesuffix(".md"))
    )


def _clean_text(text: str, private_names: frozenset[str]) -> str:
    """`public_text`, with blank runs squeezed: what an excerpt shows."""
    return re.sub(r"\n{3,}", "\n\n", public_text(text, private_names)).strip()


def note_excerpt(body: str, private_names: frozenset[str] = frozenset()) -> str:
    """The note's Synthesis section, else the start of its text: the title heading and any
    `Sources` section (pkm's list of highlights) left out; see `public_text`."""
    synthesis = _clean_text(synthesis_section(body), private_names)
    if synthesis:
        if len(synthesis) > SYNTHESIS_MAX_CHARS:
            synthesis = synthesis[: SYNTHESIS_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
        return synthesis
    kept: list[str] = []
    skip_level = 0
    fence = False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else _HEADING_RE.match(line)
        if m is not None:
            level = len(m.group(1))
            if skip_level and level > skip_level:
                continue
            skip_level = level if m.group(2).strip().casefold() == "sources" else 0
            continue  # headings are not part of an excerpt
        if not skip_level:
            kept.append(line)
    text = _clean_text("\n".join(kept), private_names)
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0].rstrip() + "…"


def select_notes(
    period: Period,
    private_tag: str,
    notes: Sequence[Note],
    all_notes: Sequence[Note],
    bodies: Mapping[int, str],
    note_items: Mapping[int, Sequence[int]],
    note_links: Sequence[tuple[str, WikiLink]],
    items: Mapping[int, ShareableItem],
    shared_items: Mapping[int, DigestItem],
) -> tuple[DigestNote, ...]:
    """The public notes created or updated in the period, by title, each with its excerpt,
    the public notes it links to, and the items it cites (None for a private one)."""
    from pkm.sense.vault import LinkResolver

    public = {
        n.path: n for n in all_notes if n.error is None and not is_private(n.tags, private_tag)
    }
    private_names = private_note_names(all_notes, private_tag)
    resolver = LinkResolver(n.path for n in all_notes)
    links_by_path: dict[str, list[str]] = {}
    for path, link in note_links:
        if LinkResolver.is_attachment(link.target):
            continue
        target = resolver.resolve(link.target, path)
        if target is None or target == path or target not in public:
            continue
        titles = links_by_path.setdefault(path, [])
        if public[target].title not in titles:
            titles.append(public[target].title)
    chosen = []
    for note in notes:
        if note.error is not None or is_private(note.tags, private_tag):
            continue
        cites: list[DigestItem | None] = []
        for item_id in note_items.get(note.id, ()):
            item = items.get(item_id)
            if item is None:
                continue
            if item_is_private(item, private_tag):
                cites.append(None)
            elif item_id in shared_items:
                cites.append(shared_items[item_id])
            else:
                cites.append(_digest_item(item, (), period.start))
        chosen.append(
            DigestNote(
                note_id=note.id,
                path=note.path,
                title=note.title,
                excerpt=note_excerpt(bodies.get(note.id, ""), private_names),
                tags=note.tags,
                created=note.created,
                updated=note.updated,
                cites=tuple(cites),
                links=tuple(links_by_path.get(note.path, ())),
            )
        )
    chosen.sort(key=lambda n: (n.title.casefold(), n.path))
    return tuple(chosen)


def archive_rank(label: str, annotation_id: int) -> str:
    """The order a period's digest considers archive highlights in: a hash of the period
    and the highlight, so each period draws its own, and the same period the same ones."""
    return hashlib.sha256(f"{label}\x1f{annotation_id}".encode()).hexdigest()


def select_archive(
    period: Period,
    private_tag: str,
    count: int,
    pool: Sequence[Annotation],
    items: Mapping[int, ShareableItem],
    history: Mapping[int, datetime],
    exclude: Iterable[int] = (),
) -> tuple[ArchiveHighlight, ...]:
    """`count` older public highlights, by `archive_rank`. One an earlier period's digest
    showed (`history`) is chosen again only when too few others remain, the one shown
    longest ago first."""
    if count <= 0:
        return ()
    skip = set(exclude)
    candidates = []
    for a in pool:
        if a.id in skip or a.quote is None or a.shared_by is not None or a.retired_at:
            continue
        if a.created_at >= period.start or is_private(a.tags, private_tag):
            continue
        item = items.get(a.item_id)
        if item is None or item.status is ItemStatus.DELETED:
            continue
        if item_is_private(item, private_tag):
            continue
        candidates.append(a)
    fresh = sorted(
        (a for a in candidates if a.id not in history),
        key=lambda a: archive_rank(period.label, a.id),
    )
    chosen = fresh[:count]
    if len(chosen) < count:
        shown = sorted(
            (a for a in candidates if a.id in history),
            key=lambda a: (history[a.id], archive_rank(period.label, a.id)),
        )
        chosen += shown[: count - len(chosen)]
    return tuple(
        ArchiveHighlight(
            item=_digest_item(items[a.item_id], (), a.created_at), highlight=digest_highlight(a)
        )
        for a in chosen
    )


def summarize(
    notes: Sequence[DigestNote], items: Sequence[DigestItem], private_tag: str
) -> DigestSummary:
    counts: Counter[str] = Counter()
    for n in notes:
        counts.update(n.tags)
    for i in items:
        counts.update(i.tags)
        for h in i.highlights:
            counts.update(h.tags)
    top = sorted(
        ((t, c) for t, c in counts.items() if not is_private([t], private_tag)),
        key=lambda tc: (-tc[1], tc[0]),
    )[:TOP_TAGS]
    return DigestSummary(
        notes=len(notes),
        items=len(items),
        highlights=sum(len(i.highlights) for i in items),
        top_tags=tuple(top),
    )


def assemble_digest(inputs: DigestInputs, *, author: str) -> Digest:
    """The digest, decided from rows of the index: a pure function of its arguments."""
    period, private_tag, items = inputs.period, inputs.private_tag, inputs.items
    chosen_items = select_items(period, private_tag, items, inputs.starred, inputs.annotations)
    by_id = {i.item_id: i for i in chosen_items}
    chosen_notes = select_notes(
        period,
        private_tag,
        inputs.notes,
        inputs.all_notes,
        inputs.note_bodies,
        inputs.note_items,
        inputs.note_links,
        items,
        by_id,
    )
    in_items = {h.annotation_id for i in chosen_items for h in i.highlights}
    archive = select_archive(
        period,
        private_tag,
        inputs.archive_count,
        inputs.archive_pool,
        items,
        inputs.archive_history,
        exclude=in_items,
    )
    return Digest(
        author=author,
        period=period,
        notes=chosen_notes,
        items=chosen_items,
        archive=archive,
        summary=summarize(chosen_notes, chosen_items, private_tag),
    )
