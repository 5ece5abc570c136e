"""What Share reads from the index for a digest, and the record of what digests resurfaced."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pkm import models  # loaded when first used (see pkm.models)
from pkm._util.timeutil import from_iso, to_iso
from pkm.models import Annotation, ItemStatus, Note
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors
from pkm.store.annotations import _ANNOTATION_SELECT, _row_to_annotation
from pkm.store.notes import _NOTE_SELECT, _row_to_note

_SEP = "\x1f"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(sorted(set(value.split(_SEP)))) if value else ()


class ShareMixin(StoreBase):
    def get_starred_item_ids(self, start: datetime, end: datetime) -> list[int]:
        """Items starred in [start, end) and still starred, by id."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT id FROM items WHERE status = 'starred'"
                " AND status_changed_at >= ? AND status_changed_at < ? ORDER BY id",
                [to_iso(start), to_iso(end)],
            ).fetchall()
        return [r[0] for r in rows]

    def get_own_annotations(
        self,
        *,
        changed_in: tuple[datetime, datetime] | None = None,
        created_before: datetime | None = None,
        highlights_only: bool = False,
        in_review: bool = False,
    ) -> list[Annotation]:
        """The person's own annotations (not a teammate's: `shared_by` is null), by id.

        Args:
            changed_in: only those created or edited in [start, end).
            created_before: only those created before this time.
            in_review: only those not retired in a review, on an item not deleted.
        """
        clauses = ["a.shared_by IS NULL"]
        params: list[Any] = []
        if changed_in is not None:
            start, end = to_iso(changed_in[0]), to_iso(changed_in[1])
            clauses.append(
                "((a.created_at >= ? AND a.created_at < ?) OR (a.updated_at >= ? AND a.updated_at < ?))"
            )
            params += [start, end, start, end]
        if created_before is not None:
            clauses.append("a.created_at < ?")
            params.append(to_iso(created_before))
        if highlights_only:
            clauses.append("a.exact IS NOT NULL")
        if in_review:
            clauses.append(
                "a.retired_at IS NULL AND a.item_id IN"
                " (SELECT id FROM items WHERE status != 'deleted')"
            )
        sql = f"{_ANNOTATION_SELECT} WHERE {' AND '.join(clauses)} ORDER BY a.id"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            return [_row_to_annotation(dict(zip(columns, r, strict=True))) for r in cursor]

    def get_shareable_items(self, item_ids: Iterable[int]) -> dict[int, models.ShareableItem]:
        """These items (those that exist), with their tags and their sources' tags."""
        ids = sorted(set(item_ids))
        if not ids:
            return {}
        sql = """
        SELECT i.id, i.title, i.url, i.status, i.status_changed_at, i.summary,
          (SELECT group_concat(t.name, char(31)) FROM item_tags x JOIN tags t ON t.id = x.tag_id
           WHERE x.item_id = i.id) AS tag_names,
          (SELECT group_concat(t.name, char(31)) FROM item_sources x
           JOIN source_tags st ON st.source_id = x.source_id JOIN tags t ON t.id = st.tag_id
           WHERE x.item_id = i.id) AS source_tag_names,
          s.title AS source_title, s.url AS source_url
        FROM items i
        LEFT JOIN sources s ON s.id = (
          SELECT x.source_id FROM item_sources x WHERE x.item_id = i.id
          ORDER BY x.first_seen_at, x.source_id LIMIT 1)
        WHERE i.id IN (SELECT value FROM json_each(?)) ORDER BY i.id
        """
        with wrap_errors(self.path):
            rows = self.db.execute(sql, [json.dumps(ids)]).fetchall()
        return {
            r[0]: models.ShareableItem(
                id=r[0],
                title=r[1],
                url=r[2],
                status=ItemStatus(r[3]),
                status_changed_at=from_iso(r[4]),
                summary=r[5],
                tags=_split(r[6]),
                source_tags=_split(r[7]),
                source_title=r[8],
                source_url=r[9],
            )
            for r in rows
        }

    def get_items_tagged_directly_or_by_source(self, tag: str) -> set[int]:
        """Items tagged `tag` (without case), themselves or through any of their sources."""
        sql = """
        SELECT it.item_id FROM item_tags it JOIN tags t ON t.id = it.tag_id
          WHERE t.name = ?1 COLLATE NOCASE
        UNION SELECT x.item_id FROM item_sources x JOIN source_tags st ON st.source_id = x.source_id
          JOIN tags t ON t.id = st.tag_id WHERE t.name = ?1 COLLATE NOCASE
        """
        with wrap_errors(self.path):
            return {r[0] for r in self.db.execute(sql, [tag]).fetchall()}

    def get_notes_changed(self, start: datetime, end: datetime) -> list[Note]:
        """Readable notes created or updated in [start, end) by their frontmatter; a note
        without either date counts by its file's modification time. By path."""
        s, e = to_iso(start), to_iso(end)
        start_ns = int(start.timestamp()) * 1_000_000_000
        end_ns = int(end.timestamp()) * 1_000_000_000
        sql = f"""{_NOTE_SELECT} WHERE n.error IS NULL AND (
            (n.created_at >= ?1 AND n.created_at < ?2) OR (n.updated_at >= ?1 AND n.updated_at < ?2)
            OR (n.created_at IS NULL AND n.updated_at IS NULL
                AND n.mtime_ns >= ?3 AND n.mtime_ns < ?4))
            ORDER BY n.path"""
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, [s, e, start_ns, end_ns])
            columns = [c[0] for c in cursor.description]
            return [_row_to_note(dict(zip(columns, r, strict=True))) for r in cursor]

    def get_note_bodies(self, note_ids: Sequence[int]) -> dict[int, str]:
        """The text of each note after its frontmatter, without pkm's markers (as indexed)."""
        if not note_ids:
            return {}
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT rowid / 4, body FROM search WHERE rowid IN"
                " (SELECT value * 4 + 2 FROM json_each(?))",
                [json.dumps(list(note_ids))],
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def get_note_items(self, note_ids: Sequence[int]) -> dict[int, list[int]]:
        """The items each note cites, by item id."""
        if not note_ids:
            return {}
        found: dict[int, list[int]] = {}
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT note_id, item_id FROM note_items WHERE note_id IN"
                " (SELECT value FROM json_each(?)) ORDER BY note_id, item_id",
                [json.dumps(list(note_ids))],
            ).fetchall()
        for note_id, item_id in rows:
            found.setdefault(note_id, []).append(item_id)
        return found

    def get_archive_history(self, before: datetime) -> dict[int, datetime]:
        """Each annotation a digest of a period starting before `before` resurfaced, with
        the start of the latest such period."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT annotation_id, max(period_start) FROM digest_archive"
                " WHERE period_start < ? GROUP BY annotation_id",
                [to_iso(before)],
            ).fetchall()
        return {r[0]: from_iso(r[1]) for r in rows}  # type: ignore[misc]

    def set_digest_archive(self, period_start: datetime, annotation_ids: Sequence[int]) -> None:
        """Record that the digest of the period starting at `period_start` resurfaced exactly
        these annotations (replacing what an earlier run of the same period recorded)."""
        start = to_iso(period_start)
        with self.transaction():
            self.db.execute("DELETE FROM digest_archive WHERE period_start = ?", [start])
            self.db.conn.executemany(
                "INSERT INTO digest_archive (period_start, annotation_id) VALUES (?, ?)",
                [[start, i] for i in dict.fromkeys(annotation_ids)],
            )
