"""The real entry point in subprocesses: overlapping cron runs, kill -9 and Ctrl-C mid-run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.feeds import rss
from tests.httpserver import FeedServer

FEEDS = 24


def pkm_cmd(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pkm", "--home", str(home), *args]


def env() -> dict[str, str]:
    return {**os.environ, "PKM_SEEK_CONCURRENCY": "4", "PKM_SEEK_PER_HOST": "4"}


@pytest.fixture
def slow_feeds(feed_server: FeedServer, home: Path, tmp_path: Path) -> Path:
    """FEEDS subscribed feeds that each take 0.5 s to answer: a run lasts about 3 s."""
    outlines = []
    for n in range(FEEDS):
        entries = [
            (f"{n}-{k}", f"Feed {n} entry {k}", f"https://example.com/{n}/{k}") for k in range(5)
        ]
        url = feed_server.route(f"/f{n}", rss(*entries), delay=0.5)
        outlines.append(f'<outline type="rss" text="f{n}" xmlUrl="{url}"/>')
    opml = tmp_path / "subs.opml"
    opml.write_text(f'<opml version="2.0"><body>{"".join(outlines)}</body></opml>')
    subprocess.run(pkm_cmd(home, "seek", "import", str(opml), "-q"), env=env(), check=True)
    return home


def fetched_sources(home: Path) -> int:
    try:
        with sqlite3.connect(home / "pkm.db", timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM fetches").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def assert_consistent(home: Path) -> None:
    with sqlite3.connect(home / "pkm.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Each source is all or nothing: fetched sources have all 5 items, others none.
        rows = db.execute(
            "SELECT s.last_fetched_at IS NOT NULL, count(x.item_id) FROM sources s"
            " LEFT JOIN item_sources x ON x.source_id = s.id GROUP BY s.id"
        ).fetchall()
        for fetched, items in rows:
            assert items == (5 if fetched else 0)
        fts = db.execute("SELECT count(*) FROM items_fts").fetchone()[0]
        assert fts == db.execute("SELECT count(*) FROM items").fetchone()[0]


def wait_for_progress(home: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while fetched_sources(home) < 3:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


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


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pkm", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("pkm ")


def test_overlapping_run_is_refused(slow_feeds: Path) -> None:
    first = subprocess.Popen(pkm_cmd(slow_feeds, "seek", "-q"), env=env())
    try:
        wait_for_progress(slow_feeds, first)
        second = subprocess.run(
            pkm_cmd(slow_feeds, "seek"), env=env(), capture_output=True, text=True
        )
        assert second.returncode == 1
        assert second.stderr.startswith("pkm: error: another pkm run is in progress")
        assert "Traceback" not in second.stderr
    finally:
        assert first.wait(timeout=30) == 0


def test_kill_mid_run_leaves_a_consistent_database_and_the_next_run_carries_on(
    slow_feeds: Path,
) -> None:
    proc = subprocess.Popen(pkm_cmd(slow_feeds, "seek", "-q"), env=env())
    wait_for_progress(slow_feeds, proc)
    helpers = descendants(proc.pid)  # the parsing worker processes and their fork server
    assert helpers
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers):
        assert time.monotonic() < deadline, "worker processes outlived a killed run"
        time.sleep(0.1)
    assert_consistent(slow_feeds)
    assert fetched_sources(slow_feeds) < FEEDS
    again = subprocess.run(
        pkm_cmd(slow_feeds, "seek", "-q"), env=env(), capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert_consistent(slow_feeds)
    with sqlite3.connect(slow_feeds / "pkm.db") as db:
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == FEEDS * 5


def test_ctrl_c_exits_130_with_nothing_half_written(slow_feeds: Path) -> None:
    proc = subprocess.Popen(
        pkm_cmd(slow_feeds, "seek", "-q"), env=env(), stderr=subprocess.PIPE, text=True
    )
    wait_for_progress(slow_feeds, proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert_consistent(slow_feeds)
