"""Annotations: highlights and comments on items, their tags, anchors and reviews."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pkm import models  # loaded when first used (see pkm.models)
from pkm._util.timeutil import from_iso, to_iso
from pkm.models import (
    Anchor,
    Annotation,
    AnnotationState,
    ItemRef,
    ItemStatus,
    ReviewAction,
    SharedAnnotation,
    StoredShared,
    TextPosition,
    TextQuote,
)
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_ANNOTATION_SELECT = """
SELECT a.*,
  (SELECT group_concat(t.name, char(31)) FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
   WHERE x.annotation_id = a.id) AS tag_names
FROM annotations a
"""


def _row_to_annotation(r: dict[str, Any]) -> Annotation:
    quote = None
    if r["exact"] is not None:
        quote = TextQuote(r["exact"], r["prefix"], r["suffix"])
    position = None
    if r["start"] is not None and r["end"] is not None:
        position = TextPosition(r["start"], r["end"])
    return Annotation(
        id=r["id"],
        item_id=r["item_id"],
        quote=quote,
        position=position,
        comment=r["comment"],
        tags=tuple(sorted(r["tag_names"].split("\x1f"))) if r["tag_names"] else (),
        state=AnnotationState(r["state"]),
        created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(r["updated_at"]),  # type: ignore[arg-type]
        reviewed_at=from_iso(r["reviewed_at"]),
        review_count=r["review_count"],
        retired_at=from_iso(r["retired_at"]),
        shared_by=r["shared_by"],
    )


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class AnnotationsMixin(StoreBase):
    def get_annotations(
        self,
        *,
        item_ids: Sequence[int] = (),
        annotation_ids: Sequence[int] = (),
        tags: Sequence[str] = (),
        states: Sequence[AnnotationState] = (),
        highlights_only: bool = False,
        in_review: bool = False,
        shared: bool | None = None,
    ) -> list[Annotation]:
        """Annotations in text order per item (item-level comments first), oldest item first.

        Args:
            tags: only annotations with at least one of these tags.
            in_review: only those a review may resurface: not retired, on an item that is
                not deleted.
            shared: True, only teammates' (from their shared.atom); False, only the
                person's own; None, both.
        """
        clauses: list[str] = []
        params: list[object] = []
        if item_ids:
            clauses.append(f"a.item_id IN ({_marks(item_ids)})")
            params += item_ids
        if annotation_ids:
            clauses.append(f"a.id IN ({_marks(annotation_ids)})")
            params += annotation_ids
        if tags:
            clauses.append(
                "a.id IN (SELECT x.annotation_id FROM annotation_tags x JOIN tags t"
                f" ON t.id = x.tag_id WHERE t.name IN ({_marks(tags)}))"
            )
            params += tags
        if states:
            clauses.append(f"a.state IN ({_marks(states)})")
            params += [s.value for s in states]
        if highlights_only:
            clauses.append("a.exact IS NOT NULL")
        if shared is not None:
            clauses.append("a.shared_by IS NOT NULL" if shared else "a.shared_by IS NULL")
        if in_review:
            clauses.append(
                "a.retired_at IS NULL AND a.item_id IN"
                " (SELECT id FROM items WHERE status != 'deleted')"
            )
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        sql = f"{_ANNOTATION_SELECT} {where} ORDER BY a.item_id, coalesce(a.start, -1), a.id"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            return [_row_to_annotation(dict(zip(columns, r, strict=True))) for r in cursor]

    def get_annotation(self, annotation_id: int) -> Annotation | None:
        found = self.get_annotations(annotation_ids=[annotation_id])
        return found[0] if found else None

    def get_item_texts(self, item_ids: Sequence[int]) -> dict[int, str]:
        """The plain text (`content_text`) of each of these items that exists."""
        if not item_ids:
            return {}
        with wrap_errors(self.path):
            rows = self.db.execute(
                f"SELECT id, content_text FROM items WHERE id IN ({_marks(item_ids)})",
                list(item_ids),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def get_item_refs(self, item_ids: Iterable[int]) -> dict[int, ItemRef]:
        """Title, URL and status of each of these items that exists: what a listing of
        annotations shows of their items, without reading the items' texts."""
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            return {}
        with wrap_errors(self.path):
            rows = self.db.execute(
                f"SELECT id, title, url, status FROM items WHERE id IN ({_marks(ids)})", ids
            ).fetchall()
        return {r[0]: ItemRef(r[0], r[1], r[2], ItemStatus(r[3])) for r in rows}

    def add_annotation(
        self,
        item_id: int,
        *,
        quote: TextQuote | None,
        position: TextPosition | None,
        comment: str,
        tags: Sequence[str],
        now: datetime,
    ) -> int:
        """Store a new annotation (a highlight if `quote` is given); returns its id."""
        when = to_iso(now)
        with self.transaction():
            cursor = self.db.execute(
                'INSERT INTO annotations (item_id, exact, prefix, suffix, start, "end", comment,'
                " state, state_changed_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    item_id,
                    quote.exact if quote else None,
                    quote.prefix if quote else "",
                    quote.suffix if quote else "",
                    position.start if position else None,
                    position.end if position else None,
                    comment,
                    AnnotationState.ANCHORED.value,
                    when,
                    when,
                    when,
                ],
            )
            annotation_id = int(cursor.lastrowid or 0)
            self._add_annotation_tags(annotation_id, tags)
        return annotation_id

    def get_annotation_origins(self, item_ids: Sequence[int]) -> set[str]:
        """The origin ids (`hypothesis:<id>`) of these items' imported annotations."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT origin_id FROM annotations WHERE origin_id IS NOT NULL"
                " AND item_id IN (SELECT value FROM json_each(?))",
                [json.dumps(list(item_ids))],
            ).fetchall()
        return {r[0] for r in rows}

    def add_annotations(self, annotations: Sequence[models.NewAnnotation]) -> list[int]:
        """Store annotations decided beforehand (an import's), each with its own state and
        dates, in one transaction; returns their ids in the order given."""
        ids = []
        with self.transaction():
            for a in annotations:
                cursor = self.db.execute(
                    'INSERT INTO annotations (item_id, exact, prefix, suffix, start, "end",'
                    " comment, state, state_changed_at, created_at, updated_at, origin_id,"
                    " origin_target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        a.item_id,
                        a.quote.exact if a.quote else None,
                        a.quote.prefix if a.quote else "",
                        a.quote.suffix if a.quote else "",
                        a.position.start if a.position else None,
                        a.position.end if a.position else None,
                        a.comment,
                        a.state.value,
                        to_iso(a.created_at),
                        to_iso(a.created_at),
                        to_iso(a.updated_at),
                        a.origin_id,
                        a.origin_target,
                    ],
                )
                annotation_id = int(cursor.lastrowid or 0)
                self._add_annotation_tags(annotation_id, a.tags)
                ids.append(annotation_id)
        return ids

    def update_annotation(
        self,
        annotation_id: int,
        *,
        comment: str | None,
        add_tags: Sequence[str],
        remove_tags: Sequence[str],
        now: datetime,
    ) -> None:
        """Change an annotation's comment (None: keep it) and tags, in one transaction."""
        with self.transaction():
            if comment is not None:
                self.db.execute(
                    "UPDATE annotations SET comment = ? WHERE id = ? AND comment != ?",
                    [comment, annotation_id, comment],
                )
            self._add_annotation_tags(annotation_id, add_tags)
            if remove_tags:
                self.db.execute(
                    "DELETE FROM annotation_tags WHERE annotation_id = ? AND tag_id IN"
                    f" (SELECT id FROM tags WHERE name IN ({_marks(remove_tags)}))",
                    [annotation_id, *remove_tags],
                )
            self.db.execute(
                "UPDATE annotations SET updated_at = ? WHERE id = ?", [to_iso(now), annotation_id]
            )

    def _add_annotation_tags(self, annotation_id: int, tags: Iterable[str]) -> None:
        for tag_id in self._tag_ids(tags):
            self.db.execute(
                "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) VALUES (?, ?)",
                [annotation_id, tag_id],
            )

    def delete_annotation(self, annotation_id: int) -> bool:
        """Delete an annotation with its tags and reviews; False if there was none."""
        with self.transaction():
            cursor = self.db.execute("DELETE FROM annotations WHERE id = ?", [annotation_id])
            return cursor.rowcount > 0

    def set_anchors(self, anchors: Sequence[tuple[int, Anchor]], now: datetime) -> None:
        """Store re-anchoring decisions: each annotation's new state, quote and position.

        `state_changed_at` moves only for those whose state changed; `updated_at` is the
        person's last edit and stays.
        """
        when = to_iso(now)
        rows = [
            {
                "id": annotation_id,
                "state": a.state.value,
                "exact": a.quote.exact,
                "prefix": a.quote.prefix,
                "suffix": a.quote.suffix,
                "start": a.position.start,
                "end": a.position.end,
                "when": when,
            }
            for annotation_id, a in anchors
        ]
        with self.transaction():
            self.db.conn.executemany(
                """UPDATE annotations SET
                     state_changed_at = CASE WHEN state != :state THEN :when
                                        ELSE state_changed_at END,
                     state = :state, exact = :exact, prefix = :prefix, suffix = :suffix,
                     start = :start, "end" = :end
                   WHERE id = :id""",
                rows,
            )

    def record_reviews(self, reviews: Sequence[tuple[int, ReviewAction]], now: datetime) -> None:
        """Record that these annotations were reviewed at `now`, and how: one `reviews` row
        each, `reviewed_at` and `review_count` updated, discarded ones retired."""
        when = to_iso(now)
        with self.transaction():
            for annotation_id, action in reviews:
                self.db.execute(
                    "INSERT INTO reviews (annotation_id, reviewed_at, action) VALUES (?, ?, ?)",
                    [annotation_id, when, action.value],
                )
                self.db.execute(
                    """UPDATE annotations SET reviewed_at = :when,
                         review_count = review_count + 1,
                         retired_at = CASE WHEN :discard THEN :when ELSE retired_at END
                       WHERE id = :id""",
                    {
                        "when": when,
                        "discard": action is ReviewAction.DISCARDED,
                        "id": annotation_id,
                    },
                )

    def get_reviews(self, annotation_id: int) -> list[tuple[datetime, ReviewAction]]:
        """When an annotation was reviewed, and how, oldest first."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT reviewed_at, action FROM reviews WHERE annotation_id = ? ORDER BY id",
                [annotation_id],
            ).fetchall()
        return [(from_iso(r[0]), ReviewAction(r[1])) for r in rows]  # type: ignore[misc]

    # --- a teammate's highlights (from their shared.atom) ------------------------------------

    def get_shared_annotations(self, source_id: int) -> dict[str, StoredShared]:
        """The teammate's highlights this source brought, by their id in its feed."""
        rows = self.db.execute(
            "SELECT shared_id, id, item_id, shared_hash FROM annotations"
            " WHERE shared_source_id = ? AND shared_id IS NOT NULL",
            [source_id],
        )
        return {r[0]: StoredShared(r[1], r[2], r[3] or "") for r in rows}

    def apply_shared_annotations(
        self,
        item_id: int,
        source_id: int,
        annotations: Sequence[SharedAnnotation],
        removed: Sequence[int],
        now: datetime,
    ) -> None:
        """Store a teammate's highlights on an item as decided: remove, then add or update.

        Only teammates' annotations are ever removed or rewritten here (`shared_by` is never
        null on them); the caller holds the transaction.
        """
        conn = self.db.conn
        if removed:
            conn.execute(
                f"DELETE FROM annotations WHERE id IN ({_marks(removed)}) AND shared_by IS NOT NULL",
                list(removed),
            )
        when = to_iso(now)
        for a in annotations:
            values = {
                "item_id": item_id,
                "exact": a.quote.exact if a.quote else None,
                "prefix": a.quote.prefix if a.quote else "",
                "suffix": a.quote.suffix if a.quote else "",
                "start": a.position.start if a.position else None,
                "end": a.position.end if a.position else None,
                "comment": a.comment,
                "state": a.state.value,
                "when": when,
                "created_at": to_iso(a.created_at),
                "updated_at": to_iso(a.updated_at),
                "shared_by": a.shared_by,
                "shared_id": a.shared_id,
                "source_id": source_id,
                "shared_hash": a.shared_hash,
            }
            if a.annotation_id is None:
                cursor = conn.execute(
                    'INSERT INTO annotations (item_id, exact, prefix, suffix, start, "end",'
                    " comment, state, state_changed_at, created_at, updated_at, shared_by,"
                    " shared_id, shared_source_id, shared_hash) VALUES (:item_id, :exact,"
                    " :prefix, :suffix, :start, :end, :comment, :state, :when, :created_at,"
                    " :updated_at, :shared_by, :shared_id, :source_id, :shared_hash)",
                    values,
                )
                annotation_id = int(cursor.lastrowid or 0)
            else:
                annotation_id = a.annotation_id
                conn.execute(
                    """UPDATE annotations SET
                         state_changed_at = CASE WHEN state != :state THEN :when
                                            ELSE state_changed_at END,
                         exact = :exact, prefix = :prefix, suffix = :suffix, start = :start,
                         "end" = :end, comment = :comment, state = :state,
                         updated_at = :updated_at, shared_by = :shared_by,
                         shared_hash = :shared_hash
                       WHERE id = :id AND shared_by IS NOT NULL""",
                    {**values, "id": annotation_id},
                )
                conn.execute("DELETE FROM annotation_tags WHERE annotation_id = ?", [annotation_id])
            self._add_annotation_tags(annotation_id, a.tags)
