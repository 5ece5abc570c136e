"""Applying what a seek run decided about one source (a `SourceUpdate`) in one transaction,
and the reads the decision is made from.

The decision itself is made in `pkm.seek.decide`, from typed values; nothing here decides
anything: it writes what it is given.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from pkm._util.timeutil import to_iso
from pkm._util.urls import url_key
from pkm.models import EntryAction, EntryUpdate, SourceUpdate, StoredEntries
from pkm.store.annotations import AnnotationsMixin
from pkm.store.items import item_values


class UpdatesMixin(AnnotationsMixin):
    def get_entry_hashes(self, source_id: int) -> dict[str, tuple[int, str]]:
        """entry id -> (item id, content hash) of every entry this source delivered."""
        rows = self.db.conn.execute(
            "SELECT entry_id, item_id, content_hash FROM item_sources WHERE source_id = ?",
            [source_id],
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def find_items_by_url_key(self, keys: Iterable[str]) -> dict[str, int]:
        """The oldest item for each URL key, found in batches (SQLite caps bound parameters)."""
        found: dict[str, int] = {}
        ordered = sorted(set(keys))
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = self.db.conn.execute(
                f"SELECT url_key, min(id) FROM items WHERE url_key IN ({','.join('?' * len(chunk))})"
                " GROUP BY url_key",
                chunk,
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    def exclusive_items(self, source_id: int, item_ids: Iterable[int]) -> set[int]:
        """Those of `item_ids` that this source alone delivered."""
        ids = sorted(set(item_ids))
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.db.conn.execute(
                "SELECT item_id FROM item_sources"
                f" WHERE item_id IN ({','.join('?' * len(chunk))})"
                " GROUP BY item_id HAVING count(*) = 1 AND max(source_id) = ?",
                [*chunk, source_id],
            )
            found.update(r[0] for r in rows)
        return found

    def apply_source_update(self, update: SourceUpdate) -> StoredEntries:
        """Write one source's fetch state, history row and entries; returns the items touched.

        The caller holds the transaction (the reads the decision came from are in it too).
        """
        stored = self.apply_entry_updates(update.source_id, update.entries, update.fetched_at)
        self._write_fetch_state(update, stored)
        return stored

    def apply_entry_updates(
        self, source_id: int, entries: Sequence[EntryUpdate], when: datetime
    ) -> StoredEntries:
        """Insert, link and change items as decided; returns the items touched.

        A NEW entry whose URL key an earlier entry of the same batch inserted is linked to
        that item: the decision cannot know the id of an item not yet inserted.
        """
        conn = self.db.conn
        now = to_iso(when)
        new_ids: list[int] = []
        changed_ids: list[int] = []
        linked_ids: list[int] = []
        inserted_keys: dict[str, int] = {}
        links: list[tuple[int, str, int, str, str | None]] = []
        for e in entries:
            if e.action is EntryAction.REHASH:
                conn.execute(
                    "UPDATE item_sources SET content_hash = ? WHERE source_id = ? AND entry_id = ?",
                    [e.content_hash, source_id, e.entry.entry_id],
                )
                continue
            values = item_values(e.entry)
            if e.action is EntryAction.CHANGE:
                assert e.item_id is not None
                values["url_key"] = e.url_key
                if e.sort_at is not None:
                    values["sort_at"] = to_iso(e.sort_at)
                if e.write_content:
                    assignments = ", ".join(f"{k} = :{k}" for k in values)
                    conn.execute(
                        f"UPDATE items SET {assignments}, changed_at = :now WHERE id = :id",
                        {**values, "now": now, "id": e.item_id},
                    )
                    if e.entry.kind is not None:
                        self._write_cites(e.item_id, e)
                conn.execute(
                    "UPDATE item_sources SET content_hash = ? WHERE source_id = ? AND entry_id = ?",
                    [e.content_hash, source_id, e.entry.entry_id],
                )
                self._write_shared(e.item_id, source_id, e, when)
                changed_ids.append(e.item_id)
                continue
            item_id = e.item_id
            if item_id is None and e.url_key is not None:
                item_id = inserted_keys.get(e.url_key)
            if item_id is None:
                cursor = conn.execute(
                    "INSERT INTO items (guid, url_key, first_seen_at, sort_at, url, title, author,"
                    " published_at, updated_at, summary, content_html, content_text, categories,"
                    " enclosures, kind, answers_ref) VALUES (:guid, :url_key, :now, :sort_at,"
                    " :url, :title, :author, :published_at, :updated_at, :summary, :content_html,"
                    " :content_text, :categories, :enclosures, :kind, :answers_ref)",
                    {
                        **values,
                        "guid": e.entry.entry_id,
                        "url_key": e.url_key,
                        "now": now,
                        "sort_at": to_iso(e.sort_at) or now,
                    },
                )
                item_id = int(cursor.lastrowid or 0)
                if e.url_key is not None:
                    inserted_keys[e.url_key] = item_id
                new_ids.append(item_id)
                if e.entry.cites:
                    self._write_cites(item_id, e)
            else:
                if e.sort_at is not None:
                    self.set_item_sort(item_id, e.sort_at)
                linked_ids.append(item_id)
            self._write_shared(item_id, source_id, e, when)
            links.append((source_id, e.entry.entry_id, item_id, e.content_hash, now))
        conn.executemany(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            links,
        )
        self._queue_for_search(new_ids)
        return StoredEntries(tuple(new_ids), tuple(changed_ids), tuple(linked_ids))

    def _write_shared(self, item_id: int, source_id: int, e: EntryUpdate, when: datetime) -> None:
        if e.annotations or e.removed_annotations:
            self.apply_shared_annotations(
                item_id, source_id, e.annotations, e.removed_annotations, when
            )

    def _write_cites(self, item_id: int, e: EntryUpdate) -> None:
        """The articles a teammate's note cites, replacing those stored."""
        conn = self.db.conn
        conn.execute("DELETE FROM item_cites WHERE item_id = ?", [item_id])
        conn.executemany(
            "INSERT INTO item_cites (item_id, position, url, url_key, title)"
            " VALUES (?, ?, ?, ?, ?)",
            [(item_id, n, c.url, url_key(c.url), c.title) for n, c in enumerate(e.entry.cites)],
        )

    def _queue_for_search(self, item_ids: Sequence[int]) -> None:
        """Put new items in the search backlog (migration m011), which a search drains
        (`index_backlog`); every path that inserts items comes through here."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO search_backlog (item_id) VALUES (?)", [[i] for i in item_ids]
        )

    def set_item_sort(self, item_id: int, when: datetime) -> None:
        self.db.conn.execute("UPDATE items SET sort_at = ? WHERE id = ?", [to_iso(when), item_id])

    def _write_fetch_state(self, update: SourceUpdate, stored: StoredEntries) -> None:
        values: dict[str, object] = {
            "last_fetched_at": to_iso(update.fetched_at),
            "last_status": update.http_status,
            "last_outcome": update.outcome.value,
            "last_error": update.error,
            "error_count": update.error_count,
            "next_due_at": to_iso(update.next_due_at),
            "retry_after_at": to_iso(update.retry_after_at),
            "etag": update.etag,
            "last_modified": update.last_modified,
        }
        if update.is_gone:
            values["is_gone"] = 1
        if update.body_hash is not None:
            values["body_hash"] = update.body_hash
        if update.title is not None:
            values["title"] = update.title
        if update.site_url is not None:
            values["site_url"] = update.site_url
        if update.move is not None:
            values.update(
                url=update.move.url,
                url_key=update.move.url_key,
                previous_url=update.move.previous_url,
                redirected_at=to_iso(update.fetched_at),
            )
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        conn = self.db.conn
        conn.execute(
            f"UPDATE sources SET {assignments} WHERE id = :_id", {**values, "_id": update.source_id}
        )
        conn.execute(
            "INSERT INTO fetches (source_id, fetched_at, url, outcome, http_status, error,"
            " new_items, updated_items, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                update.source_id,
                to_iso(update.fetched_at),
                update.fetch_url,
                update.outcome.value,
                update.http_status,
                update.error,
                len(stored.new_item_ids),
                len(stored.changed_item_ids),
                update.duration_ms,
            ],
        )
