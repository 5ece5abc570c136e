"""Note services: keeping the index in step with the vault, and the note commands.

The files are the truth (as in zk): every service that reads notes first syncs the index
with the vault (a stat walk and one query when nothing changed), so a note edited, renamed
or deleted in any editor shows up at once. Writes to the vault and the index are made
under `pkm.sense_lock()`, which each writing service takes itself.
"""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkm._util.fsutil import is_disk_full
from pkm._util.text import one_line, slugify, unique_slug
from pkm._util.timeutil import to_iso
from pkm.errors import (
    DiskFullError,
    ItemNotFoundError,
    NoteError,
    NoteNotFoundError,
    NotFoundError,
)
from pkm.models import (
    Item,
    ItemStatus,
    Note,
    NoteIndexChanges,
    NoteRecord,
    NoteStat,
    RunKind,
    WikiLink,
)
from pkm.sense import synthesize as synth
from pkm.sense import vault as v

if TYPE_CHECKING:
    from pkm.core import Pkm

log = logging.getLogger("pkm.sense.notes")


# --- the index follows the files -----------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    """What a sync (or `reindex`) changed in the index, zk's NoteIndexingStats."""

    notes: int = 0
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    touched: int = 0  # same content, new mtime: only the stat was recorded
    broken: tuple[tuple[str, str], ...] = ()  # (path, why) of notes indexed with an error

    @property
    def changed(self) -> bool:
        return bool(self.added or self.modified or self.removed or self.touched)


def decide_changes(
    vault: Path,
    walked: dict[str, tuple[int, int]],
    indexed: dict[str, NoteStat],
    *,
    force: bool = False,
) -> tuple[NoteIndexChanges, list[str]]:
    """The index changes that bring `indexed` to the files: a file whose size and mtime
    match is unchanged; one whose bytes hash the same was only touched; others are read
    and parsed. Returns the changes and the paths that were new."""
    upserts: list[NoteRecord] = []
    touched: list[NoteStat] = []
    added: list[str] = []
    for path, (size, mtime_ns) in walked.items():
        old = indexed.get(path)
        if old is not None and not force and (old.size, old.mtime_ns) == (size, mtime_ns):
            continue
        stat = NoteStat(path, size, mtime_ns)
        try:
            data = (vault / path).read_bytes()
        except OSError:  # gone since the walk, or unreadable: the next sync sees it
            continue
        if old is not None and not force and v.hash_bytes(data) == old.content_hash:
            touched.append(stat)
            continue
        upserts.append(v.parse_note(stat, data))
        if old is None:
            added.append(path)
    removed = tuple(sorted(set(indexed) - set(walked)))
    return NoteIndexChanges(tuple(upserts), tuple(touched), removed), added


def sync_notes(pkm: "Pkm", *, force: bool = False) -> SyncReport:
    """Bring the note index up to date with the vault; `force` re-reads every file.

    Cheap when nothing changed: a stat walk and one query, no lock and no write. Otherwise
    the diff is made again under the Sense lock (another command may have synced
    meanwhile) and stored in one transaction.
    """
    if pkm.readonly:  # a home that cannot be written: the index is read as it is
        return SyncReport(notes=len(pkm.store.get_note_fingerprints()))
    walked = v.walk_vault(pkm.vault)
    if not force and walked == pkm.store.get_note_fingerprints():
        return SyncReport(notes=len(walked))
    with pkm.sense_lock():
        indexed = pkm.store.get_note_stats()
        changes, added = decide_changes(pkm.vault, walked, indexed, force=force)
        if changes:
            pkm.store.apply_note_changes(changes, pkm.now())
    new = set(added)
    report = SyncReport(
        notes=len(walked),
        added=tuple(sorted(new)),
        modified=tuple(sorted(n.path for n in changes.upserts if n.path not in new)),
        removed=changes.removed,
        touched=len(changes.touched),
        broken=tuple((n.path, n.error) for n in changes.upserts if n.error),
    )
    log.info(
        "notes: %d, %d added, %d modified, %d removed",
        report.notes,
        len(report.added),
        len(report.modified),
        len(report.removed),
    )
    return report


def reindex_notes(pkm: "Pkm", *, force: bool = False) -> SyncReport:
    """`pkm sense reindex`: the sync, with `force` to re-read every file whatever its stat.

    Every note indexed with an error (broken frontmatter) is in `broken`, not only those
    read this time, so the report lists all notes that need a person's attention.
    """
    report = sync_notes(pkm, force=force)
    broken = tuple((n.path, n.error) for n in pkm.store.get_notes() if n.error)
    return replace(report, broken=broken)


def decide_reread(pkm: "Pkm", paths: Collection[str]) -> NoteIndexChanges:
    """The index changes that read these notes again from their files, whatever their
    size and mtime say (a file changed behind pkm's back with its mtime kept, a note whose
    search row was lost); a note whose file is gone is removed. Other notes are left as
    they are. Writes nothing: the caller holds the Sense lock and applies the changes."""
    wanted = set(paths)
    walked = {p: s for p, s in v.walk_vault(pkm.vault).items() if p in wanted}
    indexed = {p: s for p, s in pkm.store.get_note_stats().items() if p in wanted}
    changes, _ = decide_changes(pkm.vault, walked, indexed, force=True)
    return changes


def reread_notes(pkm: "Pkm", paths: Collection[str]) -> SyncReport:
    """Read these notes again into the index (see `decide_reread`), under the Sense lock,
    in one transaction. The report's `notes` counts the paths asked for."""
    with pkm.sense_lock():
        indexed = set(pkm.store.get_note_stats())
        changes = decide_reread(pkm, paths)
        if changes:
            pkm.store.apply_note_changes(changes, pkm.now())
    upserted = [n.path for n in changes.upserts]
    return SyncReport(
        notes=len(set(paths)),
        added=tuple(sorted(p for p in upserted if p not in indexed)),
        modified=tuple(sorted(p for p in upserted if p in indexed)),
        removed=changes.removed,
        broken=tuple((n.path, n.error) for n in changes.upserts if n.error),
    )


@dataclass(frozen=True)
class CheckReport:
    """What `reindex --check` found, without writing anything."""

    notes: int
    stale: tuple[tuple[str, str], ...]  # (path, "added" | "modified" | "removed")
    broken_links: tuple[tuple[str, WikiLink], ...]
    broken: tuple[tuple[str, str], ...]  # (path, why)

    @property
    def ok(self) -> bool:
        return not (self.stale or self.broken_links or self.broken)


def check_notes(pkm: "Pkm") -> CheckReport:
    """Compare the index with the files and check every note's links and frontmatter.

    Reads every file (a check is not the hot path) and writes nothing: neither the index
    nor the vault, and no lock is taken.
    """
    walked = v.walk_vault(pkm.vault)
    indexed = pkm.store.get_note_stats()
    stale: list[tuple[str, str]] = []
    records: list[NoteRecord] = []
    for path, (size, mtime_ns) in sorted(walked.items()):
        try:
            data = (pkm.vault / path).read_bytes()
        except OSError:
            continue
        record = v.parse_note(NoteStat(path, size, mtime_ns), data)
        records.append(record)
        old = indexed.get(path)
        if old is None:
            stale.append((path, "added"))
        elif old.content_hash != record.content_hash:
            stale.append((path, "modified"))
    stale += [(p, "removed") for p in sorted(set(indexed) - set(walked))]
    resolver = v.LinkResolver(walked)
    broken_links = [
        (r.path, link)
        for r in records
        for link in r.links
        if link.target
        and not resolver.is_attachment(link.target)
        and resolver.resolve(link.target, r.path) is None
    ]
    broken = [(r.path, r.error) for r in records if r.error]
    return CheckReport(len(walked), tuple(stale), tuple(broken_links), tuple(broken))


# --- finding and showing notes -------------------------------------------------------------------


def list_notes(pkm: "Pkm", *, tag: str | None = None) -> list[Note]:
    """Every note of the vault (or those tagged `tag`), by title, the index synced first."""
    sync_notes(pkm)
    return pkm.store.get_notes(tag=tag)


def find_note(pkm: "Pkm", ref: str, *, synced: bool = False) -> Note:
    """The note `ref` names, resolved as a wikilink would be: a vault path (with or
    without `.md`), else a file name without case, else a title, else an alias.

    Raises NoteNotFoundError.
    """
    if not synced:
        sync_notes(pkm)
    notes = pkm.store.get_notes()
    by_path = {n.path: n for n in notes}
    key = one_line(ref).strip()
    if key.startswith("[[") and key.endswith("]]"):  # pasted as a link
        key = key[2:-2].split("|", 1)[0].split("#", 1)[0]
    if key in by_path:
        return by_path[key]
    found = v.LinkResolver(by_path).resolve(key) if key else None
    if found is not None:
        return by_path[found]
    folded = key.casefold()
    for attribute in ("title", "aliases"):
        for note in notes:
            values = [note.title] if attribute == "title" else list(note.aliases)
            if any(value.casefold() == folded for value in values):
                return note
    raise NoteNotFoundError(ref)


@dataclass(frozen=True)
class LinkView:
    """A wikilink of the note shown, with the note it resolves to (None: broken)."""

    target: str
    heading: str | None
    alias: str | None
    path: str | None


@dataclass(frozen=True)
class NoteView:
    """`pkm sense note show`: a note, its text, its links both ways and what it cites."""

    note: Note
    file: Path
    text: str
    links: tuple[LinkView, ...]
    backlinks: tuple[Note, ...]
    items: tuple[Item, ...]
    missing_item_ids: tuple[int, ...] = field(default=())


def show_note(pkm: "Pkm", ref: str) -> NoteView:
    """The note `ref` names (see `find_note`) with its text read from the file."""
    note = find_note(pkm, ref)
    text = v.read_note_file(pkm.vault, note.path).text
    notes = {n.path: n for n in pkm.store.get_notes()}
    resolver = v.LinkResolver(notes)
    links = []
    backlinks: dict[str, Note] = {}
    for source_path, link in pkm.store.get_note_links():
        target = resolver.resolve(link.target, source_path) if link.target else source_path
        if source_path == note.path:
            if link.target:
                links.append(LinkView(link.target, link.heading, link.alias, target))
        elif target == note.path:
            backlinks[source_path] = notes[source_path]
    item_ids = pkm.store.get_note_item_ids(note.id)
    items = {i.id: i for i in pkm.store.get_items(item_ids=item_ids)} if item_ids else {}
    return NoteView(
        note=note,
        file=pkm.vault / note.path,
        text=text,
        links=tuple(links),
        backlinks=tuple(sorted(backlinks.values(), key=lambda n: (n.title.casefold(), n.path))),
        items=tuple(items[i] for i in item_ids if i in items),
        missing_item_ids=tuple(i for i in item_ids if i not in items),
    )


def note_file(pkm: "Pkm", ref: str) -> Path:
    """The file of the note `ref` names, for an editor."""
    return pkm.vault / find_note(pkm, ref).path


# --- writing notes -------------------------------------------------------------------------------


def clean_title(title: str) -> str:
    """A title as pkm stores it: one line, no control characters."""
    return one_line(title)


def _create(pkm: "Pkm", title: str, text_for: "Any") -> Path:
    """Create a note named after `title` (a unique slug) with `text_for(path)`; under the lock."""
    vault = pkm.vault
    try:
        vault.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NoteError(str(vault), f"cannot create the vault folder: {e.strerror}") from None
    taken = {v.note_name(p).casefold() for p in v.walk_vault(vault)}
    for _ in range(100):
        name = unique_slug(slugify(title), taken)
        path = f"{name}{v.NOTE_SUFFIX}"
        try:
            v.create_note_file(vault, path, text_for(path))
        except FileExistsError:  # created meanwhile (or a name only the disk folds together)
            taken.add(name.casefold())
            continue
        except OSError as e:
            if is_disk_full(e):
                raise DiskFullError(vault / path) from None
            raise NoteError(path, f"cannot write: {e.strerror}") from None
        return vault / path
    raise NoteError(slugify(title), "no free file name for this title")  # pragma: no cover


def create_note(pkm: "Pkm", title: str, *, tags: Sequence[str] = ()) -> Path:
    """`pkm sense note new`: a new note from the `note.md.j2` template; returns its file.

    The file name is a slug of the title that no other note of the vault has (without
    case); the title itself is kept as given (on one line) in the frontmatter.
    """
    from pkm.rendering import render

    title = clean_title(title) or "Untitled"
    tags = [t.lstrip("#").strip() for t in tags if t.lstrip("#").strip()]
    meta = synth.new_frontmatter(title, tags, [], pkm.now())
    body = render(pkm.paths.home, "note.md.j2", {"title": title, "tags": tags})
    with pkm.sense_lock():
        file = _create(pkm, title, lambda _path: v.new_note_text(meta, body))
    sync_notes(pkm)
    return file


@dataclass(frozen=True)
class SynthesisResult:
    file: Path
    created: bool  # a new note (else an existing one was merged into)
    changed: bool  # False: the note already said all this; nothing was written
    item_ids: tuple[int, ...]


def select_items(pkm: "Pkm", selection: synth.Selection) -> list[int]:
    """The item ids a selection names, in order. ItemNotFoundError for ids that are not
    items; an empty match of a tag or query is an error too (a note of nothing)."""
    if selection.item_ids:
        ids = list(dict.fromkeys(selection.item_ids))
        found = {i.id for i in pkm.store.get_items(item_ids=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ItemNotFoundError(missing)
        return ids
    if selection.tag is not None:
        ids = pkm.store.get_item_ids_tagged(selection.tag)
        if not ids:
            raise NotFoundError(
                f"no items tagged {selection.tag} (nor items with a highlight so tagged)"
            )
        return ids
    if selection.query is not None:
        from pkm.sense.search import SearchQuery, search

        # Items that match, and items whose highlights match; deleted ones are gone.
        statuses = tuple(s for s in ItemStatus if s is not ItemStatus.DELETED)
        query = SearchQuery(
            selection.query, kinds=("item", "annotation"), statuses=statuses, limit=200
        )
        ids = list(dict.fromkeys(h.item_id for h in search(pkm, query) if h.item_id))
        if not ids:
            raise NotFoundError(f"no items match the query: {selection.query}")
        return ids
    return []


def _render_sources(pkm: "Pkm", item_ids: Sequence[int]) -> tuple[str, dict[int, Item]]:
    from pkm.rendering import render

    items = {i.id: i for i in pkm.store.get_items(item_ids=list(item_ids))} if item_ids else {}
    ordered = [items[i] for i in item_ids if i in items]
    annotations = pkm.store.get_annotations(item_ids=[i.id for i in ordered]) if ordered else []
    sections = synth.source_sections(ordered, annotations)
    content = render(pkm.paths.home, "sources.md.j2", {"sources": sections})
    return content, items


def synthesize_note(
    pkm: "Pkm",
    selection: synth.Selection,
    *,
    title: str | None = None,
    into: str | None = None,
) -> SynthesisResult:
    """`pkm sense synthesize`: gather the selected items into a note.

    Without `into`, a new note from `synthesis.md.j2`. With `into`, the existing note gets
    the selected items added to its sources (or, with an empty selection, the sources it
    cites refreshed): only the region between pkm's markers and the frontmatter keys pkm
    owns (`sources`, `updated`, and `tags`, merged) are rewritten; every other byte stays.

    Raises ItemNotFoundError (unknown ids, nothing matched), NoteNotFoundError (`into`),
    NoteError (a note with broken frontmatter or markers, which is never rewritten).
    """
    from pkm.runlog import recorded_run

    with recorded_run(pkm, RunKind.SYNTHESIZE, into or "") as run:
        result = _synthesize(pkm, selection, title=title, into=into)
        run.detail = result.file.name
        run.count(
            items=len(result.item_ids), created=int(result.created), changed=int(result.changed)
        )
    return result


def _synthesize(
    pkm: "Pkm", selection: synth.Selection, *, title: str | None, into: str | None
) -> SynthesisResult:
    from markupsafe import Markup

    from pkm.rendering import render

    selected = select_items(pkm, selection)
    tags = [selection.tag.lstrip("#")] if selection.tag else []
    now = pkm.now()
    if into is None:
        title = clean_title(title or "") or "Untitled"
        content, items = _render_sources(pkm, selected)
        sources = [synth.source_entry(items[i]) for i in selected if i in items]
        meta = synth.new_frontmatter(title, tags, sources, now)
        region = Markup(v.wrap_region(synth.SOURCES_REGION, content))
        context = {"title": title, "tags": tags, "sources_region": region}
        body = render(pkm.paths.home, "synthesis.md.j2", context)
        if v.begin_marker(synth.SOURCES_REGION) not in body:  # an override that left it out
            body = v.replace_region(body, synth.SOURCES_REGION, content)
        with pkm.sense_lock():
            file = _create(pkm, title, lambda _path: v.new_note_text(meta, body))
        sync_notes(pkm)
        return SynthesisResult(file, True, True, tuple(selected))

    note = find_note(pkm, into)
    if note.error:
        raise NoteError(note.path, f"{note.error}; not rewritten")
    cited: list[int] = []

    def merge(current: v.NoteFile) -> str:
        nonlocal cited
        meta = v.frontmatter_values(current.text, current.path)
        parsed = v.parse_sources(meta.get("sources"))
        known = pkm.store.get_note_item_ids(note.id)
        url_ids = _url_ids(pkm, parsed, known)
        order = list(dict.fromkeys([*synth.cited_ids(parsed, url_ids), *selected]))
        content, items = _render_sources(pkm, order)
        cited = [i for i in order if i in items]
        text = v.replace_region(current.text, synth.SOURCES_REGION, content, current.path)
        sources = synth.merged_sources(meta.get("sources"), items, order)
        updates: dict[str, Any] = {}
        if sources != meta.get("sources") and (sources or "sources" in meta):
            updates["sources"] = sources
        new_tags = synth.merged_tags(meta.get("tags"), tags)
        if new_tags is not None:
            updates["tags"] = new_tags
        if text == current.text and not updates:
            return current.text
        updates["updated"] = to_iso(now)
        return v.set_frontmatter(text, updates, current.path)

    with pkm.sense_lock():
        changed = v.update_note_file(pkm.vault, note.path, merge)
    sync_notes(pkm)
    return SynthesisResult(pkm.vault / note.path, False, changed, tuple(cited))


def _url_ids(pkm: "Pkm", parsed: Sequence[Any], known: Sequence[int]) -> dict[str, int]:
    """URL-only sources matched to the items the index found for them (by URL key)."""
    urls = [s.url for s in parsed if s.item_id is None and s.url]
    if not urls or not known:
        return {}
    from pkm._util.urls import url_key

    by_key = {url_key(i.url): i.id for i in pkm.store.get_items(item_ids=list(known)) if i.url}
    return {u: by_key[url_key(u)] for u in urls if url_key(u) in by_key}
