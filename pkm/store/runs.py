"""The run log: a row per `seek`, `synthesize`, `publish` and `import` run."""

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pkm._util.timeutil import from_iso
from pkm.models import Run, RunFailure, RunKind, RunOutcome
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors

# Runs kept: a year and more of hourly cron runs; older rows go as new ones arrive.
KEEP_RUNS = 10_000


class RunsMixin(StoreBase):
    def start_run(self, kind: RunKind, started_at: datetime, detail: str, pid: int) -> int:
        """Record a run as started (committed at once, so a killed run stays visible)."""
        with self.transaction():
            cursor = self.db.conn.execute(
                "INSERT INTO runs (kind, started_at, detail, pid) VALUES (?, ?, ?, ?)",
                [kind.value, _ms(started_at), detail, pid],
            )
            run_id = int(cursor.lastrowid or 0)
            self.db.execute("DELETE FROM runs WHERE id <= ?", [run_id - KEEP_RUNS])
        return run_id

    def finish_run(
        self,
        run_id: int,
        ended_at: datetime,
        outcome: RunOutcome,
        *,
        detail: str,
        counts: Mapping[str, int],
        failures: Sequence[RunFailure],
    ) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET ended_at = ?, outcome = ?, detail = ?, counts = ?, failures = ?"
                " WHERE id = ?",
                [
                    _ms(ended_at),
                    outcome.value,
                    detail,
                    json.dumps(dict(counts), ensure_ascii=False),
                    json.dumps([[f.what, f.error] for f in failures], ensure_ascii=False),
                    run_id,
                ],
            )

    def get_runs(self, *, kinds: Sequence[RunKind] = (), limit: int | None = None) -> list[Run]:
        """Runs newest first. A run with no end reads as RUNNING; the caller tells a live
        one from one that died (`pkm.runlog`)."""
        where = f"WHERE kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
        sql = (
            "SELECT id, kind, started_at, ended_at, outcome, detail, counts, failures, pid"
            f" FROM runs {where} ORDER BY id DESC"
        )
        params: list[object] = [k.value for k in kinds]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with wrap_errors(self.path):
            rows = self.db.execute(sql, params).fetchall()
        return [
            Run(
                id=r[0],
                kind=RunKind(r[1]),
                started_at=from_iso(r[2]),  # type: ignore[arg-type]
                ended_at=from_iso(r[3]),
                outcome=RunOutcome(r[4]) if r[4] else RunOutcome.RUNNING,
                detail=r[5],
                counts={str(k): int(v) for k, v in json.loads(r[6]).items()},
                failures=tuple(RunFailure(str(w), str(e)) for w, e in json.loads(r[7])),
                pid=r[8],
            )
            for r in rows
        ]


def _ms(when: datetime) -> str:
    """Milliseconds, unlike the index's other times: runs are timed."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")
