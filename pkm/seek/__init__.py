"""Seek: bring things in (feeds, read-later pages).

The services below are what the CLI (or any other caller) uses: each is one function that
takes an opened `Pkm`, takes the home's run lock itself when it writes, and returns typed
values (errors in batches are values, see `SourceResult` and `AddResult`).

- `fetch_due`: the cron run: fetch every due source, store what changed.
- `add_sources`, `remove_sources`, `list_sources`, `resolve_sources`: subscriptions.
- `import_opml`, `export_opml`: subscription lists.
- `save_pages`: read-later pages.
- `stuck_sources`, `gone_sources`, `reset_backoff`: sources held back by failures (`health`).

The modules behind them: `update` (the run's pipeline), `decide` (pure decisions),
`parse` and `feeds` (parsing), `retrieve` and `http` (retrieval), `discover`, `extract`,
`opml`, `schedule` (pure helpers).
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pkm.models import SUBSCRIPTION_KINDS, RunKind, SeekReport
from pkm.seek.health import StuckSource, gone_sources, reset_backoff, stuck_sources
from pkm.seek.save import save_pages
from pkm.seek.subscriptions import (
    add_sources,
    export_opml,
    import_opml,
    list_sources,
    remove_sources,
    resolve_sources,
)

if TYPE_CHECKING:
    from pkm.core import Pkm

__all__ = [
    "StuckSource",
    "add_sources",
    "export_opml",
    "fetch_due",
    "gone_sources",
    "import_opml",
    "list_sources",
    "remove_sources",
    "reset_backoff",
    "resolve_sources",
    "save_pages",
    "stuck_sources",
]


def fetch_due(
    pkm: "Pkm",
    *,
    only: Sequence[str] = (),
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SeekReport:
    """Fetch every due source (or those `only` names) and store what changed.

    Args:
        only: ids, URLs, feed file paths or tags (see `resolve_sources`).
        force: fetch sources that are not due yet (`--all`); a server's Retry-After and
            410 Gone are still honoured.
        progress: called with (done, total) as each due source is finished.

    Returns:
        One result per source, skipped ones included, in id order.

    Raises:
        SourceNotFoundError: a reference in `only` matches no source.
        LockedError: another pkm run holds the lock.
    """
    from pkm.runlog import recorded_run
    from pkm.seek.update import plan_fetch, run_fetch

    detail = " ".join(["--all"] * force + [*only])
    with pkm.lock(), recorded_run(pkm, RunKind.SEEK, detail) as run:
        sources = (
            resolve_sources(pkm, only) if only else pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS)
        )
        plan = plan_fetch(sources, pkm.now(), force=force)
        results = list(plan.skipped)
        total = len(plan.due)
        if progress is not None:
            progress(0, total)
        for done, result in enumerate(run_fetch(pkm, plan.due), 1):
            results.append(result)
            if result.error:
                run.fail(result.url, result.error)
            if progress is not None:
                progress(done, total)
        report = SeekReport(tuple(sorted(results, key=lambda r: r.source_id or 0)))
        run.count(
            sources=len(sources),
            fetched=total,
            new_items=report.new_items,
            updated_items=report.updated_items,
            failed=len(report.failed),
        )
    return report
