"""Deciding what one fetch changes about a source and its items. Pure: typed values in, a
frozen `SourceUpdate` out, never the index (lemon24/reader's `Decider`).

The inputs are the source as stored, what retrieval and parsing produced, and the few facts
of the index the decision depends on (`Known`), read beforehand in the same transaction in
which the store then applies the decision.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from random import Random

from pkm._util.quotes import place_quote, quote_at
from pkm._util.text import one_line
from pkm._util.timeutil import to_iso
from pkm._util.urls import url_key
from pkm.models import (
    AnnotationState,
    EntryAction,
    EntryUpdate,
    FetchOutcome,
    ParsedEntry,
    SharedAnnotation,
    Source,
    SourceMove,
    SourceResult,
    SourceUpdate,
    StoredEntries,
    StoredShared,
    TeammateHighlight,
    TextQuote,
)
from pkm.seek import schedule
from pkm.seek.parse import EntryRow, Parsed, shared_hash, split_stored_hash, stored_hash
from pkm.seek.retrieve import Fetched


@dataclass(frozen=True)
class Policy:
    """The scheduling rules a run follows, from `[seek]` settings."""

    interval: timedelta = timedelta(minutes=60)
    jitter: timedelta = timedelta(minutes=5)
    max_backoff: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Known:
    """What the index already holds that the decision depends on."""

    entries: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # id -> (item, hash)
    items_by_url_key: Mapping[str, int] = field(default_factory=dict)
    redirect_owner: int | None = None  # another source already at the redirect target
    # A teammate's shared.atom: the highlights of theirs the index holds from this source
    # (by the highlight's id), the reader's texts of the items its entries are about, and
    # the items this source alone delivered (only those does a changed entry rewrite).
    shared: Mapping[str, StoredShared] = field(default_factory=dict)
    item_texts: Mapping[int, str] = field(default_factory=dict)
    exclusive_items: frozenset[int] = frozenset()


def needs_parsing(source: Source, fetched: Fetched) -> bool:
    """A successful response whose body differs from the last one parsed."""
    if fetched.problem:
        return False
    if fetched.permanent_url:
        return True
    # A source never parsed has no hash to compare: hashing its body is left to the parse
    # (a worker, on a large run), not done here as well.
    return source.body_hash is None or fetched.body is None or fetched.body_hash != source.body_hash


def decide(
    source: Source,
    fetched: Fetched,
    parsed: Parsed | None,
    known: Known,
    *,
    now: datetime,
    policy: Policy,
    rng: Random | None = None,
) -> tuple[SourceUpdate, tuple[str, ...]]:
    """What storing this fetch changes, and the notes the run reports about it.

    `parsed` is None when there was nothing to parse (an error, 304, an identical body).
    """
    status = fetched.status
    hints = [schedule.cache_lifetime(fetched.headers, now)]
    error: str | None = None
    retry_after: datetime | None = None
    gone = False
    feed = parsed.feed if parsed is not None else None
    if status is None or fetched.error:
        error = fetched.error or "no response"
    elif status == 410:
        gone = True
    elif status in (429, 503):
        retry_after = schedule.parse_retry_after(fetched.headers.get("retry-after"), now)
        retry_after = min(retry_after, now + policy.max_backoff) if retry_after else None
        error = f"HTTP {status}"
        if retry_after:
            error += f", retry after {to_iso(retry_after)}"
    elif status != 304 and not 200 <= status < 300:
        error = f"HTTP {status}"
    elif parsed is not None and parsed.error is not None:
        error = parsed.error

    notes: list[str] = []
    move: SourceMove | None = None
    entries: tuple[EntryUpdate, ...] = ()
    if error is not None:
        error_count = source.error_count + 1
        due = now + schedule.backoff_delay(error_count, policy.interval, policy.max_backoff)
        due = max(due, retry_after) if retry_after else due
    else:
        error_count = 0
        if feed is not None:
            if feed.ttl_minutes:
                hints.append(timedelta(minutes=feed.ttl_minutes))
            if fetched.permanent_url and url_key(fetched.permanent_url) != url_key(source.url):
                move, note = _redirect(source, fetched.permanent_url, known.redirect_owner)
                notes.append(note)
            entries = entry_updates(parsed.rows if parsed else [], known, now)
            notes.extend(_cap_notes(feed.dropped_entries, feed.truncated_entries, parsed))
        due = schedule.next_due(
            now, policy.interval, hints=hints, cap=policy.max_backoff, jitter=policy.jitter, rng=rng
        )

    if gone:
        outcome = FetchOutcome.GONE
    elif error is not None:
        outcome = FetchOutcome.FAILED
    elif any(e.action in (EntryAction.NEW, EntryAction.CHANGE) for e in entries):
        outcome = FetchOutcome.NEW
    else:
        outcome = FetchOutcome.UNCHANGED
    refreshed = error is None and not gone  # a 2xx or 304 carries fresh validators
    update = SourceUpdate(
        source_id=source.id,
        fetched_at=now,
        fetch_url=fetched.url,
        outcome=outcome,
        http_status=status,
        error=error,
        error_count=error_count,
        next_due_at=due,
        retry_after_at=retry_after,
        duration_ms=int(fetched.elapsed * 1000),
        # Stored exactly as received: servers compare them byte for byte.
        etag=fetched.headers.get("etag", source.etag) if refreshed else source.etag,
        last_modified=(
            fetched.headers.get("last-modified", source.last_modified)
            if refreshed
            else source.last_modified
        ),
        body_hash=(parsed.body_hash or fetched.body_hash) if parsed and feed else None,
        title=(feed.title or source.title) if feed is not None else None,
        site_url=(feed.site_url or source.site_url) if feed is not None else None,
        is_gone=gone,
        move=move,
        entries=entries,
    )
    return update, tuple(notes)


def entry_updates(
    rows: Sequence[EntryRow], known: Known, now: datetime, *, sort_now: bool = False
) -> tuple[EntryUpdate, ...]:
    """New, linked and changed entries; unchanged ones are left out.

    An item sorts by its date, but never later than now (a feed dated in the future must
    not pin an item to the top of the inbox); `sort_now` sorts by now (a page being saved).
    """
    updates = []
    for entry, digest, key in rows:
        found = known.entries.get(entry.entry_id)
        sort_at = now if sort_now else min(entry.published or entry.updated or now, now)
        content_hash = stored_hash(digest, entry.fingerprint)
        if found is not None:
            item_id, old = found
            if split_stored_hash(old)[0] != digest:
                updates.append(
                    EntryUpdate(
                        EntryAction.CHANGE,
                        entry,
                        content_hash,
                        key,
                        item_id,
                        sort_at=now if sort_now else None,
                    )
                )
            elif old != content_hash:  # the same entry; its raw form changed, or was not kept
                updates.append(EntryUpdate(EntryAction.REHASH, entry, content_hash, key, item_id))
            continue
        existing = known.items_by_url_key.get(key) if key is not None else None
        action = EntryAction.NEW if existing is None else EntryAction.LINK
        updates.append(
            EntryUpdate(
                action,
                entry,
                content_hash,
                key,
                existing,
                sort_at=sort_at if action is EntryAction.NEW or sort_now else None,
            )
        )
    if any(e.kind is not None for e, _, _ in rows):
        return shared_updates(updates, rows, known, now)
    return tuple(updates)


def shared_updates(
    updates: Sequence[EntryUpdate], rows: Sequence[EntryRow], known: Known, now: datetime
) -> tuple[EntryUpdate, ...]:
    """`updates` of a teammate's shared.atom, with what each does to their highlights.

    Each highlight becomes an annotation of the item its entry is about, with `shared_by`
    naming the teammate: placed in the reader's own text of that item when the quote is
    there (`place_quote`), else orphaned with the teammate's quote. One the index holds
    already (the same highlight id, from this source) is updated in place when it was
    edited upstream; one that disappeared from the feed is removed. An entry that changed
    rewrites its item only when this source alone delivered the item: linked to the
    reader's copy of an article, it changes the highlights on it, never the article.
    """
    in_feed = {h.id for e, _, _ in rows for h in e.highlights}
    gone: dict[int, list[int]] = {}  # item -> its highlights from this source not in the feed
    for shared_id, held in known.shared.items():
        if shared_id not in in_feed:
            gone.setdefault(held.item_id, []).append(held.annotation_id)
    placed: set[str] = set()  # highlight ids decided so far: a repeat in a later entry is not
    batch_texts: dict[str, str] = {}  # URL key -> text of an entry this batch inserts
    result = []
    for update in updates:
        entry = update.entry
        if entry.kind is None:
            result.append(update)
            continue
        item_id = update.item_id
        write = update.action is EntryAction.NEW or (
            update.action is EntryAction.CHANGE and item_id in known.exclusive_items
        )
        if update.action is EntryAction.NEW:
            text = batch_texts.get(update.url_key or "", entry.content_text)
            if update.url_key is not None:
                batch_texts.setdefault(update.url_key, entry.content_text)
        else:
            assert item_id is not None
            text = entry.content_text if write else known.item_texts.get(item_id, "")
        removed = list(gone.pop(item_id, ())) if item_id is not None else []
        annotations = []
        for h in entry.highlights:
            if h.id in placed:
                continue
            placed.add(h.id)
            stored = known.shared.get(h.id)
            digest = shared_hash(h)
            if stored is not None and stored.item_id == item_id:
                if stored.shared_hash != digest:
                    annotations.append(
                        shared_annotation(h, entry, digest, text, now, stored.annotation_id)
                    )
                continue
            if stored is not None:  # held on another item: the entry now names another article
                removed.append(stored.annotation_id)
            annotations.append(shared_annotation(h, entry, digest, text, now))
        result.append(
            replace(
                update,
                write_content=write,
                annotations=tuple(annotations),
                removed_annotations=tuple(dict.fromkeys(removed)),
            )
        )
    return tuple(result)


def shared_annotation(
    h: TeammateHighlight,
    entry: ParsedEntry,
    digest: str,
    text: str,
    now: datetime,
    annotation_id: int | None = None,
) -> SharedAnnotation:
    """The annotation a teammate's highlight becomes in `text` (the reader's copy)."""
    quote = position = None
    state = AnnotationState.ANCHORED
    if h.exact:
        wanted = TextQuote(h.exact, h.prefix, h.suffix)
        position = place_quote(wanted, text)
        if position is None:
            quote, state = wanted, AnnotationState.ORPHANED
        else:
            quote = quote_at(text, position)
    created = h.created or h.updated or now
    return SharedAnnotation(
        shared_id=h.id,
        shared_by=entry.shared_by or "a teammate",
        shared_hash=digest,
        quote=quote,
        position=position,
        state=state,
        comment=h.comment,
        tags=h.tags,
        created_at=created,
        updated_at=h.updated or created,
        annotation_id=annotation_id,
    )


def result_of(
    source: Source, update: SourceUpdate, stored: StoredEntries, notes: Sequence[str]
) -> SourceResult:
    """What the run reports about one source once its update is stored."""
    error = update.error
    if update.is_gone:
        error = "HTTP 410 Gone: no longer fetched"
    return SourceResult(
        url=update.move.url if update.move else source.url,
        outcome=update.outcome,
        source_id=source.id,
        title=update.title or source.title,
        http_status=update.http_status,
        new_items=len(stored.new_item_ids),
        updated_items=len(stored.changed_item_ids),
        error=one_line(error) if error else None,
        error_count=update.error_count,
        next_due_at=update.next_due_at,
        retry_after_at=update.retry_after_at,
        redirected_to=update.move.url if update.move else None,
        notes=tuple(notes),
        newly_gone=update.is_gone and not source.is_gone,
        new_item_ids=stored.new_item_ids,
        updated_item_ids=stored.changed_item_ids,
    )


def _redirect(source: Source, target: str, owner: int | None) -> tuple[SourceMove | None, str]:
    """Follow a 301/308 for good, once its target parsed as a feed; never merge silently."""
    if owner is not None and owner != source.id:
        return None, (
            f"permanently redirected to {target}, which is already subscribed as source"
            f" {owner}: not merged"
        )
    move = SourceMove(url=target, url_key=url_key(target), previous_url=source.url)
    return move, f"permanently redirected: {source.url} -> {target}"


def _cap_notes(dropped: int, truncated: int, parsed: Parsed | None) -> list[str]:
    notes = []
    if dropped:
        kept = (
            len(parsed.rows) + len(parsed.feed.unchanged_entries) if parsed and parsed.feed else 0
        )
        notes.append(f"kept the newest {kept} of {kept + dropped} entries (max_entries)")
    if truncated:
        noun = "entry" if truncated == 1 else "entries"
        notes.append(f"cut the content of {truncated} {noun} (max_entry_kb)")
    return notes
