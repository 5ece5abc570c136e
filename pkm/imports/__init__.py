"""Imports: a person's history from the hosted tools they leave (`pkm import FORMAT FILE`).

`import_file` is the one service: it reads the whole file into a plan (one parser per
format, each pure: `pocket`, `omnivore`, `kindle`, `hypothesis`; a malformed file is an
`ImportFileError` naming the line or entry, before anything is stored), decides against the
index what is new, what merges into an item it has and what is there already (`merge`),
and applies that in one transaction under the run lock and the Sense lock (items are
Seek's data, statuses and annotations Sense's). With `fetch`, the pages of imported items
without text are then fetched and stored (`fetch`), and highlights re-anchored in them.
"""

from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from pkm.errors import ImportFileError, InvalidInputError
from pkm.imports.plan import ImportFormat, ImportPlan
from pkm.imports.report import FetchFailure, ImportReport, ItemAction, ItemOutcome, report_json
from pkm.vocabulary import RunKind

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.imports.fetch import FetchTarget
    from pkm.imports.merge import Applied, ItemDecision

__all__ = [
    "FetchFailure",
    "ImportFormat",
    "ImportReport",
    "ItemAction",
    "ItemOutcome",
    "import_file",
    "read_plan",
    "report_json",
]


def read_plan(fmt: ImportFormat, path: Path, *, tz: tzinfo = UTC) -> ImportPlan:
    """The whole export as a plan. `tz` is the zone of times written without one (Kindle's).

    Raises:
        ImportFileError: the file is not an export of that format, or an entry of it is
            malformed (the message starts with the file's name, then the line or entry).
        InvalidInputError: the file cannot be read.
    """
    try:
        if fmt is ImportFormat.OMNIVORE:
            from pkm.imports.omnivore import open_export, parse_omnivore

            if not path.exists():
                raise InvalidInputError(f"cannot read {path}: No such file or directory")
            with open_export(path) as files:
                return parse_omnivore(files)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InvalidInputError(f"cannot read {path}: {e.strerror}") from None
        if fmt is ImportFormat.POCKET:
            from pkm.imports.pocket import parse_pocket

            return parse_pocket(data)
        if fmt is ImportFormat.KINDLE:
            from pkm.imports.kindle import parse_clippings

            return parse_clippings(data, tz)
        from pkm.imports.hypothesis import parse_hypothesis

        return parse_hypothesis(data)
    except ImportFileError as e:
        raise ImportFileError(f"{path.name}: {e.where}", e.detail) from None


def import_file(
    pkm: "Pkm",
    fmt: ImportFormat,
    path: Path,
    *,
    dry_run: bool = False,
    fetch: bool = False,
    tags: Sequence[str] = (),
    tz: tzinfo = UTC,
) -> ImportReport:
    """Import an export file: its items as saved items, its highlights and notes as
    annotations, merged with what the index has (see `pkm.imports.merge`).

    Args:
        dry_run: decide and report, write nothing (and fetch nothing).
        fetch: fetch and extract the pages of imported items that have no text.
        tags: given to every imported item.
        tz: the zone of times the file writes without one (Kindle's).

    Returns:
        What was (or would be) added, merged and skipped; pages that could not be fetched
        are `fetch_failures`, the rest is stored.

    Raises:
        ImportFileError: a malformed file (nothing is stored).
        InvalidInputError: an unreadable file, an empty tag.
        LockedError: another pkm run holds the lock.
    """
    from pkm.imports.merge import apply, decide, read_known
    from pkm.sense.annotations import clean_tags

    extra = clean_tags(tags)
    plan = read_plan(fmt, path, tz=tz)
    refused = [
        ItemOutcome(s.ref, ItemAction.SKIPPED, None, s.title, s.url, s.reason, refused=True)
        for s in plan.skipped
    ]
    if dry_run:
        decisions = decide(plan, read_known(pkm.store, plan.items), now=pkm.now(), tags=extra)
        targets = _fetch_targets(decisions, [d.item_id for d in decisions]) if fetch else []
        return ImportReport(
            format=fmt,
            file=str(path),
            dry_run=True,
            items=_in_file_order([d.outcome(d.item_id) for d in decisions] + refused),
            skipped_annotations=plan.skipped_annotations,
            notes=plan.notes,
            to_fetch=len(targets),
        )
    from pkm.runlog import recorded_run

    with pkm.lock(), recorded_run(pkm, RunKind.IMPORT, f"{fmt} {path}") as run:
        store = pkm.store
        with pkm.sense_lock(), store.transaction():
            decisions = decide(plan, read_known(store, plan.items), now=pkm.now(), tags=extra)
            applied = apply(store, decisions, pkm.now())
        targets = _fetch_targets(decisions, applied.item_ids) if fetch else []
        fetched: tuple[int, ...] = ()
        failures: tuple[FetchFailure, ...] = ()
        if targets:
            from pkm.imports.fetch import fetch_pages

            fetched, failures = fetch_pages(pkm, targets)
        outcomes = [d.outcome(i) for d, i in zip(decisions, applied.item_ids, strict=True)]
        report = ImportReport(
            format=fmt,
            file=str(path),
            dry_run=False,
            items=_in_file_order(outcomes + refused),
            annotation_ids=applied.annotation_ids,
            orphaned_annotation_ids=_still_orphaned(pkm, decisions, applied),
            skipped_annotations=plan.skipped_annotations,
            notes=plan.notes,
            to_fetch=len(targets),
            fetched_ids=fetched,
            fetch_failures=failures,
        )
        run.count(
            added=report.count(ItemAction.ADDED),
            merged=report.count(ItemAction.MERGED),
            skipped=report.count(ItemAction.SKIPPED),
            annotations=len(report.annotation_ids),
            fetched=len(fetched),
        )
        for failure in failures:
            run.fail(failure.url, failure.error)
    return report


def _fetch_targets(
    decisions: "Sequence[ItemDecision]", item_ids: Sequence[int | None]
) -> "list[FetchTarget]":
    """The imported items with a URL and no text yet (a deleted one is left alone)."""
    from pkm.imports.fetch import FetchTarget

    return [
        FetchTarget(item_id or 0, d.item.key, d.item.url, d.item.title)
        for d, item_id in zip(decisions, item_ids, strict=True)
        if d.item.url and not d.text.strip() and not d.deleted and d.repeat_of is None
    ]


def _still_orphaned(
    pkm: "Pkm", decisions: "Sequence[ItemDecision]", applied: "Applied"
) -> tuple[int, ...]:
    """Re-anchor highlights in the texts this import changed, and return the annotations it
    added that are orphaned after that."""
    from pkm.models import AnnotationState
    from pkm.sense.annotations import reanchor_changed

    reanchor_changed(pkm)
    if not any(a.state is AnnotationState.ORPHANED for d in decisions for a in d.annotations):
        return ()
    ids = list(applied.annotation_ids)
    orphaned: list[int] = []
    for start in range(0, len(ids), 500):
        found = pkm.store.get_annotations(annotation_ids=ids[start : start + 500])
        orphaned += [a.id for a in found if a.state is AnnotationState.ORPHANED]
    return tuple(sorted(orphaned))


def _in_file_order(outcomes: list[ItemOutcome]) -> tuple[ItemOutcome, ...]:
    """Outcomes sorted as their entries come in the file (`line 12` before `line 100`)."""
    import re

    def key(o: ItemOutcome) -> tuple[object, ...]:
        return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", o.ref))

    return tuple(sorted(outcomes, key=key))
