"""The real entry point in subprocesses: overlapping cron runs, kill -9 and Ctrl-C mid-run."""

import json
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
from tests.kills import alive, descendants
from tests.unprivileged import unprivileged

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
        # Every item is indexed for search or waits in the backlog, never both, never neither.
        indexed = {r[0] for r in db.execute("SELECT rowid / 4 FROM search WHERE rowid % 4 = 0")}
        waiting = {r[0] for r in db.execute("SELECT item_id FROM search_backlog")}
        items = {r[0] for r in db.execute("SELECT id FROM items")}
        assert not indexed & waiting
        assert indexed | waiting == items


def wait_for_progress(home: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while fetched_sources(home) < 3:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


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


def installed_pkm() -> str:
    """The console script, whose sys.path does not start with the current folder."""
    script = Path(sys.executable).parent / "pkm"
    assert script.exists(), "pkm is not installed in this environment (pip install -e .)"
    return str(script)


def test_ctrl_c_to_the_whole_terminal_group_ends_the_run_at_once(slow_feeds: Path) -> None:
    """A terminal's Ctrl-C reaches pkm and its worker processes alike."""
    proc = subprocess.Popen(
        pkm_cmd(slow_feeds, "seek", "-q"),
        env=env(),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for_progress(slow_feeds, proc)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 2.0
    assert (proc.returncode, stderr) == (130, "pkm: interrupted\n")
    assert_consistent(slow_feeds)


def test_a_pkm_folder_in_the_current_directory_does_not_reach_the_workers(
    slow_feeds: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "checkout"
    (elsewhere / "pkm").mkdir(parents=True)
    (elsewhere / "pkm" / "__init__.py").write_text("raise ImportError('the wrong pkm')\n")
    done = subprocess.run(
        [installed_pkm(), "--home", str(slow_feeds), "seek", "-q"],
        env=env(),
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert_consistent(slow_feeds)
    assert fetched_sources(slow_feeds) == FEEDS


def _parse_workers(run_pid: int) -> set[int]:
    """The parse workers of the pkm run `run_pid`: the processes its fork server started."""
    return set().union(*(descendants(child) for child in descendants(run_pid)))


def test_parse_workers_killed_mid_run_cost_no_source(slow_feeds: Path) -> None:
    """A worker killed (the OOM killer, a stray kill) breaks the pool: what was waiting for
    it, and every body after, is parsed in the main process instead."""
    proc = subprocess.Popen(pkm_cmd(slow_feeds, "seek", "-q"), env=env(), stderr=subprocess.PIPE)
    wait_for_progress(slow_feeds, proc)
    deadline = time.monotonic() + 10
    while not (workers := _parse_workers(proc.pid)):
        assert time.monotonic() < deadline, "no parse workers started"
        time.sleep(0.02)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr.decode()) == (0, "")
    assert fetched_sources(slow_feeds) == FEEDS
    assert_consistent(slow_feeds)


def test_the_parse_workers_do_not_run_the_callers_script(slow_feeds: Path, tmp_path: Path) -> None:
    """A script that runs pkm runs once: workers never re-run it as `__mp_main__` (for the
    console script that meant importing the whole CLI in each worker first)."""
    ran = tmp_path / "ran"
    script = tmp_path / "run_seek.py"
    script.write_text(
        f"with open({str(ran)!r}, 'a') as f:\n"
        "    f.write('ran\\n')\n"
        "if __name__ == '__main__':\n"
        "    from pathlib import Path\n"
        "    from pkm.core import open_pkm\n"
        "    from pkm.seek import fetch_due\n"
        f"    report = fetch_due(open_pkm(Path({str(slow_feeds)!r})))\n"
        "    assert not report.failed, report.failed\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], env=env(), capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert ran.read_text() == "ran\n"
    assert fetched_sources(slow_feeds) == FEEDS


def run_pkm(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pkm", *args], capture_output=True, text=True, timeout=60, **kwargs
    )  # type: ignore[call-overload]


@pytest.mark.parametrize("command", [("seek", "list"), ("seek", "export"), ("sense", "inbox")])
def test_reading_a_missing_home_creates_nothing(tmp_path: Path, command: tuple[str, ...]) -> None:
    home = tmp_path / "nonexistent" / "deep" / "x"
    done = run_pkm("--home", str(home), *command)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"pkm: error: no pkm home at {home} (`pkm seek add URL` creates it)\n"
    assert not (tmp_path / "nonexistent").exists()


def test_reading_an_empty_home_creates_no_index(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert run_pkm("--home", str(home), "seek", "list", "--json").stdout == "[]\n"
    assert run_pkm("--home", str(home), "sense", "inbox", "--json").stdout == "[]\n"
    assert "<opml" in run_pkm("--home", str(home), "seek", "export").stdout
    assert list(home.iterdir()) == []


def test_an_empty_or_file_home_is_refused(tmp_path: Path) -> None:
    done = run_pkm("--home", "", "seek", "list")
    assert done.returncode == 2 and "the home folder cannot be empty" in done.stderr
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    done = run_pkm("--home", str(a_file), "seek", "add", "https://example.com/feed")
    assert (done.returncode, done.stderr) == (
        1,
        f"pkm: error: the home folder is a file, not a folder: {a_file}\n",
    )
    assert a_file.read_text() == "mine"


def test_a_read_only_home_can_be_read(feed_server: FeedServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    assert run_pkm("--home", str(home), "seek", "add", url, "-q").returncode == 0
    home.chmod(0o555)
    (home / "pkm.db").chmod(0o444)
    try:
        listed = subprocess.run(
            unprivileged(
                [sys.executable, "-m", "pkm", "--home", str(home), "seek", "list", "--json"]
            ),
            capture_output=True,
            text=True,
        )
        inbox = subprocess.run(
            unprivileged(
                [sys.executable, "-m", "pkm", "--home", str(home), "sense", "inbox", "--json"]
            ),
            capture_output=True,
            text=True,
        )
        written = subprocess.run(
            unprivileged([sys.executable, "-m", "pkm", "--home", str(home), "seek", "--all"]),
            capture_output=True,
            text=True,
        )
    finally:
        home.chmod(0o755)
        (home / "pkm.db").chmod(0o644)
    assert listed.returncode == 0, listed.stderr
    assert [s["url"] for s in json.loads(listed.stdout)] == [url]
    assert len(json.loads(inbox.stdout)) == 2
    assert written.returncode == 1
    assert written.stderr == f"pkm: error: the home folder is not writable: {home}\n"


def test_a_reader_that_goes_away_is_not_an_error(feed_server: FeedServer, tmp_path: Path) -> None:
    """`pkm seek list | true`: the reader exits before pkm writes."""
    home = tmp_path / "home"
    urls = [feed_server.route(f"/{n}", rss((str(n), f"Feed {n}"))) for n in range(30)]
    assert run_pkm("--home", str(home), "seek", "add", *urls, "-q").returncode == 0
    for args in (
        ("seek", "list"),
        ("seek", "list", "--json"),
        ("sense", "inbox"),
        ("seek", "export"),
    ):
        read, write = os.pipe()
        os.close(read)  # nobody will read
        done = subprocess.run(
            [sys.executable, "-m", "pkm", "--home", str(home), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        os.close(write)
        assert (done.returncode, done.stderr) == (0, ""), args


def on_a_terminal(columns: int, *args: str) -> str:
    """What `pkm ARGS` shows on a terminal `columns` wide (a pseudo-terminal), escapes removed."""
    import pty
    import re

    main, secondary = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "pkm", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "COLUMNS": str(columns), "LINES": "200", "TERM": "xterm"},
        timeout=60,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert done.returncode == 0
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode()).replace("\r", "")


def shows_in_order(screen: str, text: str) -> bool:
    words = iter(screen.split())
    return all(any(w == word for w in words) for word in text.split())


@pytest.mark.parametrize("columns", [80, 40])
def test_ids_and_titles_stay_visible_on_a_narrow_terminal(
    feed_server: FeedServer, tmp_path: Path, columns: int
) -> None:
    home = tmp_path / "home"
    long_title = "A rather long title about personal knowledge mastery, feeds and notes"
    urls = [
        feed_server.route(
            f"/miniflux/feeds/{n}/with/a/long/path.xml",
            rss((f"{n}", f"{long_title} {n}"), title=f"The blog of somebody number {n}"),
        )
        for n in range(3)
    ]
    assert run_pkm("--home", str(home), "seek", "add", *urls, "-q").returncode == 0
    inbox = on_a_terminal(columns, "--home", str(home), "sense", "inbox")
    listed = on_a_terminal(columns, "--home", str(home), "seek", "list")
    for screen in (inbox, listed):
        lines = screen.splitlines()
        assert all(len(line.rstrip()) <= columns for line in lines), screen
        for n in range(3):
            assert any(line.split()[:1] == [str(n + 1)] for line in lines if line.strip())
    for n in range(3):  # wrapped, never cut: every word there, in order
        assert shows_in_order(inbox, f"{long_title} {n}"), inbox
        assert shows_in_order(listed, f"The blog of somebody number {n}"), listed
    assert "127.0.0.1" not in inbox  # the source column shows the source's title
    if columns == 80:
        assert "The blog of" in inbox


def test_the_demo_runs_offline_prints_no_escapes_and_cleans_up(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "examples" / "demo.sh"
    environment = {k: v for k, v in os.environ.items() if k not in ("PKM_HOME", "NO_COLOR")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environment["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        ["bash", str(demo)], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert "5 items:" in done.stdout
    assert list(tmp_path.iterdir()) == []  # its home is gone


def test_the_team_demo_closes_the_loop_through_git_offline(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "examples" / "team-demo.sh"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PKM_", "GIT_"))}
    environment.pop("NO_COLOR", None)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environment["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        ["bash", str(demo)], env=environment, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "pkm share: ana" in out and "pkm share: ben" in out  # one commit each
    assert "Shared by ana" in out and "Shared by ben" in out  # in Cai's inbox
    assert "The rhythm we agreed on." in out
    assert list(tmp_path.iterdir()) == []
