"""The run log: one record per seek, synthesize, publish or import run."""

from dataclasses import dataclass
from datetime import datetime

from pkm.vocabulary import RunKind, RunOutcome


@dataclass(frozen=True)
class RunFailure:
    what: str  # a source URL, a file, or the run itself
    error: str


@dataclass(frozen=True)
class Run:
    """One recorded run (`pkm log`)."""

    id: int
    kind: RunKind
    started_at: datetime
    ended_at: datetime | None
    outcome: RunOutcome
    detail: str  # what it ran on: the period and folder, the note, the file
    counts: dict[str, int]
    failures: tuple[RunFailure, ...]
    pid: int | None = None

    @property
    def seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
