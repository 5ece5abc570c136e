"""Items (the inbox): storing parsed entries with dedup and tombstones, and reading them back."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm.models import Item, ItemStatus, ParsedEntry
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_ITEM_SELECT = """
SELECT i.*,
  (SELECT group_concat(s.url, char(31)) FROM item_sources x JOIN sources s ON s.id = x.source_id
   WHERE x.item_id = i.id) AS source_urls,
  (SELECT group_concat(entry_id, char(31)) FROM (SELECT x.entry_id FROM item_sources x
   WHERE x.item_id = i.id ORDER BY x.first_seen_at LIMIT 1)) AS entry_id,
  (SELECT group_concat(name, char(31)) FROM (
     SELECT t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id WHERE it.item_id = i.id
     UNION
     SELECT t.name FROM item_sources x JOIN source_tags st ON st.source_id = x.source_id
       JOIN tags t ON t.id = st.tag_id WHERE x.item_id = i.id)) AS tag_names
FROM items i
"""


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split("\x1f")) if value else ()


def _row_to_item(r: dict[str, Any]) -> Item:
    return Item(
        id=r["id"],
        source_urls=tuple(sorted(_split(r["source_urls"]))),
        guid=r["entry_id"] or r["guid"],
        url=r["url"],
        title=r["title"],
        author=r["author"],
        published=from_iso(r["published_at"]),
        summary=r["summary"],
        content_html=r["content_html"],
        content_text=r["content_text"],
        status=ItemStatus(r["status"]),
        tags=tuple(sorted(_split(r["tag_names"]))),
        first_seen_at=from_iso(r["first_seen_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(r["changed_at"]),
    )


def _item_values(entry: ParsedEntry) -> dict[str, Any]:
    return {
        "url": entry.url,
        "title": entry.title,
        "author": entry.author,
        "published_at": to_iso(entry.published),
        "updated_at": to_iso(entry.updated),
        "summary": entry.summary,
        "content_html": entry.content_html,
        "content_text": entry.content_text,
        "categories": json.dumps(list(entry.tags), ensure_ascii=False),
    }


class ItemsMixin(StoreBase):
    def store_entries(
        self,
        source_id: int,
        entries: Sequence[tuple[ParsedEntry, str, str | None]],
        now: datetime,
    ) -> tuple[int, int]:
        """Add or update one source's entries; returns (new items, updated items).

        `entries` holds (entry, content hash, URL key). Identity is (source, entry id). A known
        entry whose hash changed is updated in place: status, tags and the user's marks stay, so
        an archived or deleted item never comes back as unread. A new entry whose URL key matches
        an item already stored (the same article through another source) is linked to that item
        instead of becoming a second row. The caller wraps this in the source's transaction.
        """
        seen_at = to_iso(now)
        conn = self.db.conn
        known = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT entry_id, item_id, content_hash FROM item_sources WHERE source_id = ?",
                [source_id],
            )
        }
        fresh = [(e, d, k) for e, d, k in entries if e.entry_id not in known]
        by_key = self._items_by_url_key({k for _, _, k in fresh if k is not None})
        links: list[tuple[int, str, int, str, str | None]] = []
        new = updated = 0
        for entry, digest, key in entries:
            found = known.get(entry.entry_id)
            if found is not None:
                item_id, old_digest = found
                if old_digest == digest:
                    continue
                values = _item_values(entry)
                values["url_key"] = key
                assignments = ", ".join(f"{k} = :{k}" for k in values)
                conn.execute(
                    f"UPDATE items SET {assignments}, changed_at = :now WHERE id = :id",
                    {**values, "now": seen_at, "id": item_id},
                )
                conn.execute(
                    "UPDATE item_sources SET content_hash = ? WHERE source_id = ? AND entry_id = ?",
                    [digest, source_id, entry.entry_id],
                )
                updated += 1
                continue
            item_id = by_key.get(key) if key is not None else None
            if item_id is None:
                cursor = conn.execute(
                    "INSERT INTO items (guid, url_key, first_seen_at, url, title, author, published_at,"
                    " updated_at, summary, content_html, content_text, categories) VALUES"
                    " (:guid, :url_key, :now, :url, :title, :author, :published_at, :updated_at,"
                    " :summary, :content_html, :content_text, :categories)",
                    {**_item_values(entry), "guid": entry.entry_id, "url_key": key, "now": seen_at},
                )
                item_id = int(cursor.lastrowid or 0)
                if key is not None:
                    by_key[key] = item_id
                new += 1
            links.append((source_id, entry.entry_id, item_id, digest, seen_at))
            known[entry.entry_id] = (item_id, digest)
        conn.executemany(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            links,
        )
        return new, updated

    def _items_by_url_key(self, keys: set[str]) -> dict[str, int]:
        """The oldest item for each URL key, found in batches (SQLite caps bound parameters)."""
        found: dict[str, int] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = self.db.conn.execute(
                f"SELECT url_key, min(id) FROM items WHERE url_key IN ({','.join('?' * len(chunk))})"
                " GROUP BY url_key",
                chunk,
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    def get_items(
        self,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
        limit: int | None = None,
    ) -> list[Item]:
        """Items newest first (by publication, then first seen), optionally filtered."""
        clauses: list[str] = []
        params: list[object] = []
        if statuses:
            clauses.append(f"i.status IN ({','.join('?' * len(statuses))})")
            params += [s.value for s in statuses]
        if source_ids:
            clauses.append(
                "i.id IN (SELECT item_id FROM item_sources WHERE source_id IN"
                f" ({','.join('?' * len(source_ids))}))"
            )
            params += list(source_ids)
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        sql = f"{_ITEM_SELECT} {where} ORDER BY coalesce(i.published_at, i.first_seen_at) DESC, i.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            return [_row_to_item(dict(zip(columns, row, strict=True))) for row in cursor]

    def set_item_status(self, item_ids: Sequence[int], status: ItemStatus, now: datetime) -> int:
        with wrap_errors(self.path), self.db.atomic():
            marks = ",".join("?" * len(item_ids))
            cursor = self.db.execute(
                f"UPDATE items SET status = ?, status_changed_at = ? WHERE id IN ({marks})",
                [status.value, to_iso(now), *item_ids],
            )
            return cursor.rowcount

    def item_id_for(self, source_id: int, entry_id: str) -> int:
        with wrap_errors(self.path):
            row = self.db.execute(
                "SELECT item_id FROM item_sources WHERE source_id = ? AND entry_id = ?",
                [source_id, entry_id],
            ).fetchone()
        return int(row[0])

    def add_item_tags(self, item_id: int, tags: Sequence[str]) -> None:
        with wrap_errors(self.path), self.db.atomic():
            for tag_id in self._tag_ids(tags):
                self.db.execute(
                    "INSERT OR IGNORE INTO item_tags (item_id, tag_id) VALUES (?, ?)",
                    [item_id, tag_id],
                )
