"""The run log: every seek, synthesize and publish run is recorded (start, end, counts,
failures) and shown by `pkm log` / `pkm seek log`; what the runs logged goes to a rotated
file in the home."""

import json
import os
import subprocess
from datetime import UTC, timedelta
from pathlib import Path

from pkm.core import Pkm
from pkm.models import RunKind, RunOutcome
from pkm.runlog import list_runs, recorded_run
from pkm.sense.notes import synthesize_note
from pkm.sense.synthesize import Selection
from pkm.share.period import week_period
from pkm.share.publish import publish_digest
from tests.conftest import FIXED_NOW
from tests.feeds import rss
from tests.homes import cli
from tests.httpserver import FeedServer, Reply
from tests.sensedata import add_item


def _runs(run, *args: str):  # type: ignore[no-untyped-def]
    return json.loads(run(*args, "--json").stdout)


def test_a_seek_run_is_recorded_with_its_counts_and_failures(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    good = feed_server.add("/good.xml", Reply(body=rss(("a", "A"), ("b", "B"))))
    bad = feed_server.add("/bad.xml", Reply(body=rss(("c", "C"))))
    run("seek", "add", good, bad, "--quiet")
    feed_server.add("/bad.xml", Reply(status=500))

    run("seek", "--all", "--quiet", code=3)

    [last, *_] = _runs(run, "log")
    assert last["kind"] == "seek"
    assert last["outcome"] == "partial"
    assert last["detail"] == "--all"
    assert last["counts"]["sources"] == 2
    assert last["counts"]["failed"] == 1
    assert [f["what"] for f in last["failures"]] == [bad]
    assert last["seconds"] >= 0
    assert last["ended_at"] is not None


def test_a_run_stopped_by_an_error_is_recorded_as_failed(run) -> None:  # type: ignore[no-untyped-def]
    run("seek", "--only", "nosuch", "--quiet", code=1)
    [last] = _runs(run, "seek", "log")
    assert last["outcome"] == "failed"
    assert last["failures"] == [{"what": "seek", "error": "no such source: nosuch"}]


def test_a_run_that_finds_the_lock_held_leaves_the_index_alone(run, pkm: Pkm) -> None:  # type: ignore[no-untyped-def]
    with pkm.lock():
        run("seek", "--quiet", code=1)
    assert _runs(run, "seek", "log") == []


def test_a_run_that_never_ended_reads_died_once_its_process_is_gone(pkm: Pkm) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    pkm.store.start_run(RunKind.SEEK, FIXED_NOW, "", gone.pid)
    pkm.store.start_run(RunKind.SEEK, FIXED_NOW, "", os.getpid())
    old = FIXED_NOW - timedelta(days=3)
    pkm.store.start_run(RunKind.SEEK, old, "", os.getpid())  # pids are reused

    assert [r.outcome for r in list_runs(pkm)] == [
        RunOutcome.DIED,
        RunOutcome.RUNNING,
        RunOutcome.DIED,
    ]


def test_an_error_and_an_interrupt_end_the_record(pkm: Pkm) -> None:
    from pkm.errors import ConfigError

    try:
        with recorded_run(pkm, RunKind.IMPORT, "x.csv"):
            raise ConfigError("broken file")
    except ConfigError:
        pass
    try:
        with recorded_run(pkm, RunKind.IMPORT, "y.csv"):
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass

    interrupted, failed = list_runs(pkm)
    assert (interrupted.outcome, interrupted.detail) == (RunOutcome.INTERRUPTED, "y.csv")
    assert (failed.outcome, failed.failures[0].error) == (RunOutcome.FAILED, "broken file")


def test_synthesize_and_publish_are_recorded(pkm: Pkm, tmp_path: Path) -> None:
    item = add_item(pkm, "Gardens", url="https://example.com/g", text="On gardens.")
    synthesize_note(pkm, Selection(item_ids=(item,)), title="Gardening")
    team = tmp_path / "team"
    team.mkdir()
    publish_digest(
        pkm, week_period("2026-W05", UTC), folder=team, author="Ann", env=dict(os.environ)
    )
    publish_digest(
        pkm,
        week_period("2026-W05", UTC),
        folder=team,
        author="Ann",
        env=dict(os.environ),
        dry_run=True,
    )

    published, synthesized = list_runs(pkm)  # a dry run is not recorded
    assert synthesized.kind is RunKind.SYNTHESIZE
    assert synthesized.detail == "gardening.md"
    assert synthesized.counts == {"items": 1, "created": 1, "changed": 1}
    assert published.kind is RunKind.PUBLISH
    assert published.detail == f"2026-W05 {team}/ann"
    assert published.counts["changed"] == published.counts["files"] > 0


def test_log_lists_runs_newest_first_and_filters_by_kind(run, pkm: Pkm) -> None:  # type: ignore[no-untyped-def]
    for kind in (RunKind.SEEK, RunKind.PUBLISH, RunKind.SEEK):
        with recorded_run(pkm, kind) as r:
            r.count(new_items=2)

    assert [r["kind"] for r in _runs(run, "log")] == ["seek", "publish", "seek"]
    assert [r["kind"] for r in _runs(run, "log", "--kind", "publish")] == ["publish"]
    assert len(_runs(run, "seek", "log", "--limit", "1")) == 1
    table = run("log").stdout
    assert "publish" in table and "new items 2" in table


def test_the_table_names_failures_and_lists_them_on_request(run, pkm: Pkm) -> None:  # type: ignore[no-untyped-def]
    with recorded_run(pkm, RunKind.SEEK) as r:
        r.fail("https://example.com/feed\x1b]0;x\x07", "HTTP 500")

    assert "1 failed (--failures)" in run("log").stdout
    listed = run("log", "--failures").stdout
    assert "https://example.com/feed]0;x: HTTP 500" in listed
    assert "\x1b" not in listed


def test_runs_write_a_rotated_log_file(run, home: Path, pkm: Pkm) -> None:  # type: ignore[no-untyped-def]
    run("config", "set", "log.file_kb", "1")
    run("config", "set", "log.file_count", "2")
    for _ in range(40):
        run("seek", "--quiet")

    logs = sorted(p.name for p in (home / "logs").iterdir())
    assert logs == ["pkm.log", "pkm.log.1", "pkm.log.2"]
    text = (home / "logs" / "pkm.log").read_text()
    assert "INFO pkm.runlog: seek ok in" in text


def test_the_log_file_does_not_make_a_run_talk(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("seek", "--quiet")
    assert (result.stdout, result.stderr) == ("", "")
    assert "seek started" in (home / "logs" / "pkm.log").read_text()


def test_log_reads_without_writing(run, home: Path, pkm: Pkm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nowhere = tmp_path / "nowhere"
    assert "no pkm home" in cli(nowhere, "log", code=1).stderr
    assert not nowhere.exists()
    assert pkm.store.get_runs() == []  # an index, with no runs
    assert run("log").stderr == "no runs recorded yet\n"
    assert run("log", "--json").stdout == "[]\n"
    assert not (home / "logs").exists()


def test_an_import_is_recorded(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "pocket.csv"
    export.write_text(
        "title,url,time_added,tags,status\n"
        "A page,https://example.com/a,1700000000,x|y,unread\n"
        "Another,https://example.com/b,1700000100,,archive\n"
    )
    run("import", "pocket", str(export), "--quiet")
    run("import", "pocket", str(export), "--dry-run", "--quiet")

    [last] = _runs(run, "log", "--kind", "import")  # a dry run is not recorded
    assert last["outcome"] == "ok"
    assert last["detail"] == f"pocket {export}"
    assert last["counts"] == {
        "added": 2,
        "merged": 0,
        "skipped": 0,
        "annotations": 0,
        "fetched": 0,
    }
