"""The run log: what each `seek`, `synthesize`, `publish` and `import` run did.

Those runs happen from cron, where nobody reads the terminal: each is recorded in the index
when it starts and when it ends (`pkm log`), and while it runs the `pkm` loggers also write
to HOME/logs/pkm.log, rotated by size. Recording is never a reason for a run to fail: a
full disk or a busy index costs the record, not the run.
"""

import contextlib
import logging
import logging.handlers
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from pkm._util.text import one_line
from pkm.errors import PkmError
from pkm.models import Run, RunFailure, RunKind, RunOutcome

if TYPE_CHECKING:
    from pkm.core import Pkm

log = logging.getLogger("pkm.runlog")
T = TypeVar("T")

# A run with no end that started longer ago than this is not running, whatever its pid says
# (pids are reused).
_LONGEST_RUN = timedelta(hours=24)


@dataclass
class RunRecorder:
    """What a service tells the run log about its run as it goes."""

    detail: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[RunFailure] = field(default_factory=list)

    def count(self, **counts: int) -> None:
        self.counts.update(counts)

    def fail(self, what: str, error: str) -> None:
        """Part of the run failed (a source, a URL); the run goes on, and ends `partial`."""
        self.failures.append(RunFailure(one_line(what), one_line(error)))


@contextmanager
def recorded_run(pkm: "Pkm", kind: RunKind, detail: str = "") -> Iterator[RunRecorder]:
    """Record the run the `with` block is: started now, ended when the block ends.

    The outcome follows from how the block ends: `ok`, `partial` when the recorder was
    told of failures, `failed` on an error (its message is the last failure), or
    `interrupted`. A pkm opened read-only records nothing.
    """
    recorder = RunRecorder(detail)
    if pkm.readonly:
        yield recorder
        return
    handler = _attach_log_file(pkm)
    started = pkm.now()
    clock = time.monotonic()
    log.info("%s started%s", kind, f": {detail}" if detail else "")
    run_id = _quietly(lambda: pkm.store.start_run(kind, started, detail, os.getpid()))
    outcome: RunOutcome | None = None
    try:
        yield recorder
    except KeyboardInterrupt:
        outcome = RunOutcome.INTERRUPTED
        raise
    except PkmError as e:
        outcome = RunOutcome.FAILED
        recorder.fail(kind.value, str(e))
        raise
    except BaseException as e:
        outcome = RunOutcome.FAILED
        recorder.fail(kind.value, f"{type(e).__name__}: {e}")
        raise
    finally:
        if outcome is None:
            outcome = RunOutcome.PARTIAL if recorder.failures else RunOutcome.OK
        seconds = time.monotonic() - clock
        if run_id is not None:
            ended = started + timedelta(seconds=seconds)
            _quietly(
                lambda: pkm.store.finish_run(
                    run_id,
                    ended,
                    outcome,
                    detail=recorder.detail,
                    counts=recorder.counts,
                    failures=recorder.failures,
                )
            )
        for failure in recorder.failures:
            log.warning("%s: %s: %s", kind, failure.what, failure.error)
        log.log(
            logging.INFO if outcome is RunOutcome.OK else logging.WARNING,
            "%s %s in %.1f s%s",
            kind,
            outcome,
            seconds,
            "".join(f", {k} {v}" for k, v in recorder.counts.items()),
        )
        _detach_log_file(handler)


def list_runs(pkm: "Pkm", kinds: Sequence[RunKind] = (), *, limit: int | None = None) -> list[Run]:
    """Recorded runs, newest first; a run that never ended reads `running` while its
    process is alive and `died` once it is gone (killed, or the machine went down)."""
    now = pkm.now()
    runs = pkm.store.get_runs(kinds=kinds, limit=limit)
    return [
        replace(r, outcome=RunOutcome.DIED)
        if r.outcome is RunOutcome.RUNNING
        and (now - r.started_at > _LONGEST_RUN or not _alive(r.pid))
        else r
        for r in runs
    ]


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _quietly(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except PkmError as e:
        log.warning("run log not recorded: %s", e)
        return None


# The HTTP client's logger: one line per request (`pkm.seek.http.exchange.log_outcome`).
_REQUEST_LOGGER = "pkm.seek.http"


def _attach_log_file(pkm: "Pkm") -> logging.Handler | None:
    """Send the `pkm` loggers' INFO and above to the rotated log file, for this run."""
    path = pkm.paths.log_file
    s = pkm.settings.log
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _LogFile(
            path, maxBytes=s.file_kb * 1024, backupCount=s.file_count, encoding="utf-8"
        )
    except OSError as e:
        log.warning("cannot write the log file %s: %s", path, e.strerror or e)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    logger = logging.getLogger("pkm")
    handler.previous_level = logger.level  # type: ignore[attr-defined]
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
        # Each request's line (two per source) only with -v: the file keeps each source's
        # outcome and each failure, and writing 500 lines nobody asked for was a tenth
        # of a run whose feeds answer 304.
        logging.getLogger(_REQUEST_LOGGER).setLevel(logging.WARNING)
    logger.addHandler(handler)
    return handler


class _LogFile(logging.handlers.RotatingFileHandler):
    """The rotated log file, silent when it cannot be written (a full disk): the run says
    what went wrong on stderr itself, and logging's own report would be a traceback."""

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """Roll over once the file has reached its size. The standard check formats every
        record a second time to see whether it would fit, which made the log file a
        tenth of a run in which 500 feeds answer 304; a file may now end one line over."""
        if self.stream is None:
            self.stream = self._open()
        return 0 < self.maxBytes <= self.stream.tell()

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def _detach_log_file(handler: logging.Handler | None) -> None:
    if handler is None:
        return
    logger = logging.getLogger("pkm")
    logger.removeHandler(handler)
    logger.setLevel(handler.previous_level)  # type: ignore[attr-defined]
    logging.getLogger(_REQUEST_LOGGER).setLevel(logging.NOTSET)
    with contextlib.suppress(OSError):  # what was left to write could not be (a full disk)
        handler.close()
