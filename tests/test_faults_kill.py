"""kill -9 at random moments of `pkm seek`, `pkm sense synthesize` and `pkm share publish`:
the index stays sound, nothing committed is lost, no file is half-written, and the next
run completes (the harness and the scenarios are in tests/kills.py).

A few kills per scenario here; `benchmarks/kills.py` runs a hundred of each and prints the
figures. A failure names its delay; set PKM_KILL_SEED to replay another draw.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.kills import (
    SCENARIOS,
    FirstRunScenario,
    Harness,
    PublishScenario,
    Scenario,
    SeekScenario,
    SynthesizeScenario,
    Trial,
    spread_delays,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

KILLS = 8
SEED = int(os.environ.get("PKM_KILL_SEED", "20261202"))
# Smaller than the benchmark's homes: a run here lasts about a second.
SIZES: dict[str, dict[str, float]] = {
    "seek": {"feeds": 16, "slow": 0.15},
    "synthesize": {"items": 100},
    "publish": {"items": 60},
}


def harness(scenario: Scenario, tmp_path: Path) -> Harness:
    return Harness(scenario, tmp_path / scenario.name)


def assert_survived(trial: Trial) -> None:
    assert trial.killed, "the run had ended before the kill"
    assert trial.ok, trial.problems()


@pytest.mark.parametrize("make", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_killed_at_random_moments(make: type[Scenario], tmp_path: Path) -> None:
    scenario = make(**SIZES.get(make.name, {}))
    kills = harness(scenario, tmp_path)
    try:
        duration = kills.measure()
        trials = [kills.kill_at(d) for d in spread_delays(KILLS, duration, SEED)]
    finally:
        kills.close()
    assert [t.problems() for t in trials if not t.ok] == []
    # The delays are spread over the whole run, so most kills land while it works.
    assert sum(t.killed for t in trials) >= KILLS // 2


def test_a_publish_killed_between_writing_and_committing_is_committed_by_the_next(
    tmp_path: Path,
) -> None:
    kills = harness(PublishScenario(items=50), tmp_path)
    try:
        # The digest's files are renamed into place just before `git add` and `git commit`.
        trial = kills.kill_when(lambda t: (t / "team" / "ann" / "2026-W05.md").exists())
    finally:
        kills.close()
    assert_survived(trial)  # check_done: every file pkm wrote is committed


def test_a_publish_killed_holding_the_folder_lock_does_not_block_the_next(
    tmp_path: Path,
) -> None:
    kills = harness(PublishScenario(items=50), tmp_path)
    try:
        trial = kills.kill_when(lambda t: (t / "team" / ".pkm-publish.lock").exists(), keep=True)
    finally:
        kills.close()
    assert_survived(trial)


def test_the_run_lock_of_a_killed_seek_does_not_block_the_next(tmp_path: Path) -> None:
    kills = harness(SeekScenario(feeds=6), tmp_path)
    try:
        # The lock file stays behind (pkm never deletes it); the OS lock died with the run.
        trial = kills.kill_when(lambda t: (t / "home" / "pkm.lock").exists(), keep=True)
    finally:
        kills.close()
    assert_survived(trial)
    assert (tmp_path / "seek" / "trial-1" / "home" / "pkm.lock").exists()


def test_a_first_run_killed_while_it_creates_the_index(tmp_path: Path) -> None:
    """The new index is made in a temporary file beside it: killed then, the run leaves no
    `pkm.db` (an empty one would be refused as damage), and the next run makes it."""

    def creating(trial: Path) -> bool:
        return any(p.name.startswith(".pkm.db.") for p in (trial / "home").iterdir())

    kills = harness(FirstRunScenario(), tmp_path)
    try:
        trial = kills.kill_when(creating)
    finally:
        kills.close()
    assert_survived(trial)


def test_a_synthesis_killed_before_the_index_knew_of_its_note(tmp_path: Path) -> None:
    """The note is written, the index not yet updated: the next run indexes it and
    `sense reindex --check` finds the index and the files in agreement."""
    kills = harness(SynthesizeScenario(items=200), tmp_path)
    try:
        trial = kills.kill_when(
            lambda t: any((t / "home" / "notes").glob("gathered-under-fire*.md"))
        )
    finally:
        kills.close()
    assert_survived(trial)


def test_the_next_write_removes_the_temporary_files_a_killed_one_left(
    run,
    home: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.kills import _fill_items

    _fill_items(home, 3, tag="t", starred=True)
    (home / "pkm.toml").write_text('[share]\nauthor = "Ann"\n')
    vault, team = home / "notes", tmp_path / "team"
    vault.mkdir()
    (team / "ann").mkdir(parents=True)
    stale = [
        vault / ".gathered.md.k1ll3d_a.tmp",
        vault / ".an-idea-with-a-title-longer-than-forty-c.zz9_0aqx.tmp",
        team / "ann" / ".2026-W05.html.abcd1234.tmp",
        team / ".index.html.efgh5678.tmp",
    ]
    others = [  # not pkm's, or not its temporary files of these names: kept
        vault / ".obsidian.k1ll3d_a.tmp",
        vault / "draft.md.tmp",
        team / "ann" / ".notes.txt.abcd1234.tmp",
    ]
    for p in stale + others:
        p.write_text("half of it")
    run("sense", "synthesize", "1", "--title", "Gathered", "--no-edit", "-q")
    run("share", "publish", "--to", str(team), "--week", "2026-W05", "--no-commit", "-q")
    assert [p.name for p in stale if p.exists()] == []
    assert [p.name for p in others if p.exists()] == [p.name for p in others]
