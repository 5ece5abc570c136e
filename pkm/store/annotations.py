"""Annotations: highlights and comments on items, their tags, anchors and reviews."""

from collections.abc import Sequence
from typing import Any

from pkm._util.timeutil import from_iso
from pkm.models import Annotation, AnnotationState, TextPosition, TextQuote
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
    )


class AnnotationsMixin(StoreBase):
    def get_annotations(self, *, item_ids: Sequence[int] = ()) -> list[Annotation]:
        """Annotations in text order per item (item-level comments first), oldest item first."""
        where = ""
        if item_ids:
            where = f"WHERE a.item_id IN ({','.join('?' * len(item_ids))})"
        sql = f"{_ANNOTATION_SELECT} {where} ORDER BY a.item_id, coalesce(a.start, -1), a.id"
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, list(item_ids))
            columns = [c[0] for c in cursor.description]
            return [_row_to_annotation(dict(zip(columns, r, strict=True))) for r in cursor]
