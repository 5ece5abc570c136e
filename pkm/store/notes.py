"""The note index: what the vault's Markdown files held when they were last read."""

import json
from typing import Any

from pkm._util.timeutil import from_iso
from pkm.models import Note
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_NOTE_SELECT = """
SELECT n.*,
  (SELECT group_concat(t.name, char(31)) FROM note_tags x JOIN tags t ON t.id = x.tag_id
   WHERE x.note_id = n.id) AS tag_names
FROM notes n
"""


def _row_to_note(r: dict[str, Any]) -> Note:
    return Note(
        id=r["id"],
        path=r["path"],
        name=r["name"],
        title=r["title"],
        tags=tuple(sorted(r["tag_names"].split("\x1f"))) if r["tag_names"] else (),
        aliases=tuple(json.loads(r["aliases"])),
        created=from_iso(r["created_at"]),
        updated=from_iso(r["updated_at"]),
        error=r["error"],
    )


class NotesMixin(StoreBase):
    def get_notes_citing(self, item_id: int) -> list[Note]:
        """The notes whose sources include this item (the provenance edges), by title."""
        sql = (
            f"{_NOTE_SELECT} WHERE n.id IN (SELECT note_id FROM note_items WHERE item_id = ?)"
            " ORDER BY n.title COLLATE NOCASE, n.path"
        )
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, [item_id])
            columns = [c[0] for c in cursor.description]
            return [_row_to_note(dict(zip(columns, r, strict=True))) for r in cursor]
