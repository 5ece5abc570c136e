"""What the Store mixins share: the database handle and tag bookkeeping."""

from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database


class StoreBase:
    db: Database
    path: Path | str

    def _tag_ids(self, names: Iterable[str]) -> list[int]:
        ids = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            self.db.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", [name])
            ids.append(self.db.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()[0])
        return ids
