"""`pkm doctor`: check the home (its files, the index, the vault) and repair what is safe.

Every check returns findings, typed values; with `fix`, a check that found something it
can repair repairs it through the service that owns the data (and takes that service's
lock: the run lock for Seek's sources, the Sense lock for notes and highlights, both for
the search index, which holds all three), then runs again, so that a finding is `fixed`
only when the problem is gone. Without `fix`, nothing is written: pkm is opened
read-only, and an index whose schema is older than this pkm is not upgraded but reported.

Nothing is ever dropped to make a finding go away: a damaged index is left for `pkm
restore`, highlights that still find no place stay orphans, gone sources stay.
"""

import os
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pkm._util.text import one_line
from pkm._util.timeutil import to_iso
from pkm.errors import PkmError, StoreError
from pkm.models import AnnotationState, SchemaState

if TYPE_CHECKING:
    from pkm.core import Pkm


class Severity(StrEnum):
    ERROR = "error"  # pkm cannot work as it should: a damaged index, files it cannot write
    WARNING = "warning"  # something is out of step or stuck, and needs a repair or a look
    INFO = "info"  # worth knowing; not a problem


@dataclass(frozen=True)
class Finding:
    """One thing a check found. `fixable`: `pkm doctor --fix` can repair it; `fixed`: it
    did. `subject` names what it is about (`source:3`, `item:12`, a note's path), so a
    script can tell findings apart."""

    check: str
    severity: Severity
    message: str
    fixable: bool = False
    fixed: bool = False
    subject: str = ""

    @property
    def problem(self) -> bool:
        """Still wrong: not fixed, and more than information."""
        return not self.fixed and self.severity is not Severity.INFO


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[str, ...]  # the checks that ran, in order
    findings: tuple[Finding, ...]
    fix: bool

    @property
    def ok(self) -> bool:
        """Nothing is wrong, or everything found was fixed."""
        return not any(f.problem for f in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.problem)

    @property
    def fixed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.fixed)


CHECKS = (
    "files",
    "schema",
    "integrity",
    "notes",
    "search",
    "text-changes",
    "highlights",
    "sources",
)
_RESTORE = "restore a backup (`pkm restore FILE`); doctor repairs nothing in a damaged index"
_LISTED = 20  # messages shown of one kind before the rest are counted


def diagnose(
    pkm: "Pkm", *, fix: bool = False, progress: Callable[[str], None] | None = None
) -> DoctorReport:
    """Run every check (and, with `fix`, every safe repair); `progress` is told the name
    of each check as it starts. Pass a pkm opened read-only unless `fix`: a read-only pkm
    cannot repair (nor take the locks repairs take)."""
    if fix and pkm.readonly:
        raise ValueError("pkm doctor --fix needs a pkm opened for writing")
    findings: list[Finding] = []
    ran: list[str] = []

    def start(check: str) -> None:
        ran.append(check)
        if progress is not None:
            progress(check)

    start("files")
    findings += _files(pkm)
    start("schema")
    schema, usable = _schema(pkm, fix=fix)
    findings += schema
    if not usable:
        return DoctorReport(tuple(ran), tuple(findings), fix)
    start("integrity")
    integrity = _guarded("integrity", _integrity, pkm)
    findings += integrity
    repair = fix and not any(f.problem for f in integrity)
    for name, find, mend in _INDEX_CHECKS:
        start(name)
        found = _guarded(name, find, pkm)
        if repair and any(f.fixable for f in found):
            failed = _mend(mend, pkm, found)
            found = found + failed if failed else _settle(found, _guarded(name, find, pkm))
        findings += found
    return DoctorReport(tuple(ran), tuple(findings), fix)


def _guarded(check: str, run: Callable[["Pkm"], list[Finding]], pkm: "Pkm") -> list[Finding]:
    """A check's findings; an index that fails under it is a finding too, not a crash."""
    try:
        return run(pkm)
    except StoreError as e:
        return [Finding(check, Severity.ERROR, f"could not check: {e}", subject=check)]


def _mend(
    mend: Callable[["Pkm", list[Finding]], None], pkm: "Pkm", found: list[Finding]
) -> list[Finding]:
    """Run a repair; one that cannot run (another pkm holds the lock, the index is busy)
    is a finding, and what it was to repair stays fixable."""
    check = found[0].check
    try:
        mend(pkm, [f for f in found if f.fixable])
    except PkmError as e:
        return [Finding(check, Severity.ERROR, f"not repaired: {e}", subject=f"{check}:repair")]
    return []


def _settle(before: Sequence[Finding], after: Sequence[Finding]) -> list[Finding]:
    """After a repair: what was found and is gone now is fixed; what is still there was
    beyond the repair, so `--fix` cannot fix it (it stays a problem)."""
    remaining = {f.subject for f in after}
    attempted = {f.subject for f in before if f.fixable}
    fixed = [replace(f, fixed=True) for f in before if f.fixable and f.subject not in remaining]
    return fixed + [replace(f, fixable=False) if f.subject in attempted else f for f in after]


# --- the home's files ----------------------------------------------------------------------------


def _files(pkm: "Pkm") -> list[Finding]:
    """Files and folders of the home that pkm must write and cannot (a restored backup
    owned by another user, a read-only mount). Not fixable: whose they should be is the
    person's decision."""
    home = pkm.paths.home
    wanted = [home, *(home / n for n in ("pkm.db", "pkm.db-wal", "pkm.db-shm", "pkm.toml"))]
    wanted += [pkm.paths.lock, pkm.paths.sense_lock, pkm.vault]
    if pkm.vault.is_dir():
        for root, dirs, files in os.walk(pkm.vault):  # the folders and notes pkm writes
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            wanted += [Path(root) / d for d in dirs]
            wanted += [Path(root) / f for f in sorted(files) if f.endswith(".md")]
    denied = [str(p) for p in wanted if os.path.lexists(p) and not os.access(p, os.W_OK)]
    findings = [
        Finding("files", Severity.ERROR, f"not writable: {path}", subject=path)
        for path in denied[:_LISTED]
    ]
    if len(denied) > _LISTED:
        rest = len(denied) - _LISTED
        findings.append(
            Finding("files", Severity.ERROR, f"and {rest} more not writable", subject="files:more")
        )
    return findings


# --- the schema ----------------------------------------------------------------------------------


def _schema(pkm: "Pkm", *, fix: bool) -> tuple[list[Finding], bool]:
    """The index's schema, read off the file as it is (opening pkm's store would upgrade
    it). Returns the findings and whether the index checks can run: not on an index that
    is damaged, waits for an upgrade, or does not exist (doctor creates none)."""
    from pkm.store import Store

    path = pkm.paths.db
    if not path.is_file():
        note = "no index yet (`pkm seek add URL` creates it)"
        return [Finding("schema", Severity.INFO, note, subject="schema")], False
    try:
        peeked = Store.peek(path, busy_timeout=pkm.settings.index.busy_timeout)
        try:
            status = peeked.schema_status()
        finally:
            peeked.close()
    except StoreError as e:
        return [
            Finding("integrity", Severity.ERROR, f"{e}: {_RESTORE}", subject="integrity")
        ], False
    if status.state is SchemaState.UNKNOWN:
        message = (
            f"the index was written by a newer pkm (migrations this pkm does not know:"
            f" {', '.join(status.unknown)}): upgrade pkm"
        )
        return [Finding("schema", Severity.WARNING, message, subject="schema")], True
    if status.state is SchemaState.CURRENT:
        return [], True
    message = (
        f"the index's schema is older than this pkm's ({status.applied or 'none'} applied,"
        f" {status.current} current)"
    )
    stale = Finding("schema", Severity.WARNING, message, fixable=True, subject="schema")
    if not fix:
        skipped = "the other checks of the index wait for the upgrade (`pkm doctor --fix`)"
        return [stale, Finding("schema", Severity.INFO, skipped, subject="schema:skipped")], False
    try:
        pkm.store.schema_version()  # opening the store for writing upgrades it
    except StoreError as e:
        return [stale, Finding("schema", Severity.ERROR, f"not upgraded: {e}")], False
    return [replace(stale, fixed=True)], True


# --- the index -----------------------------------------------------------------------------------


def _integrity(pkm: "Pkm") -> list[Finding]:
    errors = pkm.store.integrity_errors() + pkm.store.foreign_key_errors()
    return [
        Finding("integrity", Severity.ERROR, f"{e}: {_RESTORE}", subject=f"integrity:{n}")
        for n, e in enumerate(errors[:_LISTED])
    ]


_NOTE_STATES = {
    "added": "a note the index does not know yet",
    "modified": "changed since the index read it",
    "removed": "gone from the vault, still in the index",
}


def _notes(pkm: "Pkm") -> list[Finding]:
    """The vault against the note index (`pkm sense reindex --check`)."""
    from pkm.sense.notes import check_notes

    report = check_notes(pkm)
    findings = [
        Finding("notes", Severity.WARNING, f"{path}: {_NOTE_STATES[state]}", True, subject=path)
        for path, state in report.stale
    ]
    findings += [
        Finding(
            "notes",
            Severity.WARNING,
            f"{path}: broken frontmatter, fix it by hand (pkm never rewrites it): {why}",
            subject=f"frontmatter:{path}",
        )
        for path, why in report.broken
    ]
    if report.broken_links:
        message = (
            f"{_count(report.broken_links, 'wikilink')} to no note"
            " (`pkm sense reindex --check` lists them)"
        )
        findings.append(Finding("notes", Severity.INFO, message, subject="links"))
    return findings


def _mend_notes(pkm: "Pkm", found: list[Finding]) -> None:
    from pkm.sense.notes import reread_notes

    reread_notes(pkm, [f.subject for f in found])


_KIND_NAMES = {"item": "item", "annotation": "annotation", "note": "note"}


def _search(pkm: "Pkm") -> list[Finding]:
    """The search index against the items, annotations and notes it indexes."""
    drift = pkm.store.search_drift()
    findings = []
    if drift.index_error is not None:
        message = f"the full-text index is not sound (FTS5 integrity-check: {drift.index_error})"
        findings.append(Finding("search", Severity.ERROR, message, True, subject="search:index"))
    for label, refs, what in (
        ("missing", drift.missing, "not in the search index (search cannot find them)"),
        ("stale", drift.stale, "in the search index with old text"),
    ):
        for kind, name in _KIND_NAMES.items():
            ids = [i for k, i in refs if k == kind]
            if ids:
                message = f"{_count(ids, name)} {what}: {_ids(ids)}"
                subject = f"search:{label}-{kind}"
                findings.append(Finding("search", Severity.WARNING, message, True, subject=subject))
    if drift.extra:
        message = (
            f"{_count(drift.extra, 'row')} of the search index for things that are gone"
            " (search finds what is not there)"
        )
        findings.append(Finding("search", Severity.WARNING, message, True, subject="search:extra"))
    if not drift.index_checked:
        message = "FTS5 integrity-check not run: the index is read-only"
        findings.append(Finding("search", Severity.INFO, message, subject="search:unchecked"))
    return findings


def _mend_search(pkm: "Pkm", found: list[Finding]) -> None:
    """Items' rows are Seek's, annotations' and notes' Sense's: both locks, then the drift
    found again (something may have changed since the check) and mended in one
    transaction, notes read again from their files."""
    from pkm.sense.notes import decide_reread

    unsound = any(f.subject == "search:index" for f in found)
    with pkm.lock(), pkm.sense_lock():
        store = pkm.store
        drift = store.search_drift(check_index=False)  # FTS5's verdict is the check's
        note_ids = {i for k, i in (*drift.missing, *drift.stale) if k == "note"}
        paths = [s.path for s in store.get_note_stats().values() if s.note_id in note_ids]
        notes = decide_reread(pkm, paths)
        with store.transaction():
            store.repair_search(drift, rebuild=unsound)
            if notes:
                store.apply_note_changes(notes, pkm.now())


def _text_changes(pkm: "Pkm") -> list[Finding]:
    count = pkm.store.count_text_changes()
    if not count:
        return []
    message = (
        f"{_count(count, 'text change')} of items not applied to their highlights yet"
        " (not re-anchored)"
    )
    return [Finding("text-changes", Severity.WARNING, message, True, subject="text-changes")]


def _mend_text_changes(pkm: "Pkm", found: list[Finding]) -> None:
    from pkm.sense import reanchor_changed

    reanchor_changed(pkm)


def _highlights(pkm: "Pkm") -> list[Finding]:
    """Orphaned highlights, per item: those re-anchoring would place in the item's text
    now (fixable), and those it would not (they stay orphans: a problem of the person's
    own highlights, but expected of a teammate's, quoted from their copy of the text)."""
    from pkm.sense import orphan_placements

    groups: dict[tuple[int, str], list[int]] = {}
    for old, anchor in orphan_placements(pkm):
        if anchor.state is not AnnotationState.ORPHANED:
            group = "placeable"
        else:
            group = "shared" if old.shared_by else "own"
        groups.setdefault((old.item_id, group), []).append(old.id)
    refs = pkm.store.get_item_refs(item_id for item_id, _ in groups)
    findings = []
    for (item_id, group), ids in sorted(groups.items()):
        ref = refs.get(item_id)
        title = f" {one_line(ref.title)!r}" if ref is not None and ref.title else ""
        what = f"item {item_id}{title}: {_count(ids, 'highlight')} orphaned ({_ids(ids)})"
        if group == "placeable":
            message = f"{what}, whose passage is in the item's text again"
            subject, severity = f"item:{item_id}:placeable", Severity.WARNING
        else:
            message = (
                f"{what}: their passage is not in the item's text"
                f"{' (shared by a teammate)' if group == 'shared' else ''};"
                " kept (`pkm sense annotations --orphaned`)"
            )
            subject = f"item:{item_id}:{group}"
            severity = Severity.INFO if group == "shared" else Severity.WARNING
        findings.append(
            Finding("highlights", severity, message, group == "placeable", subject=subject)
        )
    return findings


def _mend_highlights(pkm: "Pkm", found: list[Finding]) -> None:
    from pkm.sense import reanchor_orphans

    reanchor_orphans(pkm)


def _sources(pkm: "Pkm") -> list[Finding]:
    """Sources held back by their failures (fixable: made due again), and gone ones
    (reported: a source that answered 410 is over)."""
    from pkm.seek import gone_sources, stuck_sources

    now = pkm.now()
    findings = []
    for stuck in stuck_sources(pkm):
        s = stuck.source
        since = f" since {to_iso(stuck.failing_since)}" if stuck.failing_since else ""
        message = (
            f"{s.url} (source {s.id}): failed {_count(s.error_count, 'time')} in a row{since}, not"
            f" tried again for {_duration(stuck.waits_until - now)} (until"
            f" {to_iso(stuck.waits_until)}); last error: {one_line(s.last_error or 'unknown')}"
        )
        findings.append(
            Finding("sources", Severity.WARNING, message, True, subject=f"source:{s.id}")
        )
    for s in gone_sources(pkm):
        when = f" on {to_iso(s.last_fetched_at)}" if s.last_fetched_at else ""
        message = (
            f"{s.url} (source {s.id}): answered 410 Gone{when} and is never fetched again;"
            f" `pkm seek remove {s.id}` unsubscribes"
        )
        findings.append(Finding("sources", Severity.WARNING, message, subject=f"source:{s.id}"))
    return findings


def _mend_sources(pkm: "Pkm", found: list[Finding]) -> None:
    from pkm.seek import reset_backoff

    reset_backoff(pkm, [int(f.subject.split(":", 1)[1]) for f in found])


_INDEX_CHECKS: tuple[
    tuple[str, Callable[["Pkm"], list[Finding]], Callable[["Pkm", list[Finding]], None]], ...
] = (
    ("notes", _notes, _mend_notes),
    ("search", _search, _mend_search),
    ("text-changes", _text_changes, _mend_text_changes),
    ("highlights", _highlights, _mend_highlights),
    ("sources", _sources, _mend_sources),
)


# --- wording -------------------------------------------------------------------------------------


def _ids(ids: Iterable[int]) -> str:
    """Ids as a list to read: `ids 3, 4` (the first _LISTED of them, then how many more)."""
    shown = sorted(ids)
    text = ", ".join(str(i) for i in shown[:_LISTED])
    more = f" and {len(shown) - _LISTED} more" if len(shown) > _LISTED else ""
    return f"{'ids' if len(shown) > 1 else 'id'} {text}{more}"


def _count(values: Sized | int, noun: str, plural: str = "") -> str:
    """`1 highlight`, `2 highlights`."""
    n = values if isinstance(values, int) else len(values)
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _duration(delta: timedelta) -> str:
    """A wait as a person says it: `40 minutes`, `16 hours`, `2 days`."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minutes" if minutes > 1 else "a minute"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"
