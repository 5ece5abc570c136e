"""What shell completion offers: the names a person types on a command line.

Small queries over whole tables (a few thousand rows at most), read off a `Store.peek`
index, so that a Tab press costs one process start and a few milliseconds here.
"""

from pkm.models import SUBSCRIPTION_KINDS
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors


class CompletionMixin(StoreBase):
    def source_names(self) -> list[tuple[int, str, str | None]]:
        """(id, url, title) of every subscription, by id (saved pages are no source one
        names)."""
        marks = ",".join("?" * len(SUBSCRIPTION_KINDS))
        with wrap_errors(self.path):
            rows = self.db.execute(
                f"SELECT id, url, title FROM sources WHERE kind IN ({marks}) ORDER BY id",
                [k.value for k in SUBSCRIPTION_KINDS],
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def tag_names(self) -> list[str]:
        """Every tag something carries (a source, an item, a highlight, a note), by name."""
        # Each link table read once (their keys start with the tagged thing, not the tag).
        sql = """SELECT name FROM tags WHERE id IN (
            SELECT tag_id FROM source_tags UNION SELECT tag_id FROM item_tags
            UNION SELECT tag_id FROM annotation_tags UNION SELECT tag_id FROM note_tags)
            ORDER BY name"""
        with wrap_errors(self.path):
            return [r[0] for r in self.db.execute(sql)]

    def note_names(self) -> list[tuple[str, str, str]]:
        """(path, name, title) of every indexed note, by path."""
        with wrap_errors(self.path):
            rows = self.db.execute("SELECT path, name, title FROM notes ORDER BY path").fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
