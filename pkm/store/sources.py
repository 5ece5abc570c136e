"""Sources (subscriptions) and their fetch state and history."""

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pkm._util.text import one_line
from pkm._util.timeutil import from_iso, to_iso
from pkm._util.urls import normalize_feed_url, source_key
from pkm.errors import SourceNotFoundError
from pkm.models import SUBSCRIPTION_KINDS, FetchOutcome, Source, SourceKind
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

_SOURCE_SELECT = """
SELECT s.*,
  (SELECT group_concat(t.name, char(31)) FROM source_tags st JOIN tags t ON t.id = st.tag_id
   WHERE st.source_id = s.id) AS tag_names,
  (SELECT count(*) FROM item_sources i WHERE i.source_id = s.id) AS item_count
FROM sources s
"""


def _row_to_source(row: sqlite3.Row | dict[str, Any]) -> Source:
    r = dict(row)
    return Source(
        id=r["id"],
        url=r["url"],
        kind=SourceKind(r["kind"]),
        title=r["title"],
        site_url=r["site_url"],
        tags=tuple(sorted(r["tag_names"].split("\x1f"))) if r["tag_names"] else (),
        added_at=from_iso(r["added_at"]),  # type: ignore[arg-type]
        previous_url=r["previous_url"],
        last_fetched_at=from_iso(r["last_fetched_at"]),
        last_status=r["last_status"],
        last_outcome=FetchOutcome(r["last_outcome"]) if r["last_outcome"] else None,
        last_error=r["last_error"],
        error_count=r["error_count"],
        next_due_at=from_iso(r["next_due_at"]),
        retry_after_at=from_iso(r["retry_after_at"]),
        is_gone=bool(r["is_gone"]),
        item_count=r["item_count"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        body_hash=r["body_hash"],
    )


class SourcesMixin(StoreBase):
    def _query_sources(self, where: str = "", params: Sequence[Any] = ()) -> list[Source]:
        with wrap_errors(self.path):
            cursor = self.db.execute(f"{_SOURCE_SELECT} {where} ORDER BY s.id", list(params))
            columns = [c[0] for c in cursor.description]
            return [_row_to_source(dict(zip(columns, row, strict=True))) for row in cursor]

    def add_source(
        self,
        url: str,
        url_key: str,
        kind: SourceKind,
        *,
        now: datetime,
        title: str | None = None,
        site_url: str | None = None,
        tags: Iterable[str] = (),
    ) -> tuple[Source, bool]:
        """Subscribe to `url`, or return the existing source with the same key (and False).

        Re-adding adds the new tags and brings a gone source back to life: the user asked for it.
        """
        tags = list(tags)
        with self.transaction():
            existing = self.find_source(url_key)
            if existing is None:
                cursor = self.db.execute(
                    "INSERT INTO sources (url, url_key, kind, title, site_url, added_at, next_due_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [url, url_key, kind.value, title, site_url, to_iso(now), to_iso(now)],
                )
                source_id = cursor.lastrowid
                created = True
            else:
                source_id = existing.id
                created = False
                if existing.is_gone:
                    self.db.execute(
                        "UPDATE sources SET is_gone = 0, error_count = 0, next_due_at = ? WHERE id = ?",
                        [to_iso(now), source_id],
                    )
            for tag_id in self._tag_ids(tags):
                self.db.execute(
                    "INSERT OR IGNORE INTO source_tags (source_id, tag_id) VALUES (?, ?)",
                    [source_id, tag_id],
                )
        return self.get_source(str(source_id)), created

    def find_source(self, url_key: str) -> Source | None:
        found = self._query_sources("WHERE s.url_key = ?", [url_key])
        return found[0] if found else None

    def get_source(self, ref: str) -> Source:
        """A source by id, URL or URL key."""
        where, params = "WHERE s.url = ? OR s.url_key = ?", [ref, ref]
        params_id: list[object] = []
        if ref.isdigit():
            where, params_id = "WHERE s.id = ?", [int(ref)]
        found = self._query_sources(where, params_id or params)
        if not found:
            raise SourceNotFoundError(ref)
        return found[0]

    def get_sources(
        self, ids: Sequence[int] | None = None, kinds: Sequence[SourceKind] = ()
    ) -> list[Source]:
        """All sources (of these kinds), or those with these ids."""
        clauses: list[str] = []
        params: list[object] = []
        if ids is not None:
            clauses.append(f"s.id IN ({','.join('?' * len(ids))})")
            params += list(ids)
        if kinds:
            clauses.append(f"s.kind IN ({','.join('?' * len(kinds))})")
            params += [k.value for k in kinds]
        return self._query_sources("WHERE " + " AND ".join(clauses) if clauses else "", params)

    def resolve_sources(self, refs: Sequence[str], *, tags: bool = True) -> list[Source]:
        """The subscriptions that ids, URLs (in any spelling, `feed://` and scheme-less
        included), feed file paths or (with `tags`) tags name, in id order.

        Raises SourceNotFoundError naming every reference that matches none.
        """
        if not refs:
            return []
        subscribed = {s.id: s for s in self.get_sources(kinds=SUBSCRIPTION_KINDS)}
        chosen: set[int] = set()
        unknown: list[str] = []
        for ref in refs:
            found = self.match_sources(source_key(ref), tags=tags)
            if not found and normalize_feed_url(ref) != ref.strip():
                found = self.match_sources(source_key(normalize_feed_url(ref)), tags=tags)
            found = [i for i in found if i in subscribed]
            if found:
                chosen.update(found)
            else:
                unknown.append(one_line(ref))
        if unknown:
            raise SourceNotFoundError(", ".join(dict.fromkeys(unknown)))
        return [subscribed[i] for i in sorted(chosen)]

    def match_sources(self, key: str, *, tags: bool = True) -> list[int]:
        """Ids of the sources a user's reference names: an id, a URL (or its URL key), or
        (with `tags`) a tag."""
        sql = "SELECT id FROM sources WHERE url = :k OR url_key = :k OR CAST(id AS TEXT) = :k"
        if tags:
            sql += (
                " UNION SELECT st.source_id FROM source_tags st JOIN tags t ON t.id = st.tag_id"
                " WHERE t.name = :k"
            )
        with wrap_errors(self.path):
            rows = self.db.execute(sql + " ORDER BY 1", {"k": key}).fetchall()
        return [r[0] for r in rows]

    def remove_source(self, source_id: int) -> tuple[int, int]:
        """Unsubscribe. Returns (items deleted, items kept).

        Items the user kept (starred, archived, tagged, annotated or cited by a note) and
        items reached through another source stay.
        """
        with self.transaction():
            item_ids = [
                r[0]
                for r in self.db.execute(
                    "SELECT item_id FROM item_sources WHERE source_id = ?", [source_id]
                )
            ]
            # A teammate's highlights leave with their feed; the person's own stay.
            self.db.execute(
                "DELETE FROM annotations WHERE shared_source_id = ? AND shared_by IS NOT NULL",
                [source_id],
            )
            deleted = 0
            for item_id in item_ids:
                if not self._item_is_kept(item_id, source_id):
                    self.db.execute("DELETE FROM items WHERE id = ?", [item_id])
                    deleted += 1
            self.db.execute("DELETE FROM sources WHERE id = ?", [source_id])
        return deleted, len(item_ids) - deleted

    def _item_is_kept(self, item_id: int, leaving_source_id: int) -> bool:
        row = self.db.execute(
            """SELECT
                 (SELECT status FROM items WHERE id = :item) IN ('starred', 'archived')
                 OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = :item)
                 OR EXISTS (SELECT 1 FROM annotations WHERE item_id = :item)
                 OR EXISTS (SELECT 1 FROM note_items WHERE item_id = :item)
                 OR EXISTS (SELECT 1 FROM item_sources WHERE item_id = :item AND source_id != :source)""",
            {"item": item_id, "source": leaving_source_id},
        ).fetchone()
        return bool(row[0])

    def failing_since(self, source_id: int) -> datetime | None:
        """When the source's current run of failed fetches began (None: its last fetch did
        not fail, or no fetch is on record)."""
        sql = """SELECT min(fetched_at) FROM fetches WHERE source_id = :id AND outcome = 'failed'
            AND fetched_at > coalesce((SELECT max(fetched_at) FROM fetches
                                       WHERE source_id = :id AND outcome != 'failed'), '')"""
        with wrap_errors(self.path):
            row = self.db.execute(sql, {"id": source_id}).fetchone()
        return from_iso(row[0]) if row else None

    def reset_backoff(self, source_ids: Sequence[int], now: datetime) -> list[int]:
        """Make these sources due at `now`, forgetting a server's Retry-After, with the
        backoff started afresh (one failure on record, so a source that fails again waits
        the shortest backoff). Gone sources stay gone. Returns the ids changed."""
        if not source_ids:
            return []
        marks = ",".join("?" * len(source_ids))
        with self.transaction():
            rows = self.db.execute(
                "UPDATE sources SET error_count = min(error_count, 1), next_due_at = ?,"
                f" retry_after_at = NULL WHERE id IN ({marks}) AND is_gone = 0 RETURNING id",
                [to_iso(now), *source_ids],
            ).fetchall()
        return sorted(r[0] for r in rows)
