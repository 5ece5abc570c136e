"""What `pkm share publish` reads to write `shared.atom`, and the record of what it published.

Privacy is decided here, in SQL, once: an item is private when it or one of its sources
carries the private tag, a highlight when it does, a note when it does. Nothing private
and no teammate's highlight (`shared_by`) is ever returned to be shared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pkm import models  # loaded when first used (see pkm.models)
from pkm._util.timeutil import from_iso, to_iso
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_PRIVATE = """
private_items AS (
  SELECT x.item_id FROM item_tags x JOIN tags t ON t.id = x.tag_id WHERE lower(ltrim(t.name, '#')) = :private
  UNION
  SELECT s.item_id FROM item_sources s
  JOIN source_tags y ON y.source_id = s.source_id JOIN tags t ON t.id = y.tag_id
  WHERE lower(ltrim(t.name, '#')) = :private
),
private_annotations AS (
  SELECT x.annotation_id FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
  WHERE lower(ltrim(t.name, '#')) = :private
),
shared_annotations AS (
  SELECT a.* FROM annotations a
  WHERE a.shared_by IS NULL
    AND a.item_id NOT IN (SELECT item_id FROM private_items)
    AND a.id NOT IN (SELECT annotation_id FROM private_annotations)
)
"""

_SHARED_ANNOTATIONS = f"""
WITH {_PRIVATE}
SELECT a.id, a.item_id, a.exact, a.prefix, a.suffix, a.comment, a.created_at, a.updated_at,
  (SELECT group_concat(t.name, char(31)) FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
   WHERE x.annotation_id = a.id) AS tag_names
FROM shared_annotations a JOIN items i ON i.id = a.item_id
WHERE i.status != 'deleted'
ORDER BY a.item_id, a.created_at, a.id
"""

_SHARED_ITEMS = f"""
WITH {_PRIVATE}
SELECT i.id, i.title, i.url, i.status, coalesce(i.status_changed_at, i.first_seen_at) AS starred_at,
  (SELECT group_concat(t.name, char(31)) FROM item_tags x JOIN tags t ON t.id = x.tag_id
   WHERE x.item_id = i.id) AS tag_names,
  s.title AS source_title, s.url AS source_url
FROM items i
-- the first source that delivered it, saved pages aside
LEFT JOIN sources s ON s.id = (
  SELECT x.source_id FROM item_sources x JOIN sources y ON y.id = x.source_id
  WHERE x.item_id = i.id AND y.kind != 'pages' ORDER BY x.first_seen_at, x.source_id LIMIT 1)
WHERE (i.status = 'starred' OR i.id IN (SELECT item_id FROM shared_annotations))
  AND i.status != 'deleted'
  AND i.id NOT IN (SELECT item_id FROM private_items)
"""

_SHARED_NOTES = """
WITH private_notes AS (
  SELECT x.note_id FROM note_tags x JOIN tags t ON t.id = x.tag_id WHERE lower(ltrim(t.name, '#')) = :private
)
SELECT n.id, n.path, n.title, n.created_at, n.updated_at, n.mtime_ns, n.content_hash,
  (SELECT group_concat(t.name, char(31)) FROM note_tags x JOIN tags t ON t.id = x.tag_id
   WHERE x.note_id = n.id) AS tag_names
FROM notes n
WHERE n.error IS NULL AND n.id NOT IN (SELECT note_id FROM private_notes)
"""

_NOTE_CITES = """
WITH private_items AS (
  SELECT x.item_id FROM item_tags x JOIN tags t ON t.id = x.tag_id WHERE lower(ltrim(t.name, '#')) = :private
  UNION
  SELECT s.item_id FROM item_sources s
  JOIN source_tags y ON y.source_id = s.source_id JOIN tags t ON t.id = y.tag_id
  WHERE lower(ltrim(t.name, '#')) = :private
)
SELECT ni.note_id, i.url, i.title FROM note_items ni JOIN items i ON i.id = ni.item_id
WHERE i.status != 'deleted' AND i.id NOT IN (SELECT item_id FROM private_items)
ORDER BY ni.note_id, i.id
"""


def _tags(value: str | None) -> tuple[str, ...]:
    return tuple(sorted(value.split("\x1f"))) if value else ()


def _when(value: str | None) -> datetime:
    when = from_iso(value)
    assert when is not None
    return when


class PublishMixin(StoreBase):
    def get_shared_items(self, private_tag: str) -> list[models.SharedItem]:
        """Every item the person starred or highlighted that is not private, with its public
        highlights (oldest first), ordered by item id."""
        params = {"private": private_tag.lstrip("#").lower() or "\x00"}
        with wrap_errors(self.path):
            highlights: dict[int, list[models.SharedHighlight]] = {}
            for r in self.db.execute(_SHARED_ANNOTATIONS, params).fetchall():
                highlights.setdefault(r[1], []).append(
                    models.SharedHighlight(
                        annotation_id=r[0],
                        exact=r[2],
                        prefix=r[3],
                        suffix=r[4],
                        comment=r[5],
                        tags=_tags(r[8]),
                        created=_when(r[6]),
                        updated=_when(r[7]),
                    )
                )
            items = []
            for r in self.db.execute(_SHARED_ITEMS + " ORDER BY i.id", params).fetchall():
                items.append(
                    models.SharedItem(
                        item_id=r[0],
                        title=r[1],
                        url=r[2],
                        source_title=r[6],
                        source_url=r[7],
                        tags=_tags(r[5]),
                        starred_at=_when(r[4]) if r[3] == "starred" else None,
                        highlights=tuple(highlights.get(r[0], ())),
                    )
                )
        return items

    def get_shared_notes(self, private_tag: str) -> list[models.SharedNote]:
        """Every readable note that is not private, with the public items it cites."""
        params = {"private": private_tag.lstrip("#").lower() or "\x00"}
        with wrap_errors(self.path):
            cites: dict[int, list[models.SharedCite]] = {}
            for r in self.db.execute(_NOTE_CITES, params).fetchall():
                cites.setdefault(r[0], []).append(models.SharedCite(url=r[1], title=r[2]))
            notes = []
            for r in self.db.execute(_SHARED_NOTES + " ORDER BY n.path", params).fetchall():
                created = from_iso(r[3])
                updated = (
                    from_iso(r[4]) or created or datetime.fromtimestamp(r[5] // 1_000_000_000, UTC)
                )
                notes.append(
                    models.SharedNote(
                        note_id=r[0],
                        path=r[1],
                        title=r[2],
                        tags=_tags(r[7]),
                        created=created,
                        updated=updated,
                        cites=tuple(cites.get(r[0], ())),
                        content_hash=r[6],
                    )
                )
        return notes

    def add_publication(
        self,
        *,
        author: str,
        period: str,
        folder: str,
        published_at: datetime,
        files: Sequence[str],
        commit: str | None,
    ) -> int:
        """Record one publish run; returns its id."""
        with self.transaction():
            row = self.db.execute(
                "INSERT INTO publications (author, period, folder, published_at, files, changed, commit_sha)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    author,
                    period,
                    folder,
                    to_iso(published_at),
                    json.dumps(list(files), ensure_ascii=False),
                    len(files),
                    commit,
                ],
            ).fetchone()
        return int(row[0])

    def get_publications(self, *, limit: int | None = None) -> list[models.Publication]:
        """What was published, newest first."""
        sql = "SELECT * FROM publications ORDER BY published_at DESC, id DESC"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with wrap_errors(self.path):
            cursor = self.db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        return [
            models.Publication(
                id=r["id"],
                author=r["author"],
                period=r["period"],
                folder=r["folder"],
                published_at=_when(r["published_at"]),
                files=tuple(json.loads(r["files"])),
                changed=r["changed"],
                commit=r["commit_sha"],
            )
            for r in rows
        ]
