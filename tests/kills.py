"""A kill -9 harness: the real `pkm` in a subprocess, killed at a random moment of its run,
then checked for what a crash may never do.

Each `Scenario` builds a template home once (with real work to do: feeds on a local HTTP
server, items to gather into a note, a week to publish into a git team folder). A trial
copies the template, starts the command, waits a delay, notes what is committed (the
`Facts`: row ids, files with their bytes, git commits), sends SIGKILL, waits for the
command's helpers (seek's parsing workers, a git it started) to end, and then checks:

- `PRAGMA integrity_check` is ok (and `foreign_key_check` finds nothing);
- nothing seen before the kill is gone: every fact of the snapshot is still there;
- no file is half-written: every `.md` parses with python-frontmatter, every `.json` is
  JSON, every `.atom` well-formed XML and every `.html` a complete page; pkm's own
  temporary files (`.NAME.XXXXXXXX.tmp`) may remain, and are counted;
- the next run of the same command, not killed, exits 0 and leaves the work done
  (`Scenario.check_done`), with no temporary file of pkm's left in the vault or the team
  folder (it removes the killed run's).

Delays are seeded (`random.Random(seed)`) and spread over the whole run: trial `i` of `n`
is killed at `(i + u) / n` of the duration of an unkilled run, `u` uniform in [0, 1).
Used by tests/test_faults_kill.py (a few kills per scenario) and benchmarks/kills.py
(many, with figures).

Only the pkm process is killed (`kill -9 PID`), as the OOM killer or a user would; the
helpers it started are left to end as they do when their parent dies.
"""

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from tests.feeds import rss
from tests.httpserver import FeedServer

# pkm's temporary files (pkm/_util/fsutil.py, pkm/share/folder.py): `.` + up to 40
# characters of the final name + `.` + tempfile's 8 random characters + `.tmp`.
TEMP_FILE_RE = re.compile(r"^\..{1,40}\.[a-z0-9_]{8}\.tmp$")


def pkm_command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pkm", "--home", str(home), *args]


def pkm_env(**extra: str) -> dict[str, str]:
    """The environment of a run: this one's without PKM_* and GIT_* settings, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PKM_", "GIT_"))}
    env.update(NO_COLOR="1", **extra)
    return env


# --- what a crash must not lose ------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What was committed, as named sets: {"items": {"1", "2"}, "files": {"notes/a.md:<sha>"}}.

    A later snapshot must hold every fact of an earlier one (`lost`), except the facts of a
    `changing` kind, which only must not disappear by name (a file pkm rewrites in place).
    """

    sets: Mapping[str, frozenset[str]]
    changing: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def lost(self, later: "Facts") -> dict[str, list[str]]:
        gone = {}
        for kind, values in [*self.sets.items(), *self.changing.items()]:
            now = later.sets.get(kind, later.changing.get(kind, frozenset()))
            missing = sorted(values - now)
            if missing:
                gone[kind] = missing[:5]
        return gone


def db_facts(db: Path, queries: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each query's rows (joined by `/`) as a set; read-only, so the snapshot of a running
    pkm never creates or changes a file. An index that does not exist yet holds nothing."""
    if not db.exists():
        return {kind: frozenset() for kind in queries}
    uri = f"file:{db}?mode=ro"
    found: dict[str, frozenset[str]] = {}
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        for kind, sql in queries.items():
            try:
                rows = conn.execute(sql).fetchall()
            except sqlite3.OperationalError as e:  # a table a migration has not made yet
                if "no such table" not in str(e):
                    raise
                rows = []
            found[kind] = frozenset("/".join(str(v) for v in row) for row in rows)
    return found


def file_facts(folder: Path, *, suffixes: Sequence[str]) -> frozenset[str]:
    """`path` of every finished file under `folder` with one of `suffixes` (not .git, not
    pkm's temporary files)."""
    found = set()
    for path in _files(folder):
        if path.suffix in suffixes and not TEMP_FILE_RE.match(path.name):
            found.add(path.relative_to(folder).as_posix())
    return frozenset(found)


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            yield Path(root) / name


def temp_files(folder: Path) -> list[Path]:
    return [p for p in _files(folder) if TEMP_FILE_RE.match(p.name)]


def half_written(folder: Path) -> list[str]:
    """Files under `folder` that are not whole: an `.md` python-frontmatter cannot read, an
    `.json` that is not JSON, an `.atom` that is not well-formed XML, an `.html` page that
    does not end with `</html>` or that a strict HTML5 parser refuses. pkm's temporary
    files are not looked at (nothing reads them)."""
    import frontmatter
    import html5lib
    from lxml import etree

    bad = []
    for path in _files(folder):
        if TEMP_FILE_RE.match(path.name) or path.name.startswith(".pkm-publish.lock"):
            continue
        data = path.read_bytes()
        try:
            if path.suffix == ".md":
                frontmatter.loads(data.decode("utf-8"))
            elif path.suffix == ".json":
                json.loads(data)
            elif path.suffix == ".atom":
                etree.fromstring(data, etree.XMLParser(resolve_entities=False))
            elif path.suffix == ".html":
                if not data.rstrip().endswith(b"</html>"):
                    raise ValueError("no </html> at the end")
                html5lib.HTMLParser(strict=True).parse(data)
        except Exception as e:  # any reader's failure is the finding
            bad.append(f"{path.relative_to(folder)}: {type(e).__name__}: {e}")
    return bad


def integrity(db: Path) -> list[str]:
    """What `integrity_check` and `foreign_key_check` find wrong (empty: sound). Opened
    read-write, as the next pkm run would open it (a killed run's WAL is recovered)."""
    if not db.exists():
        return []
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        found += [f"foreign key: {r}" for r in conn.execute("PRAGMA foreign_key_check")]
    return found


# --- scenarios -----------------------------------------------------------------------------------


class Scenario:
    """One command to kill, with the home it runs on.

    A subclass sets `name` and implements `prepare` (build the template under `work`, once;
    servers it needs stay up until `close`), `command` (pkm's arguments), `facts` (what is
    committed) and `check_done` (the work is complete after a run that was not killed; an
    empty list when it is). A trial's home is `trial/home`, copied from `template/home`
    with everything else in the template (a team folder beside it).
    """

    name = ""
    env: Mapping[str, str] = MappingProxyType({})

    def prepare(self, work: Path) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def facts(self, trial: Path) -> Facts:
        raise NotImplementedError

    def check_done(self, trial: Path) -> list[str]:
        raise NotImplementedError

    def folders(self, trial: Path) -> list[Path]:
        """The folders whose files must never be half-written."""
        return [trial / "home" / "notes"]

    def close(self) -> None:
        """Stop what `prepare` started."""


ENTRIES = 15


class SeekScenario(Scenario):
    """`pkm seek --all` over `feeds` feeds of ENTRIES entries on a local server, a third of
    them `slow` (seconds before they answer), four requests at once: kills land mid-fetch,
    mid-parse (in the worker processes, from 16 due sources on) and mid-store."""

    name = "seek"
    env: Mapping[str, str] = MappingProxyType(
        {"PKM_SEEK_CONCURRENCY": "4", "PKM_SEEK_PER_HOST": "4"}
    )

    def __init__(self, feeds: int = 40, slow: float = 0.3) -> None:
        self.feeds = feeds
        self.slow = slow
        self.server: FeedServer | None = None

    def prepare(self, work: Path) -> None:
        self.server = FeedServer().start()
        outlines = []
        for n in range(self.feeds):
            entries = [
                (f"{n}-{k}", f"Feed {n} entry {k}", f"https://example.com/{n}/{k}")
                for k in range(ENTRIES)
            ]
            url = self.server.route(f"/f{n}", rss(*entries), delay=self.slow if n % 3 == 0 else 0.0)
            outlines.append(f'<outline type="rss" text="f{n}" xmlUrl="{url}"/>')
        opml = work / "subs.opml"
        opml.write_text(f'<opml version="2.0"><body>{"".join(outlines)}</body></opml>')
        home = work / "template" / "home"
        _run_ok(pkm_command(home, "seek", "import", str(opml), "-q"), self.env)

    def command(self) -> list[str]:
        return ["seek", "--all", "-q"]

    def facts(self, trial: Path) -> Facts:
        return Facts(
            db_facts(
                trial / "home" / "pkm.db",
                {
                    "items": "SELECT id, guid FROM items",
                    "entries": "SELECT source_id, entry_id, item_id FROM item_sources",
                    "fetches": "SELECT id, source_id FROM fetches",
                    "sources": "SELECT id, url FROM sources",
                },
            )
        )

    def check_done(self, trial: Path) -> list[str]:
        facts = self.facts(trial).sets
        problems = []
        if len(facts["items"]) != self.feeds * ENTRIES:
            problems.append(f"{len(facts['items'])} items, not {self.feeds * ENTRIES}")
        if len(facts["sources"]) != self.feeds:
            problems.append(f"{len(facts['sources'])} sources, not {self.feeds}")
        return problems

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


class FirstRunScenario(Scenario):
    """`pkm seek add` of a few feeds into a home that has no index yet: a kill while the
    index is being created must not leave one the next run cannot use."""

    name = "first run"

    def __init__(self, feeds: int = 4) -> None:
        self.feeds = feeds
        self.server: FeedServer | None = None
        self.urls: list[str] = []

    def prepare(self, work: Path) -> None:
        self.server = FeedServer().start()
        self.urls = [
            self.server.route(f"/f{n}", rss((f"{n}-1", f"Feed {n}"))) for n in range(self.feeds)
        ]
        (work / "template" / "home").mkdir(parents=True)

    def command(self) -> list[str]:
        return ["seek", "add", *self.urls, "-q"]

    def facts(self, trial: Path) -> Facts:
        return Facts(
            db_facts(trial / "home" / "pkm.db", {"sources": "SELECT id, url FROM sources"})
        )

    def check_done(self, trial: Path) -> list[str]:
        found = len(self.facts(trial).sets["sources"])
        return [] if found == self.feeds else [f"{found} sources, not {self.feeds}"]

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


class SynthesizeScenario(Scenario):
    """`pkm sense synthesize --tag kill` gathering `items` items with a highlight and a
    comment each into a new note of the vault, which holds a few notes already."""

    name = "synthesize"
    TITLE = "Gathered under fire"

    def __init__(self, items: int = 1500) -> None:
        self.items = items

    def prepare(self, work: Path) -> None:
        home = work / "template" / "home"
        _fill_items(home, self.items, tag="kill")
        for n in range(5):
            note = home / "notes" / f"existing-{n}.md"
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(f"---\ntitle: Existing {n}\n---\nA note of mine, [[existing-0]].\n")
        _run_ok(pkm_command(home, "sense", "reindex", "-q"), self.env)

    def command(self) -> list[str]:
        return ["sense", "synthesize", "--tag", "kill", "--title", self.TITLE, "--no-edit", "-q"]

    def facts(self, trial: Path) -> Facts:
        home = trial / "home"
        sets = db_facts(
            home / "pkm.db",
            {
                "items": "SELECT id FROM items",
                "annotations": "SELECT id, item_id FROM annotations",
                "indexed notes": "SELECT path FROM notes",
            },
        )
        notes = {
            f"{p}:{_sha(home / 'notes' / p)}" for p in file_facts(home / "notes", suffixes=[".md"])
        }
        return Facts({**sets, "notes": frozenset(notes)})

    def check_done(self, trial: Path) -> list[str]:
        home = trial / "home"
        problems = []
        notes = sorted(p.name for p in (home / "notes").glob("gathered-under-fire*.md"))
        if not notes:
            problems.append("no synthesized note")
        for name in notes:
            text = (home / "notes" / name).read_text(encoding="utf-8")
            if text.count("<!-- pkm:end sources -->") != 1 or "## Synthesis" not in text:
                problems.append(f"{name} is not a whole synthesis")
        # What `pkm sense reindex --check` reports: the index agrees with the files.
        from pkm.core import open_pkm
        from pkm.sense.notes import check_notes

        opened = open_pkm(home, readonly=True)
        try:
            found = check_notes(opened)
        finally:
            opened.close()
        if not found.ok:
            problems.append(f"reindex --check: {found}")
        return problems


class PublishScenario(Scenario):
    """`pkm share publish --week 2026-W05` of `items` starred and highlighted items and a
    few notes into a team folder that is a git work tree (with a teammate's digests already
    in it): kills land while the digest is built, while files are staged and renamed, and
    between writing and committing."""

    name = "publish"

    def __init__(self, items: int = 1500) -> None:
        self.items = items

    def prepare(self, work: Path) -> None:
        home = work / "template" / "home"
        team = work / "template" / "team"
        team.mkdir(parents=True)
        _git(team, "init", "-q", "-b", "main")
        _git(team, "config", "user.name", "Team")
        _git(team, "config", "user.email", "team@example.invalid")
        (team / "README.md").write_text("# Our team folder\n")
        _git(team, "add", "README.md")
        _git(team, "commit", "-q", "-m", "start")
        _fill_items(home, self.items, tag="reading", starred=True)
        for n in range(8):
            note = home / "notes" / f"thought-{n}.md"
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(
                f"---\ntitle: Thought {n}\ncreated: 2026-01-28T12:00:00Z\n---\n"
                f"# Thought {n}\n\n## Synthesis\n\nAn idea worth sharing, number {n}.\n"
            )
        (home / "pkm.toml").write_text('[share]\nfolder = "../team"\nauthor = "Ann"\n')
        # A teammate published first: their files are there, and the kill must not hurt them.
        mate = work / "template" / "mate"
        _fill_items(mate, 20, tag="reading", starred=True)
        (mate / "pkm.toml").write_text('[share]\nfolder = "../team"\nauthor = "Ben"\n')
        _run_ok(pkm_command(mate, "share", "publish", "--week", "2026-W05", "-q"), self.env)

    def command(self) -> list[str]:
        return ["share", "publish", "--week", "2026-W05", "-q"]

    def folders(self, trial: Path) -> list[Path]:
        return [trial / "home" / "notes", trial / "team"]

    def facts(self, trial: Path) -> Facts:
        home, team = trial / "home", trial / "team"
        sets = db_facts(
            home / "pkm.db",
            {
                "items": "SELECT id FROM items",
                "annotations": "SELECT id FROM annotations",
                "publications": "SELECT id, period FROM publications",
            },
        )
        commits = subprocess.run(
            ["git", "log", "--format=%H", "--all"], cwd=team, capture_output=True, text=True
        ).stdout.split()
        suffixes = [".md", ".html", ".json", ".atom"]
        return Facts(
            {**sets, "commits": frozenset(commits)},
            changing={"team files": file_facts(team, suffixes=suffixes)},
        )

    def check_done(self, trial: Path) -> list[str]:
        team = trial / "team"
        problems = []
        for name in ("ann/2026-W05.md", "ann/2026-W05.html", "ann/feed.atom", "ben/2026-W05.md"):
            if not (team / name).is_file():
                problems.append(f"no {name}")
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=team,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        dirty = [line for line in dirty if not line.endswith(".pkm-publish.lock")]
        if dirty:
            problems.append(f"not committed: {dirty[:5]}")
        return problems


class ImportScenario(Scenario):
    """`pkm import kindle` of a clippings file of `books` books with `highlights` highlights
    each, into a home that holds items already: all of it is stored, or none."""

    name = "import"

    def __init__(self, books: int = 150, highlights: int = 12) -> None:
        self.books = books
        self.highlights = highlights

    def prepare(self, work: Path) -> None:
        home = work / "template" / "home"
        _fill_items(home, 50, tag="before")
        clippings = []
        for b in range(self.books):
            for h in range(self.highlights):
                clippings.append(
                    f"Book {b} of the siege (Author {b % 7})\n"
                    f"- Your Highlight on page {h + 1} | Location {10 * h}-{10 * h + 3}"
                    f" | Added on Sunday, March 5, 2023 10:{h:02d}:30 PM\n\n"
                    f"Passage {h} of book {b}: words that survive a kill.\n==========\n"
                )
        (home / "My Clippings.txt").write_text("".join(clippings), encoding="utf-8")

    def command(self) -> list[str]:
        return ["import", "kindle", "home/My Clippings.txt", "-q"]

    def facts(self, trial: Path) -> Facts:
        return Facts(
            db_facts(
                trial / "home" / "pkm.db",
                {
                    "items": "SELECT id, guid FROM items",
                    "annotations": "SELECT id, item_id, exact FROM annotations",
                },
            )
        )

    def check_done(self, trial: Path) -> list[str]:
        found = db_facts(
            trial / "home" / "pkm.db",
            {
                "books": "SELECT id FROM items WHERE guid LIKE 'kindle:%'",
                "highlights": "SELECT a.id FROM annotations a JOIN items i ON i.id = a.item_id"
                " WHERE i.guid LIKE 'kindle:%' AND a.state = 'anchored'",
            },
        )
        problems = []
        if len(found["books"]) != self.books:
            problems.append(f"{len(found['books'])} books of {self.books}")
        if len(found["highlights"]) != self.books * self.highlights:
            problems.append(f"{len(found['highlights'])} anchored highlights")
        return problems


# The scenarios, in the order they run; the test and benchmarks/kills.py take every entry.
SCENARIOS: list[type[Scenario]] = [
    SeekScenario,
    SynthesizeScenario,
    PublishScenario,
    ImportScenario,
]


# --- trials --------------------------------------------------------------------------------------


@dataclass
class Trial:
    delay: float
    killed: bool = False  # the run was still going when the kill came
    integrity: list[str] = field(default_factory=list)
    lost: dict[str, list[str]] = field(default_factory=dict)
    half_written: list[str] = field(default_factory=list)
    temp_files: int = 0  # pkm's temporary files left by the killed run
    next_run: str = ""  # "" when the next run exited 0 and the work was done
    helpers_outlived: int = 0  # helpers still alive 30 s after the kill

    @property
    def ok(self) -> bool:
        return not (
            self.integrity
            or self.lost
            or self.half_written
            or self.next_run
            or self.helpers_outlived
        )

    def problems(self) -> str:
        parts = [
            f"integrity: {self.integrity}" if self.integrity else "",
            f"lost: {self.lost}" if self.lost else "",
            f"half-written: {self.half_written}" if self.half_written else "",
            f"next run: {self.next_run}" if self.next_run else "",
            f"{self.helpers_outlived} helpers outlived it" if self.helpers_outlived else "",
        ]
        return f"delay {self.delay:.3f} s: " + "; ".join(p for p in parts if p)


class Harness:
    """Trials of one scenario under `work` (a folder of the caller's)."""

    def __init__(self, scenario: Scenario, work: Path) -> None:
        self.scenario = scenario
        self.work = work
        self.template = work / "template"
        self.template.mkdir(parents=True, exist_ok=True)
        scenario.prepare(work)
        self._count = 0

    def new_trial_folder(self) -> Path:
        self._count += 1
        trial = self.work / f"trial-{self._count}"
        shutil.copytree(self.template, trial, symlinks=True)
        return trial

    def _start(self, trial: Path) -> "subprocess.Popen[bytes]":
        # stderr to a file, not a pipe: helpers of a killed run may hold a pipe open.
        with open(trial / "stderr.txt", "wb") as stderr:
            return subprocess.Popen(
                pkm_command(trial / "home", *self.scenario.command()),
                env=pkm_env(**self.scenario.env),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=trial,  # relative paths in a command are the trial's
            )

    @staticmethod
    def _stderr(trial: Path) -> str:
        return (trial / "stderr.txt").read_text(errors="replace").strip()

    def measure(self) -> float:
        """Seconds an unkilled run takes on a fresh copy (it must succeed)."""
        trial = self.new_trial_folder()
        started = time.monotonic()
        proc = self._start(trial)
        proc.wait(timeout=300)
        took = time.monotonic() - started
        if proc.returncode != 0:
            raise AssertionError(f"an unkilled {self.scenario.name}: {self._stderr(trial)}")
        problems = self.scenario.check_done(trial)
        if problems:
            raise AssertionError(f"an unkilled {self.scenario.name}: {problems}")
        shutil.rmtree(trial)
        return took

    def kill_at(self, delay: float, *, keep: bool = False) -> Trial:
        """One trial: the command killed `delay` seconds after it started, then checked."""
        return self._trial(lambda proc, trial: time.sleep(delay), delay, keep=keep)

    def kill_when(
        self, ready: Callable[[Path], bool], *, timeout: float = 60.0, keep: bool = False
    ) -> Trial:
        """One trial: the command killed as soon as `ready(trial folder)` is true (polled
        every few milliseconds), to land in a window a random delay rarely hits."""

        def wait(proc: "subprocess.Popen[bytes]", trial: Path) -> None:
            deadline = time.monotonic() + timeout
            while not ready(trial):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{self.scenario.name} ended before the moment came")
                time.sleep(0.002)

        return self._trial(wait, -1.0, keep=keep)

    def _trial(
        self,
        wait: Callable[["subprocess.Popen[bytes]", Path], None],
        delay: float,
        *,
        keep: bool,
    ) -> Trial:
        trial_dir = self.new_trial_folder()
        result = Trial(delay)
        started = time.monotonic()
        proc = self._start(trial_dir)
        wait(proc, trial_dir)
        before = self.scenario.facts(trial_dir)
        helpers = descendants(proc.pid)
        result.killed = proc.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        result.delay = time.monotonic() - started if delay < 0 else delay
        proc.wait(timeout=60)
        result.helpers_outlived = wait_gone(helpers, timeout=30)
        home = trial_dir / "home"
        result.integrity = integrity(home / "pkm.db")
        after = self.scenario.facts(trial_dir)
        result.lost = before.lost(after)
        for folder in self.scenario.folders(trial_dir):
            result.half_written += half_written(folder)
            result.temp_files += len(temp_files(folder))
        result.next_run = self._next_run(trial_dir, after)
        if not keep:
            shutil.rmtree(trial_dir)
        return result

    def _next_run(self, trial: Path, after_kill: Facts) -> str:
        proc = self._start(trial)
        proc.wait(timeout=300)
        if proc.returncode != 0:
            return f"exit {proc.returncode}: {self._stderr(trial)}"
        problems = self.scenario.check_done(trial)
        problems += [f"integrity after: {e}" for e in integrity(trial / "home" / "pkm.db")]
        lost = after_kill.lost(self.scenario.facts(trial))
        if lost:
            problems.append(f"the next run lost {lost}")
        for folder in self.scenario.folders(trial):
            problems += [f"half-written after: {b}" for b in half_written(folder)]
            # The next run cleans up what the killed one left of its temporary files.
            problems += [f"left after the next run: {p.name}" for p in temp_files(folder)]
        return "; ".join(problems)

    def close(self) -> None:
        self.scenario.close()


def spread_delays(n: int, duration: float, seed: int) -> list[float]:
    """`n` kill delays spread over `duration`: one in each n-th of it, at a seeded random
    point, in a seeded random order."""
    rng = random.Random(seed)
    delays = [(i + rng.random()) / n * duration for i in range(n)]
    rng.shuffle(delays)
    return delays


# --- processes -----------------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """All live descendants of `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int], *, timeout: float) -> int:
    """Wait until none of `pids` is alive; how many still are after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return 0
        time.sleep(0.05)
    return sum(alive(p) for p in pids)


# --- building homes ------------------------------------------------------------------------------


def _run_ok(command: list[str], env: Mapping[str, str], accept: Sequence[int] = (0,)) -> None:
    done = subprocess.run(command, env=pkm_env(**env), capture_output=True, text=True, timeout=300)
    if done.returncode not in accept:
        raise AssertionError(f"{command}: exit {done.returncode}: {done.stderr}")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=pkm_env())


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return "gone"


def _fill_items(home: Path, count: int, *, tag: str, starred: bool = False) -> None:
    """`count` items in the index of `home`, each with a highlight and a comment (in the week
    2026-W05), tagged `tag`, starred when asked; one commit (the helpers' transactions nest
    in it as savepoints)."""
    from pkm.core import open_pkm
    from tests.sensedata import add_annotation, add_item

    pkm = open_pkm(home)
    try:
        with pkm.store.transaction():
            for n in range(count):
                text = (
                    f"Paragraph {n} on attention and memory. The key sentence number {n} is here."
                )
                url = f"https://a.example/{home.name}/{n}"
                item = add_item(pkm, f"Article {n}", url=url, text=text, tags=[tag])
                start = text.index("key sentence")
                add_annotation(
                    pkm, item, f"key sentence number {n}", comment=f"Why {n} matters.", start=start
                )
                if starred:
                    pkm.store.db.execute(
                        "UPDATE items SET status = 'starred', status_changed_at = ? WHERE id = ?",
                        ["2026-01-30T10:00:00Z", item],
                    )
    finally:
        pkm.close()
