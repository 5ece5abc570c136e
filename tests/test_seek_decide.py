"""pkm.seek.decide: what a fetch changes, decided from typed values alone (no index)."""

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from pkm.models import (
    EntryAction,
    FetchOutcome,
    ParsedEntry,
    ParsedFeed,
    Source,
    SourceKind,
    StoredEntries,
)
from pkm.seek.decide import Known, Policy, decide, entry_updates, result_of
from pkm.seek.parse import Parsed, entry_rows
from pkm.seek.retrieve import Fetched

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
POLICY = Policy(jitter=timedelta(0))
SOURCE = Source(
    id=7,
    url="https://feed.example/f",
    kind=SourceKind.FEED,
    title="Old title",
    site_url=None,
    tags=(),
    added_at=NOW - timedelta(days=9),
    previous_url=None,
    last_fetched_at=NOW - timedelta(hours=1),
    last_status=200,
    last_outcome=FetchOutcome.UNCHANGED,
    last_error=None,
    error_count=2,
    next_due_at=NOW,
    retry_after_at=None,
    is_gone=False,
    etag='"old"',
    last_modified="Sun, 01 Feb 2026 09:00:00 GMT",
    body_hash="old-hash",
)


def entry(entry_id: str, text: str = "body", published: datetime | None = None) -> ParsedEntry:
    return ParsedEntry(
        entry_id=entry_id,
        url=f"https://feed.example/{entry_id}",
        title=entry_id,
        author=None,
        published=published,
        updated=None,
        summary=None,
        content_html=f"<p>{text}</p>",
        content_text=text,
    )


def parsed(*entries: ParsedEntry, title: str = "New title") -> Parsed:
    feed = ParsedFeed(version="rss20", title=title, site_url=None, entries=entries)
    return Parsed(feed, entry_rows(entries))


def fetched(status: int | None = 200, **headers: str) -> Fetched:
    return Fetched(
        url=SOURCE.url,
        status=status,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        body=b"<rss/>" if status == 200 else None,
        error=None if status else "connection refused",
    )


def test_new_changed_linked_and_unchanged_entries() -> None:
    rows = entry_rows(
        [entry("same"), entry("edited", "new text"), entry("new"), entry("elsewhere")]
    )
    hashes = {e.entry_id: h for e, h, _ in entry_rows([entry("same"), entry("edited")])}
    known = Known(
        entries={"same": (1, hashes["same"]), "edited": (2, hashes["edited"])},
        items_by_url_key={"feed.example/elsewhere": 9},
    )
    updates = entry_updates(rows, known, NOW)
    assert [(u.action, u.entry.entry_id, u.item_id) for u in updates] == [
        (EntryAction.CHANGE, "edited", 2),
        (EntryAction.NEW, "new", None),
        (EntryAction.LINK, "elsewhere", 9),
    ]


def test_a_successful_fetch_resets_errors_refreshes_state_and_reports_new_items() -> None:
    update, notes = decide(
        SOURCE,
        fetched(200, etag='"new"'),
        parsed(entry("a", published=NOW - timedelta(days=1))),
        Known(),
        now=NOW,
        policy=POLICY,
    )
    assert (update.outcome, update.error, update.error_count) == (FetchOutcome.NEW, None, 0)
    assert (update.etag, update.last_modified) == ('"new"', SOURCE.last_modified)
    assert update.title == "New title" and update.next_due_at == NOW + timedelta(hours=1)
    assert update.entries[0].sort_at == NOW - timedelta(days=1) and notes == ()
    with pytest.raises(FrozenInstanceError):
        update.error = "x"  # type: ignore[misc]


def test_a_future_date_sorts_as_now() -> None:
    [u] = entry_updates(entry_rows([entry("a", published=NOW + timedelta(days=90))]), Known(), NOW)
    assert u.sort_at == NOW


def test_failures_back_off_and_keep_the_validators() -> None:
    update, _ = decide(SOURCE, fetched(None), None, Known(), now=NOW, policy=POLICY)
    assert (update.outcome, update.error, update.error_count) == (
        FetchOutcome.FAILED,
        "connection refused",
        3,
    )
    assert update.next_due_at == NOW + timedelta(hours=4)
    assert (update.etag, update.body_hash, update.title) == ('"old"', None, None)


def test_retry_after_is_honoured_and_capped() -> None:
    update, _ = decide(
        SOURCE, fetched(429, retry_after="999999"), None, Known(), now=NOW, policy=POLICY
    )
    assert update.retry_after_at == NOW + timedelta(hours=24)
    assert update.next_due_at >= update.retry_after_at


def test_gone_is_reported_once() -> None:
    update, _ = decide(SOURCE, fetched(410), None, Known(), now=NOW, policy=POLICY)
    first = result_of(SOURCE, update, StoredEntries(), ())
    again = result_of(replace(SOURCE, is_gone=True), update, StoredEntries(), ())
    assert (update.outcome, update.is_gone, first.newly_gone, again.newly_gone) == (
        FetchOutcome.GONE,
        True,
        True,
        False,
    )


def test_a_permanent_redirect_moves_the_source_unless_another_one_is_there() -> None:
    moved = replace(fetched(200), permanent_url="https://new.example/f")
    update, notes = decide(SOURCE, moved, parsed(), Known(), now=NOW, policy=POLICY)
    assert update.move is not None and update.move.previous_url == SOURCE.url
    assert notes == (f"permanently redirected: {SOURCE.url} -> https://new.example/f",)
    update, notes = decide(SOURCE, moved, parsed(), Known(redirect_owner=3), now=NOW, policy=POLICY)
    assert update.move is None and "already subscribed as source 3" in notes[0]


def test_caps_are_noted() -> None:
    capped = parsed(entry("a"))
    assert capped.feed is not None
    capped = replace(capped, feed=replace(capped.feed, dropped_entries=99, truncated_entries=1))
    _, notes = decide(SOURCE, fetched(200), capped, Known(), now=NOW, policy=POLICY)
    assert notes == (
        "kept the newest 1 of 100 entries (max_entries)",
        "cut the content of 1 entry (max_entry_kb)",
    )


def test_the_decision_is_deterministic_given_its_inputs() -> None:
    args = (SOURCE, fetched(200), parsed(entry("a")), Known())
    one = decide(*args, now=NOW, policy=Policy(), rng=Random(1))
    two = decide(*args, now=NOW, policy=Policy(), rng=Random(1))
    assert one == two


def test_a_hash_stored_before_fingerprints_is_renewed_without_a_change() -> None:
    fingerprinted = replace(entry("same"), fingerprint="r1:abc")
    [(_, digest, _)] = rows = entry_rows([fingerprinted])
    known = Known(entries={"same": (1, digest)})  # the digest alone, as older pkm stored it
    [update] = entry_updates(rows, known, NOW)
    assert (update.action, update.content_hash) == (EntryAction.REHASH, f"{digest} r1:abc")
    update_, _ = decide(
        SOURCE, fetched(), Parsed(parsed().feed, rows), known, now=NOW, policy=POLICY
    )
    assert update_.outcome is FetchOutcome.UNCHANGED
    # Stored with its fingerprint, the same entry needs nothing.
    assert entry_updates(rows, Known(entries={"same": (1, f"{digest} r1:abc")}), NOW) == ()
