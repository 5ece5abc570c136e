"""Items (the inbox): reading them back, their marks and tags, and the text-change record."""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm.models import Enclosure, Item, ItemStatus, ParsedEntry, TextChange
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_ITEM_SELECT = """
SELECT i.*,
  (SELECT group_concat(s.url, char(31)) FROM item_sources x JOIN sources s ON s.id = x.source_id
   WHERE x.item_id = i.id) AS source_urls,
  (SELECT s.title FROM item_sources x JOIN sources s ON s.id = x.source_id
   WHERE x.item_id = i.id ORDER BY x.first_seen_at, x.source_id LIMIT 1) AS source_title,
  (SELECT x.entry_id FROM item_sources x
   WHERE x.item_id = i.id ORDER BY x.first_seen_at, x.source_id LIMIT 1) AS entry_id,
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
        updated=from_iso(r["updated_at"]),
        source_title=r["source_title"],
        enclosures=tuple(Enclosure(**e) for e in json.loads(r["enclosures"] or "[]")),
        changed_at=from_iso(r["changed_at"]),
        sort_at=from_iso(r["sort_at"]),
    )


def item_values(entry: ParsedEntry) -> dict[str, Any]:
    """The `items` columns that come from a parsed entry."""
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
        "enclosures": json.dumps([asdict(e) for e in entry.enclosures], ensure_ascii=False),
    }


def _item_filter(
    statuses: Sequence[ItemStatus], source_ids: Sequence[int], item_ids: Sequence[int]
) -> tuple[str, list[object]]:
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
    if item_ids:
        clauses.append(f"i.id IN ({','.join('?' * len(item_ids))})")
        params += list(item_ids)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


class ItemsMixin(StoreBase):
    def get_items(
        self,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
        item_ids: Sequence[int] = (),
        limit: int | None = None,
    ) -> list[Item]:
        """Items newest first (see `sort_at`), optionally filtered."""
        return list(
            self.iter_items(
                statuses=statuses, source_ids=source_ids, item_ids=item_ids, limit=limit
            )
        )

    def iter_items(
        self,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
        item_ids: Sequence[int] = (),
        limit: int | None = None,
    ) -> Iterator[Item]:
        """`get_items`, one at a time: a long listing never holds every item in memory."""
        where, params = _item_filter(statuses, source_ids, item_ids)
        sql = f"{_ITEM_SELECT} {where} ORDER BY i.sort_at DESC, i.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                yield _row_to_item(dict(zip(columns, row, strict=True)))

    def count_items(
        self, *, statuses: Sequence[ItemStatus] = (), source_ids: Sequence[int] = ()
    ) -> int:
        where, params = _item_filter(statuses, source_ids, ())
        with wrap_errors(self.path):
            return int(
                self.db.execute(f"SELECT count(*) FROM items i {where}", params).fetchone()[0]
            )

    def set_item_status(self, item_ids: Sequence[int], status: ItemStatus, now: datetime) -> int:
        with self.transaction():
            marks = ",".join("?" * len(item_ids))
            cursor = self.db.execute(
                f"UPDATE items SET status = ?, status_changed_at = ? WHERE id IN ({marks})",
                [status.value, to_iso(now), *item_ids],
            )
            return cursor.rowcount

    def add_item_tags(self, item_id: int, tags: Iterable[str]) -> None:
        with self.transaction():
            for tag_id in self._tag_ids(tags):
                self.db.execute(
                    "INSERT OR IGNORE INTO item_tags (item_id, tag_id) VALUES (?, ?)",
                    [item_id, tag_id],
                )

    def get_text_changes(self, limit: int = 1000) -> list[TextChange]:
        """Items whose plain text changed since the record was last drained, oldest first."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT seq, item_id, changed_at FROM item_text_changes ORDER BY seq LIMIT ?",
                [limit],
            ).fetchall()
        return [TextChange(seq=r[0], item_id=r[1], changed_at=from_iso(r[2])) for r in rows]

    def ack_text_changes(self, changes: Iterable[TextChange]) -> None:
        """Forget changes a consumer has dealt with. A change recorded again since it was
        read has a newer seq, so it stays."""
        with self.transaction():
            self.db.conn.executemany(
                "DELETE FROM item_text_changes WHERE seq = ?", [[c.seq] for c in changes]
            )
