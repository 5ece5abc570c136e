"""Full-text search: one FTS5 index (`search`) over items, annotations and notes.

One index, so that BM25 scores (which depend on how often each term occurs in the whole
index, and on document lengths) are comparable across the three kinds; see migration m004
for the rowid scheme (`id * 4 + kind`) and the columns.
"""

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from pkm._util.timeutil import from_iso, to_iso
from pkm.errors import QueryError
from pkm.models import MATCH_END, MATCH_START, SearchFilter, SearchHit, SearchKind
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

KIND_CODES: dict[SearchKind, int] = {"item": 0, "annotation": 1, "note": 2}
# An item's row of the index (rowid, title, quote, body), for a WHERE clause to choose the items.
ITEM_ROWS = "SELECT id * 4, coalesce(title, ''), '', content_text FROM items"
_KINDS: dict[int, SearchKind] = {v: k for k, v in KIND_CODES.items()}

# BM25 weights of the columns title, quote (a highlight), body: a word in a title or a
# highlight says more about what a text is about than the same word in its body.
BM25_WEIGHTS = (10.0, 5.0, 1.0)
SNIPPET_TOKENS = 16

# The item a row is about: the item itself, or the item an annotation is on (notes: none).
_ROW_ITEM = (
    "(CASE s.rowid & 3 WHEN 0 THEN s.rowid >> 2"
    " WHEN 1 THEN (SELECT item_id FROM annotations WHERE id = s.rowid >> 2) END)"
)
_HAS_TAG = f"""(CASE s.rowid & 3
  WHEN 2 THEN EXISTS (SELECT 1 FROM note_tags x JOIN tags t ON t.id = x.tag_id
                      WHERE x.note_id = s.rowid >> 2 AND t.name = :tag)
  ELSE (s.rowid & 3 = 1 AND EXISTS (SELECT 1 FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
                                    WHERE x.annotation_id = s.rowid >> 2 AND t.name = :tag))
    OR EXISTS (SELECT 1 FROM item_tags x JOIN tags t ON t.id = x.tag_id
               WHERE x.item_id = {_ROW_ITEM} AND t.name = :tag)
    OR EXISTS (SELECT 1 FROM item_sources y JOIN source_tags x ON x.source_id = y.source_id
               JOIN tags t ON t.id = x.tag_id WHERE y.item_id = {_ROW_ITEM} AND t.name = :tag)
END)"""
# When a thing entered the person's view: an item's date, a highlight's creation, a note's
# last update.
_ROW_DATE = """(CASE s.rowid & 3
  WHEN 0 THEN (SELECT sort_at FROM items WHERE id = s.rowid >> 2)
  WHEN 1 THEN (SELECT created_at FROM annotations WHERE id = s.rowid >> 2)
  ELSE (SELECT coalesce(updated_at, created_at, indexed_at) FROM notes WHERE id = s.rowid >> 2)
END)"""


def _filter_sql(f: SearchFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if f.kinds:
        clauses.append(f"(s.rowid & 3) IN ({','.join(str(KIND_CODES[k]) for k in f.kinds)})")
    if f.statuses:
        marks = ",".join("?" * len(f.statuses))
        clauses.append(f"(SELECT status FROM items WHERE id = {_ROW_ITEM}) IN ({marks})")
        params += [s.value for s in f.statuses]
    if f.source_ids:
        marks = ",".join("?" * len(f.source_ids))
        clauses.append(
            f"{_ROW_ITEM} IN (SELECT item_id FROM item_sources WHERE source_id IN ({marks}))"
        )
        params += list(f.source_ids)
    for tag in f.tags:
        clauses.append(_HAS_TAG.replace(":tag", "?"))
        params += [tag] * 4
    for bound, op in ((f.since, ">="), (f.until, "<")):
        if bound is not None:
            clauses.append(f"{_ROW_DATE} {op} ?")
            params.append(to_iso(bound))
    if f.exclude:
        clauses.append(f"s.rowid NOT IN ({','.join('?' * len(f.exclude))})")
        params += [i * 4 + KIND_CODES[k] for k, i in f.exclude]
    return "".join(f" AND {c}" for c in clauses), params


def _targets_sql(kind: SearchKind, count: int) -> str:
    """id, title, url, item id, path, date of the things of one kind."""
    marks = ",".join("?" * count)
    if kind == "item":
        return f"SELECT id, title, url, id, NULL, sort_at FROM items WHERE id IN ({marks})"
    if kind == "annotation":
        return (
            "SELECT a.id, i.title, i.url, a.item_id, NULL, a.created_at FROM annotations a"
            f" JOIN items i ON i.id = a.item_id WHERE a.id IN ({marks})"
        )
    return (
        "SELECT id, title, NULL, NULL, path, coalesce(updated_at, created_at) FROM notes"
        f" WHERE id IN ({marks})"
    )


class SearchMixin(StoreBase):
    def index_backlog(self) -> int:
        """Index the items waiting in the search backlog (migration m011); how many.

        One statement for the whole backlog, in one transaction. A row an item may have
        already (an index repaired meanwhile) is replaced, so the backlog can always be
        drained; an item deleted while waiting is simply gone.
        """
        with wrap_errors(self.path):
            if self.db.execute("SELECT 1 FROM search_backlog LIMIT 1").fetchone() is None:
                return 0  # the usual case, and no write lock taken for it
        with self.transaction():
            conn = self.db.conn
            conn.execute(
                "DELETE FROM search WHERE rowid IN (SELECT item_id * 4 FROM search_backlog)"
            )
            count = conn.execute(
                f"INSERT INTO search (rowid, title, quote, body) {ITEM_ROWS}"
                " WHERE id IN (SELECT item_id FROM search_backlog)"
            ).rowcount
            conn.execute("DELETE FROM search_backlog")
        return count

    def search(self, match: str, filters: SearchFilter, limit: int) -> list[SearchHit]:
        """The best `limit` hits for an FTS5 MATCH expression, best first.

        A malformed expression is a `QueryError` with FTS5's own reason.
        """
        where, params = _filter_sql(filters)
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        sql = f"""
            SELECT s.rowid, bm25(search, {weights}) AS score,
                   snippet(search, -1, '{MATCH_START}', '{MATCH_END}', '…', {SNIPPET_TOKENS})
            FROM search s WHERE search MATCH ? {where}
            ORDER BY score LIMIT ?"""
        try:
            with wrap_errors(self.path):
                rows = self.db.execute(sql, [match, *params, limit]).fetchall()
                refs = [(_KINDS[r[0] & 3], r[0] >> 2) for r in rows]
                targets = self._search_targets(refs)
        except sqlite3.OperationalError as e:
            raise QueryError(f"bad search query: {_fts_reason(e)}") from None
        hits = []
        for (kind, id), (_, score, snippet) in zip(refs, rows, strict=True):
            title, url, item_id, path, date = targets.get((kind, id), (None,) * 5)
            hits.append(
                SearchHit(kind, id, score, snippet or "", title, url, item_id, path, from_iso(date))
            )
        return hits

    def _search_targets(
        self, refs: Sequence[tuple[SearchKind, int]]
    ) -> dict[tuple[SearchKind, int], tuple[Any, ...]]:
        found: dict[tuple[SearchKind, int], tuple[Any, ...]] = {}
        for kind in KIND_CODES:
            ids = [i for k, i in refs if k == kind]
            if ids:
                for r in self.db.execute(_targets_sql(kind, len(ids)), ids):
                    found[kind, r[0]] = tuple(r[1:])
        return found

    def term_document_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """How many rows the index has, and in how many of them each term occurs: what
        tells a distinctive term from a common one."""
        with wrap_errors(self.path):
            self.db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab"
                " USING fts5vocab(main, search, row)"
            )
            total = self.db.execute("SELECT count(*) FROM search").fetchone()[0]
            counts: dict[str, int] = {}
            unique = list(dict.fromkeys(terms))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                counts.update(
                    self.db.execute(
                        "SELECT term, doc FROM temp.search_vocab"
                        f" WHERE term IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
                )
        return int(total), counts

    def get_search_text(self, kind: SearchKind, id: int) -> tuple[str, str, str] | None:
        """The indexed title, quote and body of one thing."""
        with wrap_errors(self.path):
            row = self.db.execute(
                "SELECT title, quote, body FROM search WHERE rowid = ?",
                [id * 4 + KIND_CODES[kind]],
            ).fetchone()
        return (row[0], row[1], row[2]) if row else None


def _fts_reason(e: sqlite3.OperationalError) -> str:
    """FTS5's message without its `fts5:` prefix, on one line."""
    text = re.sub(r"^fts5:\s*", "", str(e))
    return " ".join(text.split()) or "malformed query"
