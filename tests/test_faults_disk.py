"""A full disk and read-only folders: one line, exit 1, nothing committed lost, the
index sound, and the same command succeeding once the disk has room or the folder can be
written again.

The full disk is a real 16 MB tmpfs mounted for the test where the machine allows it, else
simulated (tests/smalldisk.py); each test prints which it ran on (`pytest -s`). Read-only
means what it means to a person: the tests run as root, who ignores permission bits, so
pkm runs with those powers dropped (tests/unprivileged.py), or on a read-only bind mount.
"""

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feeds import rss
from tests.httpserver import FeedServer
from tests.kills import TEMP_FILE_RE, _fill_items
from tests.smalldisk import SmallDisk, small_disk
from tests.unprivileged import unprivileged

pytestmark = pytest.mark.slow

DISK_FULL = "pkm: error: disk full: "


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as d:
        print(f"full disk: {d.kind}")
        yield d


def pkm(home: Path, *args: str, disk: SmallDisk | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PKM_", "GIT_"))}
    env |= {"NO_COLOR": "1", **(disk.env() if disk else {})}
    return subprocess.run(
        [sys.executable, "-m", "pkm", "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def counts(home: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(home / "pkm.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sources", "items", "annotations", "notes", "publications")
        }


def assert_one_line(done: subprocess.CompletedProcess[str], start: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stderr.startswith(start) and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def files(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its hash (the lock file and a filler aside)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("filler", ".pkm-publish.lock")
    }


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if TEMP_FILE_RE.match(p.name)]


# --- a full disk ---------------------------------------------------------------------------------


def big_feed(n: int, entries: int, size: int) -> bytes:
    """Feed `n` with its first entry and `entries` more, each with `size` bytes of text."""
    text = " ".join(f"word{i}" for i in range(size // 8))
    items = "".join(
        f"<item><guid isPermaLink='false'>{n}-{k}</guid><title>Feed {n} entry {k}</title>"
        f"<link>https://example.com/{n}/{k}</link><description>{text}</description></item>"
        for k in range(entries + 1)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Big</title>"
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("room_kb", [0, 256], ids=["full", "nearly-full"])
def test_seek_on_a_full_disk_stops_with_one_line_and_loses_nothing(
    disk: SmallDisk, feed_server: FeedServer, room_kb: int
) -> None:
    home = disk.path / "home"
    urls = [feed_server.route(f"/f{n}", rss((f"{n}-0", f"Feed {n}"))) for n in range(6)]
    assert pkm(home, "seek", "add", *urls, "-q").returncode == 0
    before = counts(home)
    for n in range(6):  # each feed now has 400 kB to store: more than the room left
        feed_server.route(f"/f{n}", big_feed(n, 20, 20_000))
    disk.fill(leave=room_kb * 1024)
    done = pkm(home, "seek", "--all", "-q", disk=disk)
    assert_one_line(done, DISK_FULL)
    assert str(home / "pkm.db") in done.stderr
    disk.free()
    after = counts(home)
    assert after["items"] >= before["items"] and after["sources"] == before["sources"]
    again = pkm(home, "seek", "--all", "-q", disk=disk)
    assert again.returncode == 0, again.stderr
    assert counts(home)["items"] == 6 * 21


def test_synthesize_on_a_full_disk_writes_no_note(disk: SmallDisk) -> None:
    home = disk.path / "home"
    _fill_items(home, 300, tag="t")
    (home / "notes").mkdir()
    (home / "notes" / "mine.md").write_text("---\ntitle: Mine\n---\nMy own words.\n")
    assert pkm(home, "sense", "reindex", "-q").returncode == 0
    before, vault = counts(home), files(home / "notes")
    disk.fill(leave=96 * 1024)  # room for the index's own files, not for the note
    done = pkm(home, "sense", "synthesize", "--tag", "t", "--title", "Full", "--no-edit", disk=disk)
    assert_one_line(done, DISK_FULL)
    assert files(home / "notes") == vault and not temp_files(home / "notes")
    into = pkm(home, "sense", "synthesize", "--tag", "t", "--into", "mine", "--no-edit", disk=disk)
    assert_one_line(into, DISK_FULL)  # merging into a note: the note stays as it was
    assert str(home / "notes" / "mine.md") in into.stderr
    assert files(home / "notes") == vault and not temp_files(home / "notes")
    disk.free()
    assert counts(home) == before
    again = pkm(home, "sense", "synthesize", "--tag", "t", "--title", "Full", "--no-edit")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(home / "notes" / "full.md")


def test_publish_into_a_full_team_folder_changes_no_file(disk: SmallDisk, tmp_path: Path) -> None:
    home, team = tmp_path / "home", disk.path / "team"
    team.mkdir()
    _fill_items(home, 200, tag="t", starred=True)
    week = ("share", "publish", "--to", str(team), "--week", "2026-W05", "-q")
    assert pkm(home, *week).returncode == 0
    _fill_items(home, 200, tag="t", starred=True)  # a bigger digest to publish again
    before = files(team)
    disk.fill()
    done = pkm(home, *week, disk=disk)
    assert_one_line(done, DISK_FULL)
    assert str(team) in done.stderr
    assert files(team) == before and not temp_files(team)
    disk.free()
    again = pkm(home, *week, disk=disk)
    assert again.returncode == 0, again.stderr
    assert files(team) != before
    assert counts(home)["publications"] == 2


def test_a_backup_onto_a_full_disk_leaves_no_archive(disk: SmallDisk, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _fill_items(home, 300, tag="t")
    archive = disk.path / "backup.tar.gz"
    disk.fill()
    done = pkm(home, "backup", str(archive), disk=disk)
    assert_one_line(done, DISK_FULL)
    assert str(archive) in done.stderr
    assert sorted(p.name for p in disk.path.iterdir()) in (["filler"], [".pkm-test-disk-full"])
    disk.free()
    again = pkm(home, "backup", str(archive), "-q", disk=disk)
    assert again.returncode == 0, again.stderr
    assert archive.is_file()


def test_an_index_that_cannot_be_created_on_a_full_disk_leaves_nothing(disk: SmallDisk) -> None:
    home = disk.path / "home"
    home.mkdir()
    disk.fill()
    done = pkm(home, "sense", "mark", "1", "--read", disk=disk)
    assert_one_line(done, DISK_FULL)
    leftovers = [p.name for p in home.iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []  # no empty pkm.db that a later run would take for damage
    disk.free()
    assert pkm(home, "seek", "list", "--json").stdout == "[]\n"


# --- read-only homes and team folders ------------------------------------------------------------


@pytest.fixture(scope="module")
def read_only_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home with items, a highlight, notes and a published week, then made read-only
    (every folder 0o555, every file 0o444)."""
    home = tmp_path_factory.mktemp("ro") / "home"
    _fill_items(home, 5, tag="t", starred=True)
    (home / "notes").mkdir()
    (home / "notes" / "idea.md").write_text("---\ntitle: Idea\n---\nAn idea about key sentences.\n")
    assert pkm(home, "sense", "reindex", "-q").returncode == 0
    modes = {p: p.stat().st_mode for p in [home, *home.rglob("*")]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    yield home
    for p, mode in modes.items():
        p.chmod(mode)


def unprivileged_pkm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PKM_", "GIT_"))}
    return subprocess.run(
        unprivileged([sys.executable, "-m", "pkm", "--home", str(home), *args]),
        env=env | {"NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


READING = [
    ("sense", "inbox", "--all", "--json"),
    ("seek", "list", "--json"),
    ("seek", "export"),
    ("sense", "show", "1", "--no-mark", "--json"),
    ("sense", "annotations", "--json"),
    ("sense", "search", "key", "--json"),
    ("sense", "related", "1", "--json"),
    ("sense", "notes", "--json"),
    ("sense", "note", "show", "idea", "--json"),
    ("sense", "reindex", "--check"),
    ("share", "digest", "--week", "2026-W05", "--format", "json"),
    ("share", "history", "--json"),
    ("config", "show"),
]
WRITING = [
    ("seek", "--all"),
    ("seek", "add", "https://example.com/feed.xml"),
    ("seek", "remove", "1"),
    ("sense", "show", "1"),  # marks the item read
    ("sense", "mark", "1", "--read"),
    ("sense", "tag", "1", "--add", "x"),
    ("sense", "annotate", "1", "--comment", "mine"),
    ("sense", "review", "--json"),
    ("sense", "note", "new", "Another", "--no-edit"),
    ("sense", "synthesize", "1", "--title", "S", "--no-edit"),
    ("sense", "reindex"),
    ("share", "publish", "--to", "/nonexistent", "--week", "2026-W05"),
    ("config", "set", "seek.per_host", "3"),
    ("restore", "/nonexistent.tar.gz"),
]


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_read_only_home_can_be_read(read_only_home: Path, args: tuple[str, ...]) -> None:
    done = unprivileged_pkm(read_only_home, *args)
    assert done.returncode == 0, done.stderr
    if "--json" in args:
        json.loads(done.stdout)


@pytest.mark.parametrize("args", WRITING, ids=" ".join)
def test_a_read_only_home_refuses_writes_in_one_line(
    read_only_home: Path, args: tuple[str, ...]
) -> None:
    before = {p: p.stat().st_mtime_ns for p in read_only_home.rglob("*")}
    done = unprivileged_pkm(read_only_home, *args)
    assert_one_line(done, "pkm: error: ")
    assert "not writable" in done.stderr or "Permission denied" in done.stderr
    assert {p: p.stat().st_mtime_ns for p in read_only_home.rglob("*")} == before


def test_a_read_only_home_can_be_backed_up(read_only_home: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    done = unprivileged_pkm(read_only_home, "backup", str(archive), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["notes"] == 1


def test_a_read_only_team_folder_changes_nothing(tmp_path: Path) -> None:
    home, team = tmp_path / "home", tmp_path / "team"
    team.mkdir()
    _fill_items(home, 20, tag="t", starred=True)
    week = ("share", "publish", "--to", str(team), "--week", "2026-W05")
    assert pkm(home, *week, "-q").returncode == 0
    _fill_items(home, 5, tag="t", starred=True)
    before = files(team)
    folders = [team, *[p for p in team.rglob("*") if p.is_dir()]]
    for d in folders:
        d.chmod(0o555)
    try:
        results = [
            unprivileged_pkm(home, *week),
            unprivileged_pkm(home, "share", "ask", "Who reads Atom?", "--to", str(team)),
        ]
        # Nothing of the team's pages to change: nothing to write, and no error.
        team_pages = unprivileged_pkm(home, "share", "team", "--to", str(team))
    finally:
        for d in folders:
            d.chmod(0o755)
    assert team_pages.returncode == 0, team_pages.stderr
    for done in results:
        assert_one_line(done, "pkm: error: ")
        assert "Permission denied" in done.stderr
    assert files(team) == before and not temp_files(team)
    with contextlib.closing(sqlite3.connect(home / "pkm.db")) as db:
        assert db.execute("SELECT count(*) FROM publications").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == 0
    again = pkm(home, *week, "-q")
    assert again.returncode == 0, again.stderr


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A home, and the same home through a read-only bind mount (EROFS even for root)."""
    home, view = tmp_path / "home", tmp_path / "view"
    _fill_items(home, 5, tag="t")
    view.mkdir()
    try:
        subprocess.run(["mount", "--bind", str(home), str(view)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("this machine does not allow a bind mount")
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(view)], check=True, capture_output=True
        )
        yield home, view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=True)


def test_a_home_on_a_read_only_mount(read_only_mount: tuple[Path, Path]) -> None:
    home, view = read_only_mount
    listed = pkm(view, "sense", "inbox", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 5
    done = pkm(view, "sense", "mark", "1", "--read")
    assert_one_line(done, f"pkm: error: the home folder is not writable: {view}")
    assert counts(home)["items"] == 5
