"""The note index: what the vault's Markdown files held when they were last read."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm._util.urls import url_key
from pkm.models import Note, NoteIndexChanges, NoteSource, NoteStat, WikiLink
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


class NoteIndexMixin(StoreBase):
    """Keeping the note index in step with the vault, and the queries Sense's note services
    run. `NotesMixin` above is the part other services read (`get_notes_citing`)."""

    def get_note_fingerprints(self) -> dict[str, tuple[int, int]]:
        """Each indexed file's size and mtime (ns), in the shape `walk_vault` gives: the
        no-change check every note command starts with compares the two."""
        with wrap_errors(self.path):
            rows = self.db.execute("SELECT path, size, mtime_ns FROM notes").fetchall()
        return {path: (size, mtime_ns) for path, size, mtime_ns in rows}

    def get_note_stats(self) -> dict[str, NoteStat]:
        """What the index recorded of each file: the other half of the stat walk's diff."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT path, size, mtime_ns, content_hash, id FROM notes"
            ).fetchall()
        return {r[0]: NoteStat(r[0], r[1], r[2], r[3], r[4]) for r in rows}

    def apply_note_changes(self, changes: NoteIndexChanges, now: datetime) -> None:
        """Store one sync's decisions in one transaction: the index moves from one state of
        the vault to the next, never to a mix."""
        indexed_at = to_iso(now)
        tag_ids: dict[str, int] = {}
        with self.transaction():
            # The raw connection: ten thousand notes are some 60,000 statements, and the
            # wrapper's overhead per statement is most of their cost.
            conn = self.db.conn
            for path in changes.removed:
                conn.execute("DELETE FROM notes WHERE path = ?", [path])
            conn.executemany(
                "UPDATE notes SET size = ?, mtime_ns = ?, indexed_at = ? WHERE path = ?",
                [[s.size, s.mtime_ns, indexed_at, s.path] for s in changes.touched],
            )
            existing = dict(conn.execute("SELECT path, id FROM notes").fetchall())
            for note in changes.upserts:
                note_id = conn.execute(
                    """INSERT INTO notes (path, name, title, aliases, created_at, updated_at,
                        size, mtime_ns, content_hash, error, indexed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(path) DO UPDATE SET name = excluded.name,
                        title = excluded.title, aliases = excluded.aliases,
                        created_at = excluded.created_at, updated_at = excluded.updated_at,
                        size = excluded.size, mtime_ns = excluded.mtime_ns,
                        content_hash = excluded.content_hash, error = excluded.error,
                        indexed_at = excluded.indexed_at
                    RETURNING id""",
                    [
                        note.path,
                        note.name,
                        note.title,
                        json.dumps(list(note.aliases), ensure_ascii=False),
                        to_iso(note.created),
                        to_iso(note.updated),
                        note.size,
                        note.mtime_ns,
                        note.content_hash,
                        note.error,
                        indexed_at,
                    ],
                ).fetchone()[0]
                search_row = (" ".join([note.title, *note.aliases]), note.body)
                indexed = None
                if note.path in existing:  # a new note has nothing to replace
                    for table in ("note_tags", "note_links", "note_items"):
                        conn.execute(f"DELETE FROM {table} WHERE note_id = ?", [note_id])
                    indexed = conn.execute(
                        "SELECT title, body FROM search WHERE rowid = ?", [note_id * 4 + 2]
                    ).fetchone()
                    # Deleting an FTS5 row costs as much as writing it: a row that would be
                    # written again as it is (a forced reindex, a touched file) stays.
                    if indexed is not None and tuple(indexed) != search_row:
                        conn.execute("DELETE FROM search WHERE rowid = ?", [note_id * 4 + 2])
                names = [t for t in dict.fromkeys(t.strip() for t in note.tags) if t]
                for name in names:
                    if name not in tag_ids:
                        tag_ids[name] = self._tag_ids([name])[0]
                if names:
                    conn.executemany(
                        "INSERT OR IGNORE INTO note_tags (note_id, tag_id) VALUES (?, ?)",
                        [[note_id, tag_ids[name]] for name in names],
                    )
                if note.links:
                    conn.executemany(
                        "INSERT INTO note_links (note_id, target, heading, alias, position)"
                        " VALUES (?, ?, ?, ?, ?)",
                        [[note_id, k.target, k.heading, k.alias, k.position] for k in note.links],
                    )
                if note.sources:
                    conn.executemany(
                        "INSERT OR IGNORE INTO note_items (note_id, item_id) VALUES (?, ?)",
                        [[note_id, i] for i in self._cited_item_ids(note.sources)],
                    )
                # The note's row of the search index (rowid id*4+2); deleting a note
                # removes it by trigger, but writing it is the store's job.
                if indexed is None or tuple(indexed) != search_row:
                    conn.execute(
                        "INSERT INTO search (rowid, title, quote, body) VALUES (?, ?, '', ?)",
                        [note_id * 4 + 2, *search_row],
                    )

    def _cited_item_ids(self, sources: Sequence[NoteSource]) -> list[int]:
        """Item ids a note's sources name; a source with only a URL is the item with that
        URL (by the same key seek dedups on), if there is one."""
        ids: list[int] = []
        for source in sources:
            if source.item_id is not None:
                ids.append(source.item_id)
            elif source.url:
                row = self.db.execute(
                    "SELECT id FROM items WHERE url_key = ? ORDER BY id LIMIT 1",
                    [url_key(source.url)],
                ).fetchone()
                if row:
                    ids.append(row[0])
        return list(dict.fromkeys(ids))

    def get_notes(self, *, tag: str | None = None) -> list[Note]:
        """Every indexed note (or those tagged `tag`, without case), by title."""
        where, params = "", []
        if tag is not None:
            where = (
                " WHERE n.id IN (SELECT x.note_id FROM note_tags x JOIN tags t ON t.id = x.tag_id"
                " WHERE t.name = ? COLLATE NOCASE)"
            )
            params = [tag.lstrip("#")]
        return self._query_notes(
            f"{_NOTE_SELECT}{where} ORDER BY n.title COLLATE NOCASE, n.path", params
        )

    def get_note_by_path(self, path: str) -> Note | None:
        notes = self._query_notes(f"{_NOTE_SELECT} WHERE n.path = ?", [path])
        return notes[0] if notes else None

    def _query_notes(self, sql: str, params: Sequence[Any]) -> list[Note]:
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, list(params))
            columns = [c[0] for c in cursor.description]
            return [_row_to_note(dict(zip(columns, r, strict=True))) for r in cursor]

    def get_note_links(self, note_id: int | None = None) -> list[tuple[str, WikiLink]]:
        """(path of the linking note, link) for one note's links, or for every note's."""
        sql = (
            "SELECT n.path, l.target, l.heading, l.alias, l.position FROM note_links l"
            " JOIN notes n ON n.id = l.note_id"
        )
        params: list[Any] = []
        if note_id is not None:
            sql += " WHERE l.note_id = ?"
            params = [note_id]
        with wrap_errors(self.path):
            rows = self.db.execute(sql + " ORDER BY n.path, l.position", params).fetchall()
        return [(r[0], WikiLink(r[1], r[2], r[3], r[4])) for r in rows]

    def get_note_item_ids(self, note_id: int) -> list[int]:
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT item_id FROM note_items WHERE note_id = ? ORDER BY item_id", [note_id]
            ).fetchall()
        return [r[0] for r in rows]

    # --- choosing items for a synthesis --------------------------------------------------------

    def get_item_ids_tagged(self, tag: str) -> list[int]:
        """Items tagged `tag` (themselves or through their source) and items with an
        annotation tagged `tag`, oldest first; without case."""
        sql = """
        SELECT it.item_id FROM item_tags it JOIN tags t ON t.id = it.tag_id
          WHERE t.name = ?1 COLLATE NOCASE
        UNION SELECT x.item_id FROM item_sources x JOIN source_tags st ON st.source_id = x.source_id
          JOIN tags t ON t.id = st.tag_id WHERE t.name = ?1 COLLATE NOCASE
        UNION SELECT a.item_id FROM annotations a JOIN annotation_tags at ON at.annotation_id = a.id
          JOIN tags t ON t.id = at.tag_id WHERE t.name = ?1 COLLATE NOCASE
        """
        with wrap_errors(self.path):
            rows = self.db.execute(
                f"SELECT s.item_id FROM ({sql}) s JOIN items i ON i.id = s.item_id"
                " WHERE i.status != 'deleted' ORDER BY s.item_id",
                [tag.lstrip("#")],
            ).fetchall()
        return [r[0] for r in rows]
