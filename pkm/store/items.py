"""Items (the inbox): reading them back, their marks and tags, and the text-change record."""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm.models import (
    Cite,
    Enclosure,
    Item,
    ItemFilter,
    ItemStatus,
    NoteRef,
    ParsedEntry,
    TextChange,
)
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
       JOIN tags t ON t.id = st.tag_id WHERE x.item_id = i.id)) AS tag_names,
  (SELECT count(*) FROM annotations a WHERE a.item_id = i.id) AS annotation_count,
  (SELECT json_group_array(json_object('id', n.id, 'path', n.path, 'title', n.title)) FROM (
     SELECT n.id, n.path, n.title FROM note_items ni JOIN notes n ON n.id = ni.note_id
     WHERE ni.item_id = i.id ORDER BY n.title COLLATE NOCASE, n.path) n) AS note_refs,
  (SELECT json_group_array(json_object('url', c.url, 'title', c.title, 'item_id',
     (SELECT min(j.id) FROM items j WHERE j.url_key = c.url_key AND j.status != 'deleted')))
   FROM (SELECT * FROM item_cites WHERE item_id = i.id ORDER BY position) c) AS cite_refs
FROM items i
"""

# An item carries a tag of its own or one of a source it came through (see tag_names). Not
# correlated: SQLite builds the set once, and a page still reads the inbox index in order.
_HAS_TAG = """i.id IN (
  SELECT it.item_id FROM item_tags it JOIN tags t ON t.id = it.tag_id WHERE t.name = ?
  UNION ALL
  SELECT x.item_id FROM item_sources x WHERE x.source_id IN (
    SELECT st.source_id FROM source_tags st JOIN tags t ON t.id = st.tag_id WHERE t.name = ?))"""


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
        annotation_count=r["annotation_count"],
        notes=tuple(NoteRef(**n) for n in json.loads(r["note_refs"] or "[]")),
        cites=tuple(Cite(**c) for c in json.loads(r["cite_refs"] or "[]")),
        kind=r["kind"],
        answers_ref=r["answers_ref"],
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
        "categories": json.dumps(list(entry.tags), ensure_ascii=False) if entry.tags else "[]",
        "enclosures": (
            json.dumps([asdict(e) for e in entry.enclosures], ensure_ascii=False)
            if entry.enclosures
            else "[]"
        ),
        "kind": entry.kind.value if entry.kind is not None else "item",
        "answers_ref": entry.answers,
    }


def _item_filter(f: ItemFilter) -> tuple[str, list[object]]:
    """The WHERE clause of a filter, and its parameters. Long id lists travel as one JSON
    parameter, so there is no limit on how many ids one statement names."""
    clauses: list[str] = []
    params: list[object] = []
    if f.statuses:
        clauses.append(f"i.status IN ({','.join('?' * len(f.statuses))})")
        params += [s.value for s in f.statuses]
    if f.source_ids:
        clauses.append(
            "i.id IN (SELECT item_id FROM item_sources WHERE source_id IN"
            f" ({','.join('?' * len(f.source_ids))}))"
        )
        params += list(f.source_ids)
    ids: list[str] = []
    if f.item_ids:
        ids.append("i.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(f.item_ids)))
    for first, last in f.id_ranges:
        ids.append("i.id BETWEEN ? AND ?")
        params += [first, last]
    if ids:
        clauses.append("(" + " OR ".join(ids) + ")")
    for tag in f.tags:
        clauses.append(_HAS_TAG)
        params += [tag, tag]
    if f.since is not None:
        clauses.append("i.sort_at >= ?")
        params.append(to_iso(f.since))
    if f.before is not None:
        clauses.append("i.sort_at < ?")
        params.append(to_iso(f.before))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _narrowed(
    where: ItemFilter | None,
    statuses: Sequence[ItemStatus],
    source_ids: Sequence[int],
    item_ids: Sequence[int],
) -> ItemFilter:
    f = where or ItemFilter()
    if statuses:
        f = replace(f, statuses=tuple(statuses))
    if source_ids:
        f = replace(f, source_ids=tuple(source_ids))
    if item_ids:
        f = replace(f, item_ids=tuple(item_ids))
    return f


def _ids_param(item_ids: Iterable[int]) -> str:
    return json.dumps(list(item_ids))


class ItemsMixin(StoreBase):
    def get_items(
        self,
        where: ItemFilter | None = None,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
        item_ids: Sequence[int] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Item]:
        """Items newest first (see `sort_at`) that match `where`; the keywords narrow it."""
        return list(
            self.iter_items(
                where,
                statuses=statuses,
                source_ids=source_ids,
                item_ids=item_ids,
                limit=limit,
                offset=offset,
            )
        )

    def iter_items(
        self,
        where: ItemFilter | None = None,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
        item_ids: Sequence[int] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Item]:
        """`get_items`, one at a time: a long listing never holds every item in memory.

        The order is that of the `items_inbox` index (status, sort_at, id), so a page of
        one status is read straight off it, however large the inbox; a page of any other
        selection sorts only the ids of the matches.
        """
        clause, params = _item_filter(_narrowed(where, statuses, source_ids, item_ids))
        order = "ORDER BY i.sort_at DESC, i.id DESC"
        if limit is None and not offset:
            sql = f"{_ITEM_SELECT} {clause} {order}"
        else:
            # The page's ids first, then its rows: when the order needs a sort (a tag or a
            # source filter, several statuses), SQLite computes every selected column of
            # every match before sorting, the per-item subqueries included.
            page = (
                f"SELECT i.id FROM items i {clause} {order}"
                f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
            )
            sql = f"{_ITEM_SELECT} WHERE i.id IN ({page}) {order}"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                yield _row_to_item(dict(zip(columns, row, strict=True)))

    def count_items(
        self,
        where: ItemFilter | None = None,
        *,
        statuses: Sequence[ItemStatus] = (),
        source_ids: Sequence[int] = (),
    ) -> int:
        clause, params = _item_filter(_narrowed(where, statuses, source_ids, ()))
        with wrap_errors(self.path):
            return int(
                self.db.execute(f"SELECT count(*) FROM items i {clause}", params).fetchone()[0]
            )

    def get_item_statuses(self, where: ItemFilter) -> dict[int, ItemStatus]:
        """The id and status of every item that matches, in id order."""
        clause, params = _item_filter(where)
        with wrap_errors(self.path):
            rows = self.db.execute(
                f"SELECT i.id, i.status FROM items i {clause} ORDER BY i.id", params
            ).fetchall()
        return {r[0]: ItemStatus(r[1]) for r in rows}

    def missing_item_ids(self, item_ids: Iterable[int]) -> list[int]:
        """Those of `item_ids` that name no item (tombstones exist), in the order given."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT j.value FROM json_each(?) j"
                " WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = j.value) ORDER BY j.key",
                [_ids_param(item_ids)],
            ).fetchall()
        return [r[0] for r in rows]

    def set_item_status(self, item_ids: Sequence[int], status: ItemStatus, now: datetime) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE items SET status = ?, status_changed_at = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                [status.value, to_iso(now), _ids_param(item_ids)],
            )
            return cursor.rowcount

    def tag_items(self, item_ids: Sequence[int], tags: Iterable[str]) -> set[int]:
        """Give each item these tags of its own. Returns the items that gained one."""
        with self.transaction():
            tag_ids = self._tag_ids(tags)
            rows = self.db.execute(
                "INSERT OR IGNORE INTO item_tags (item_id, tag_id)"
                " SELECT i.value, t.value FROM json_each(?) i, json_each(?) t"
                " WHERE true RETURNING item_id",
                [_ids_param(item_ids), json.dumps(tag_ids)],
            ).fetchall()
        return {r[0] for r in rows}

    def untag_items(self, item_ids: Sequence[int], tags: Iterable[str]) -> set[int]:
        """Take these tags of their own off the items (a source's tags stay on its items).
        Returns the items that lost one."""
        names = [t for t in tags if t]
        with self.transaction():
            rows = self.db.execute(
                "DELETE FROM item_tags WHERE item_id IN (SELECT value FROM json_each(?))"
                " AND tag_id IN (SELECT id FROM tags WHERE name IN (SELECT value FROM json_each(?)))"
                " RETURNING item_id",
                [_ids_param(item_ids), json.dumps(names)],
            ).fetchall()
        return {r[0] for r in rows}

    def set_item_statuses(self, changes: Sequence[tuple[int, ItemStatus, datetime]]) -> None:
        """Give each item its status, changed at the time given (an import's: a star of 2019
        is not a star of this week's digest), in one transaction."""
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE items SET status = ?, status_changed_at = ? WHERE id = ?",
                [(status.value, to_iso(when), item_id) for item_id, status, when in changes],
            )

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

    def count_text_changes(self) -> int:
        """How many items' text changes are waiting to be re-anchored."""
        with wrap_errors(self.path):
            return int(self.db.execute("SELECT count(*) FROM item_text_changes").fetchone()[0])
