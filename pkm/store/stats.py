"""What `pkm stats` counts: the index's activity by week, its totals, and sources' arrivals.

A handful of statements, each one pass over its table grouped by week, read in one
snapshot so that a `pkm seek` writing meanwhile cannot make the figures disagree. The week
a time falls in is a CASE over the weeks' bounds (bound parameters, as ISO text, which
compares as time does), so weeks are the person's local ISO weeks whatever their length
across a DST change: the bounds come from `share.period`, not from SQLite's date functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from pkm import models  # loaded when first used (see pkm.models)
from pkm._util.timeutil import from_iso, to_iso
from pkm.models import ItemStatus
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

# The fetch outcomes that leave a source failing (see FetchOutcome).
_FAILED = "('failed', 'gone')"


def _week_of(column: str, prefix: str, count: int) -> str:
    """SQL for the index (0 the oldest) of the week `column` falls in, NULL outside the
    weeks (or for NULL). The bounds are the parameters :{prefix}0 .. :{prefix}{count}; the
    week is found by halving, so a year of weeks costs six comparisons, not fifty-two."""

    def within(first: int, last: int) -> str:  # weeks first..last-1
        if last - first == 1:
            return str(first)
        middle = (first + last) // 2
        return (
            f"CASE WHEN {column} < :{prefix}{middle} THEN {within(first, middle)}"
            f" ELSE {within(middle, last)} END"
        )

    return (
        f"(CASE WHEN {column} >= :{prefix}0 AND {column} < :{prefix}{count}"
        f" THEN {within(0, count)} END)"
    )


class StatsMixin(StoreBase):
    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: every statement inside sees the same state of the index."""
        with wrap_errors(self.path), self.db.atomic():
            yield

    def get_activity(
        self, weeks: Sequence[models.Period]
    ) -> tuple[list[models.WeekActivity], models.IndexTotals]:
        """What happened in each of `weeks` (consecutive, oldest first), and the totals.

        `sought` and `saved` count items by when pkm first saw them (a saved page is an
        item reached through the `pages` source); `read` and `starred` by their latest
        status change (the only one the index keeps); `annotated` the person's own
        annotations by creation; `notes` by the frontmatter's created or updated date
        (a note with neither by its file's mtime), as a digest counts them; `digests`
        distinct (author, period) pairs published; questions and answers by when.
        """
        n = len(weeks)
        bounds = [w.start for w in weeks] + ([weeks[-1].end] if weeks else [])
        params: dict[str, object] = {f"t{i}": to_iso(b) for i, b in enumerate(bounds)}
        params |= {f"n{i}": int(b.timestamp()) * 1_000_000_000 for i, b in enumerate(bounds)}
        week = {
            "sought": Counter[int](),
            "saved": Counter[int](),
            "read": Counter[int](),
            "starred": Counter[int](),
            "annotated": Counter[int](),
            "notes": Counter[int](),
            "digests": Counter[int](),
            "questions": Counter[int](),
            "answers": Counter[int](),
        }
        statuses = Counter[str]()
        totals = Counter[str]()

        def of(column: str, prefix: str = "t") -> str:
            return _week_of(column, prefix, n) if n else "NULL"

        with self._snapshot():
            execute = self.db.execute
            # Counted off the inbox index, without reading the table.
            for status, count in execute("SELECT status, count(*) FROM items GROUP BY 1"):
                statuses[status] += count
            # The items of the weeks only, found through the indexes on both times.
            for sought, read, starred, saved, count in execute(
                f"""SELECT sought, read, status = 'starred', CASE WHEN sought IS NOT NULL
                      THEN id IN (SELECT x.item_id FROM item_sources x
                        JOIN sources s ON s.id = x.source_id WHERE s.kind = 'pages') END,
                      count(*)
                    FROM (SELECT id, status, {of("first_seen_at")} AS sought,
                            CASE WHEN status IN ('read', 'starred')
                              THEN {of("status_changed_at")} END AS read
                          FROM items WHERE first_seen_at >= :t0 OR status_changed_at >= :t0)
                    GROUP BY 1, 2, 3, 4""",
                params,
            ):
                if sought is not None:
                    week["saved" if saved else "sought"][sought] += count
                if read is not None:
                    week["read"][read] += count
                    if starred:
                        week["starred"][read] += count
            for own, orphaned, created, count in execute(
                f"""SELECT shared_by IS NULL, state = 'orphaned',
                      CASE WHEN shared_by IS NULL THEN {of("created_at")} END, count(*)
                    FROM annotations GROUP BY 1, 2, 3""",
                params,
            ):
                if created is not None:
                    week["annotated"][created] += count
                totals["annotations" if own else "teammate_annotations"] += count
                totals["annotations_orphaned"] += count if own and orphaned else 0
            for created, updated, modified, broken, count in execute(
                f"""SELECT {of("created_at")}, {of("updated_at")},
                      CASE WHEN created_at IS NULL AND updated_at IS NULL
                        THEN {of("mtime_ns", "n")} END,
                      error IS NOT NULL, count(*)
                    FROM notes GROUP BY 1, 2, 3, 4""",
                params,
            ):
                for w in {created, updated, modified}:
                    if w is not None:
                        week["notes"][w] += count
                totals["notes"] += count
                totals["notes_broken"] += count if broken else 0
            digests = set()
            for published, author, period, count in execute(
                f"SELECT {of('published_at')}, author, period, count(*) FROM publications"
                " GROUP BY 1, 2, 3",
                params,
            ):
                if published is not None:
                    week["digests"][published] += 1
                digests.add((author, period))
                totals["publications"] += count
            totals["digests"] = len(digests)
            for table, column, name in (
                ("questions", "asked_at", "questions"),
                ("answers", "answered_at", "answers"),
            ):
                for when, count in execute(
                    f"SELECT {of(column)}, count(*) FROM {table} GROUP BY 1", params
                ):
                    if when is not None:
                        week[name][when] += count
                    totals[name] += count
            totals["sources"] = execute(
                "SELECT count(*) FROM sources WHERE kind IN ('feed', 'file')"
            ).fetchone()[0]
            totals["saved_pages"] = execute(
                "SELECT count(DISTINCT x.item_id) FROM item_sources x"
                " JOIN sources s ON s.id = x.source_id JOIN items i ON i.id = x.item_id"
                " WHERE s.kind = 'pages' AND i.status != 'deleted'"
            ).fetchone()[0]
        activity = [
            models.WeekActivity(
                week=w.label,
                start=w.start,
                end=w.end,
                sought=week["sought"][i],
                saved=week["saved"][i],
                read=week["read"][i],
                starred=week["starred"][i],
                annotated=week["annotated"][i],
                notes=week["notes"][i],
                digests=week["digests"][i],
                questions=week["questions"][i],
                answers=week["answers"][i],
            )
            for i, w in enumerate(weeks)
        ]
        items = models.StatusCounts(
            unread=statuses[ItemStatus.UNREAD],
            read=statuses[ItemStatus.READ],
            starred=statuses[ItemStatus.STARRED],
            archived=statuses[ItemStatus.ARCHIVED],
            deleted=statuses[ItemStatus.DELETED],
        )
        return activity, models.IndexTotals(
            items=items,
            saved_pages=totals["saved_pages"],
            sources=totals["sources"],
            annotations=totals["annotations"],
            annotations_orphaned=totals["annotations_orphaned"],
            teammate_annotations=totals["teammate_annotations"],
            notes=totals["notes"],
            notes_broken=totals["notes_broken"],
            digests=totals["digests"],
            publications=totals["publications"],
            questions=totals["questions"],
            answers=totals["answers"],
        )

    def get_source_activity(
        self, start: datetime, end: datetime
    ) -> dict[int, models.SourceActivity]:
        """For every source: the items it brought in [start, end), when it last brought one
        (the time of its newest link: a new row's rowid is above every existing one's,
        so the newest is found in the primary key's index without reading the table),
        and for a failing source the first failed fetch since its last good one."""
        sql = f"""
        SELECT s.id, coalesce(p.items, 0), newest.first_seen_at,
          CASE WHEN s.error_count > 0 OR s.is_gone THEN (
            SELECT min(f.fetched_at) FROM fetches f
            WHERE f.source_id = s.id AND f.outcome IN {_FAILED}
              AND f.fetched_at > coalesce((SELECT max(g.fetched_at) FROM fetches g
                WHERE g.source_id = s.id AND g.outcome NOT IN {_FAILED}), '')
          ) END
        FROM sources s
        LEFT JOIN item_sources newest ON newest.rowid =
          (SELECT max(rowid) FROM item_sources WHERE source_id = s.id)
        -- NOT INDEXED: grouped by the primary key's index, SQLite would read the table in
        -- its order, row by row; scanned, only the period's links are grouped.
        LEFT JOIN (SELECT source_id, count(*) AS items FROM item_sources NOT INDEXED
                   WHERE first_seen_at >= :start AND first_seen_at < :end GROUP BY 1) p
          ON p.source_id = s.id
        """
        with self._snapshot():
            rows = self.db.execute(sql, {"start": to_iso(start), "end": to_iso(end)}).fetchall()
        return {
            r[0]: models.SourceActivity(
                source_id=r[0],
                items_in_period=r[1],
                last_new_at=from_iso(r[2]),
                failing_since=from_iso(r[3]),
            )
            for r in rows
        }
