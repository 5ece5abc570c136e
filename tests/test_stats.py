"""`pkm stats` over a real index built through pkm's own services (feeds served from
127.0.0.1, marks, annotations, a note, a publication), with a clock moved week by week."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pkm.config import SeekSettings, Settings
from pkm.core import Pkm
from pkm.models import SUBSCRIPTION_KINDS, SourceHealth, Stats
from pkm.seek import add_sources, fetch_due, save_pages
from pkm.sense import ItemSelection, MarkAction, annotate_item, mark_items, parse_id_refs
from pkm.sense.notes import create_note
from pkm.share.ask import ask_team
from pkm.share.period import recent_weeks, week_period
from pkm.share.publish import publish_digest
from pkm.stats import compute_stats, stale_sources
from tests.conftest import DATA
from tests.feeds import rss
from tests.httpserver import FeedServer, Reply
from tests.test_cli_hostile import EVIL, assert_printable

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # a Monday: 2026-W06 has just begun
WEEKS = ("2026-W03", "2026-W04", "2026-W05", "2026-W06")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(clock: Clock, when: str) -> None:
    clock.now = datetime.fromisoformat(when).replace(tzinfo=UTC)


def ids(pkm: Pkm) -> dict[str, int]:
    return {item.title or "": item.id for item in pkm.store.get_items(statuses=())}


def mark(pkm: Pkm, item_id: int, action: MarkAction) -> None:
    mark_items(pkm, ItemSelection(ids=parse_id_refs([str(item_id)])), action)


def subscribe(pkm: Pkm, url: str) -> None:
    [result] = add_sources(pkm, [url])
    assert result.error is None, result.error


def build(home: Path, server: FeedServer, team: Path) -> Pkm:
    """Four weeks of a person's flow, ending at NOW (UTC):

    - 2025-11-03: subscribes to Quiet (one post), which never posts again: stale.
    - W03: subscribes to Alpha (a1, a2) and Flaky (f1): 3 sought.
    - W04: Alpha posts a3, a4 (2 sought); a1 and a2 are read; Flaky starts failing.
    - W05: subscribes to Beta (b1); a3 read, a1 starred (so it is read in W05 now, not
      W04), a4 archived; a highlight and a comment; a note; Flaky fails again.
    - W06: the W05 digest published twice (one digest, two runs), a page saved, a
      question asked.
    """
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text('[share]\nauthor = "Ann"\n')
    clock = Clock(NOW)
    settings = Settings.load(home / "pkm.toml", {})
    settings = Settings(seek=SeekSettings(jitter_minutes=0), share=settings.share)
    pkm = Pkm(home, settings, clock=clock)
    quiet = server.route("/quiet.xml", rss(("q1", "Old news"), title="Quiet"))
    alpha = server.route("/alpha.xml", rss(("a1", "A1"), ("a2", "A2"), title="Alpha"))
    flaky = server.route("/flaky.xml", rss(("f1", "F1"), title="Flaky"))
    beta = server.route("/beta.xml", rss(("b1", "B1"), title="Beta"))
    page = server.serve_file("/article.html", DATA / "pages/article.html")

    at(clock, "2025-11-03T10:00")
    subscribe(pkm, quiet)
    at(clock, "2026-01-13T10:00")
    subscribe(pkm, alpha)
    subscribe(pkm, flaky)

    at(clock, "2026-01-20T10:00")
    server.route(
        "/alpha.xml", rss(("a1", "A1"), ("a2", "A2"), ("a3", "A3"), ("a4", "A4"), title="Alpha")
    )
    server.add("/flaky.xml", Reply(500, body=b"down"))
    fetch_due(pkm, force=True)
    item = ids(pkm)
    mark(pkm, item["A1"], MarkAction.READ)
    mark(pkm, item["A2"], MarkAction.READ)

    at(clock, "2026-01-27T10:00")
    subscribe(pkm, beta)
    mark(pkm, item["A3"], MarkAction.READ)
    mark(pkm, item["A1"], MarkAction.STAR)
    mark(pkm, item["A4"], MarkAction.ARCHIVE)
    annotate_item(pkm, item["A2"], highlight="Text of A2", comment="Worth it.")
    annotate_item(pkm, item["A3"], comment="Read again.")
    create_note(pkm, "Thinking about A")
    fetch_due(pkm, force=True)

    at(clock, "2026-02-02T08:00")
    w05 = week_period("2026-W05", UTC)
    env = dict(os.environ)
    publish_digest(pkm, w05, folder=team, env=env, commit=False)
    publish_digest(pkm, w05, folder=team, env=env, commit=False)
    [saved] = save_pages(pkm, [page])
    assert saved.error is None, saved.error
    ask_team(pkm, "Who reads Alpha?", folder=team, env=env, commit=False)
    clock.now = NOW
    return pkm


@pytest.fixture
def team(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    return folder


@pytest.fixture
def built(home: Path, feed_server: FeedServer, team: Path) -> Iterator[Pkm]:
    pkm = build(home, feed_server, team)
    yield pkm
    pkm.close()


@pytest.fixture
def at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's clock (the wall clock, read in one place) stopped at NOW, in UTC."""
    monkeypatch.setattr("pkm.core.utc_now", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")


def weekly(stats: Stats, figure: str) -> list[int]:
    return [getattr(w, figure) for w in stats.weeks]


# --- the figures -----------------------------------------------------------------------------


def test_weekly_figures_follow_what_happened(built: Pkm) -> None:
    stats = compute_stats(built, weeks=4, tz=UTC)
    assert [w.week for w in stats.weeks] == list(WEEKS)
    assert [w.in_progress for w in stats.weeks] == [False, False, False, True]
    assert weekly(stats, "sought") == [3, 2, 1, 0]
    assert weekly(stats, "saved") == [0, 0, 0, 1]
    # A1, read in W04 and starred in W05, counts where its latest change is.
    assert weekly(stats, "read") == [0, 1, 2, 0]
    assert weekly(stats, "starred") == [0, 0, 1, 0]
    assert weekly(stats, "annotated") == [0, 0, 2, 0]
    assert weekly(stats, "notes") == [0, 0, 1, 0]
    assert weekly(stats, "digests") == [0, 0, 0, 1]
    assert weekly(stats, "questions") == [0, 0, 0, 1]
    assert weekly(stats, "answers") == [0, 0, 0, 0]
    assert stats.weeks[0].start == datetime(2026, 1, 12, tzinfo=UTC)
    assert stats.weeks[-1].end == datetime(2026, 2, 9, tzinfo=UTC)


def test_totals_count_the_whole_index(built: Pkm) -> None:
    t = compute_stats(built, weeks=1, tz=UTC).totals
    # Quiet's post, Alpha's four, Flaky's and Beta's one each, and the saved page.
    assert (t.items.unread, t.items.read, t.items.starred, t.items.archived) == (4, 2, 1, 1)
    assert t.items.deleted == 0
    assert (t.saved_pages, t.sources) == (1, 4)
    assert (t.annotations, t.annotations_orphaned, t.teammate_annotations) == (2, 0, 0)
    assert (t.notes, t.notes_broken) == (1, 0)
    assert (t.digests, t.publications) == (1, 2)
    assert (t.questions, t.answers) == (1, 0)


def test_teammates_orphans_broken_notes_and_deletions(built: Pkm) -> None:
    """A teammate's highlight is not the person's work; an orphan is still theirs; a note
    whose frontmatter cannot be read counts by its file's time; a deleted item is no
    longer read."""
    from pkm.sense.notes import sync_notes

    store = built.store
    with store.transaction():
        first, second = (r[0] for r in store.db.execute("SELECT id FROM annotations ORDER BY id"))
        store.db.execute("UPDATE annotations SET shared_by = 'Ben' WHERE id = ?", [first])
        store.db.execute("UPDATE annotations SET state = 'orphaned' WHERE id = ?", [second])
    bad = built.vault / "bad.md"
    bad.write_text("---\ntitle: [oops\n---\nbody\n")
    monday_w04 = datetime(2026, 1, 19, 12, tzinfo=UTC).timestamp()
    os.utime(bad, (monday_w04, monday_w04))
    sync_notes(built)
    mark(built, ids(built)["A3"], MarkAction.DELETE)
    stats = compute_stats(built, weeks=4, tz=UTC)
    assert weekly(stats, "annotated") == [0, 0, 1, 0]
    assert weekly(stats, "notes") == [0, 1, 1, 0]
    assert weekly(stats, "read") == [0, 1, 1, 0]
    t = stats.totals
    assert (t.annotations, t.annotations_orphaned, t.teammate_annotations) == (1, 1, 1)
    assert (t.notes, t.notes_broken) == (2, 1)
    assert (t.items.read, t.items.deleted) == (1, 1)


def test_busiest_failing_and_stale_sources(built: Pkm) -> None:
    stats = compute_stats(built, weeks=4, tz=UTC)
    assert [(b.title, b.items) for b in stats.busiest_sources] == [
        ("Alpha", 4),
        ("Beta", 1),
        ("Flaky", 1),
    ]
    [flaky] = stats.failing_sources
    assert (flaky.title, flaky.error_count) == ("Flaky", 2)
    assert flaky.health is SourceHealth.FAILING
    assert flaky.failing_since == datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    assert flaky.last_error and "500" in flaky.last_error
    [quiet] = stats.stale_sources
    assert quiet.title == "Quiet"
    assert quiet.last_new_at == datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
    assert quiet.quiet_days == 90
    assert stats.stale_after_days == 60
    # The busiest of one week: only Beta's arrival was in W05.
    one_week = compute_stats(built, weeks=1, tz=UTC)
    assert one_week.busiest_sources == ()


def test_a_source_that_never_brought_anything_is_stale_from_when_it_was_added(
    built: Pkm,
) -> None:
    sources = built.store.get_sources(kinds=SUBSCRIPTION_KINDS)
    arrivals = built.store.get_source_activity(NOW - timedelta(days=7), NOW)
    later = NOW + timedelta(days=60)
    stale = {s.title: s for s in stale_sources(sources, arrivals, later)}
    assert set(stale) == {"Quiet", "Alpha", "Beta"}  # Flaky fails: listed as failing
    with built.store.transaction():
        built.store.db.execute("DELETE FROM item_sources WHERE source_id = 4")  # Beta
    arrivals = built.store.get_source_activity(NOW, NOW)
    beta = next(s for s in stale_sources(sources, arrivals, later) if s.title == "Beta")
    assert (beta.last_new_at, beta.quiet_days) == (None, 65)  # added 2026-01-27T10:00


def test_weeks_are_local_iso_weeks(built: Pkm) -> None:
    """In Auckland (UTC+13 in summer) the W04 Monday 10:00 UTC is already Monday evening,
    but 2026-01-25T12:00 UTC is Monday 01:00 of W05."""
    auckland = ZoneInfo("Pacific/Auckland")
    with built.store.transaction():
        built.store.db.execute(
            "UPDATE items SET first_seen_at = '2026-01-25T12:00:00Z' WHERE title = 'A4'"
        )
    utc = compute_stats(built, weeks=4, tz=UTC)
    local = compute_stats(built, weeks=4, tz=auckland)
    assert local.timezone == "Pacific/Auckland"
    assert local.weeks[0].start == datetime(2026, 1, 11, 11, 0, tzinfo=UTC)
    assert weekly(utc, "sought") == [3, 2, 1, 0]
    assert weekly(local, "sought") == [3, 1, 2, 0]


def test_recent_weeks_cross_a_year_and_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    weeks = recent_weeks(datetime(2026, 3, 30, 12, tzinfo=UTC), 15, berlin)
    assert weeks[0].label == "2025-W52" and weeks[-1].label == "2026-W14"
    assert [b.start for b in weeks[1:]] == [a.end for a in weeks[:-1]]
    assert weeks[-2].end - weeks[-2].start == timedelta(hours=167)  # clocks went forward
    # Sunday 23:30 UTC is Monday 01:30 in Berlin: the new week has begun there.
    [monday] = recent_weeks(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), 1, berlin)
    assert monday.label == "2026-W14"
    assert monday.start == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_an_empty_or_missing_index_gives_zeros(home: Path) -> None:
    from pkm.core import open_pkm

    home.mkdir()
    pkm = open_pkm(home, now=NOW, readonly=True)
    try:
        stats = compute_stats(pkm, weeks=3, tz=UTC)
    finally:
        pkm.close()
    assert len(stats.weeks) == 3
    assert all(w.sought == w.read == w.annotated == w.notes == 0 for w in stats.weeks)
    assert stats.totals.items.unread == stats.totals.sources == stats.totals.notes == 0
    assert stats.busiest_sources == stats.failing_sources == stats.stale_sources == ()
    assert stats.notes_index_current
    assert list(home.iterdir()) == []  # nothing was created


def test_notes_edited_since_the_index_read_them_are_flagged(built: Pkm) -> None:
    assert compute_stats(built, weeks=1, tz=UTC).notes_index_current
    (built.vault / "new.md").write_text("# New\n")
    assert not compute_stats(built, weeks=1, tz=UTC).notes_index_current


# --- the command -----------------------------------------------------------------------------


def test_json_carries_every_figure_under_stable_names(built: Pkm, run, at_now: None) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("stats", "--weeks", "4", "--json").stdout)
    assert set(data) == {
        "generated_at",
        "timezone",
        "weeks",
        "totals",
        "busiest_sources",
        "failing_sources",
        "stale_sources",
        "stale_after_days",
        "notes_index_current",
    }
    assert (data["generated_at"], data["timezone"]) == ("2026-02-02T09:00:00Z", "UTC")
    assert data["weeks"][2] == {
        "week": "2026-W05",
        "start": "2026-01-26T00:00:00Z",
        "end": "2026-02-02T00:00:00Z",
        "sought": 1,
        "saved": 0,
        "read": 2,
        "starred": 1,
        "annotated": 2,
        "notes": 1,
        "digests": 0,
        "questions": 0,
        "answers": 0,
        "in_progress": False,
    }
    assert data["totals"]["items"] == {
        "unread": 4,
        "read": 2,
        "starred": 1,
        "archived": 1,
        "deleted": 0,
    }
    assert set(data["totals"]) == {
        "items",
        "saved_pages",
        "sources",
        "annotations",
        "annotations_orphaned",
        "teammate_annotations",
        "notes",
        "notes_broken",
        "digests",
        "publications",
        "questions",
        "answers",
    }
    assert data["busiest_sources"][0] == {
        "id": 2,
        "url": data["busiest_sources"][0]["url"],
        "title": "Alpha",
        "items": 4,
    }
    [failing] = data["failing_sources"]
    assert set(failing) == {
        "id",
        "url",
        "title",
        "health",
        "error_count",
        "last_error",
        "failing_since",
        "last_fetched_at",
    }
    assert (failing["health"], failing["failing_since"]) == ("failing", "2026-01-20T10:00:00Z")
    [stale] = data["stale_sources"]
    assert stale == {
        "id": 1,
        "url": stale["url"],
        "title": "Quiet",
        "last_new_at": "2025-11-03T10:00:00Z",
        "quiet_days": 90,
    }


@pytest.mark.parametrize("columns", [80, 40])
def test_the_view_fits_the_terminal(
    built: Pkm, run, at_now: None, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(columns))
    out = run("stats", "--weeks", "4").stdout
    lines = out.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns, out
    assert lines[0] == "Knowledge flow, 2026-W03 to 2026-W06"
    trend = {line.split()[0]: line.split()[1:] for line in lines[1:5]}
    assert trend == {
        "sought": ["█▆▃·", "6"],  # the page saved in W06 is not
        "read": ["·▄█·", "3"],
        "annotated": ["··█·", "2"],
        "notes": ["··█·", "1"],
    }
    [header] = [line.split() for line in lines if line.startswith("week ")]
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("2026-W0")}
    if columns == 80:
        assert header[1:] == ["sought", "saved", "read", "starred", "annotated", "notes", "digests"]
        assert rows["2026-W05"] == ["1", "0", "2", "1", "2", "1", "0"]
        assert rows["2026-W06*"] == ["0", "1", "0", "0", "0", "0", "1"]
    else:  # the main figures stay, whole; the others are left out
        assert header[1:] == ["sought", "read", "annotated", "notes"]
        assert rows["2026-W05"] == ["1", "2", "2", "1"]
    assert "* so far. ISO weeks in UTC." in out
    for word in ("Alpha", "Flaky", "Quiet", "2026-01-20", "2025-11-03", "Totals"):
        assert word in out, word
    assert "\x1b" not in out  # NO_COLOR (set for every test), and piped


def test_many_weeks_at_40_columns_show_the_latest_in_the_chart(
    built: Pkm, run, at_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "40")
    out = run("stats", "--weeks", "52").stdout
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 40, out
    [spark, total] = next(line for line in out.splitlines() if line.startswith("sought")).split()[
        1:
    ]
    assert spark.endswith("█▆▃·") and 4 < len(spark) < 52
    assert total == "7"  # Quiet's post of November is in these weeks


def test_color_only_on_request(
    built: Pkm, run, at_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Piped, nothing but text; forced, colour (the sparklines are cyan), unless NO_COLOR,
    which leaves bold and dim (no-color.org: NO_COLOR is about colour)."""
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b" not in run("stats").stdout
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[36m" in run("stats").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert re.search("\x1b\\[[0-9;]*3[0-9]m", run("stats").stdout) is None


def test_titles_and_errors_are_printed_without_controls(
    run, feed_server: FeedServer, at_now: None
) -> None:  # type: ignore[no-untyped-def]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": EVIL,
        "items": [{"id": "1", "url": "https://example.com/1", "title": EVIL}],
    }
    url = feed_server.route(
        "/evil.json", json.dumps(feed).encode(), content_type="application/feed+json"
    )
    run("seek", "add", url)
    feed_server.add("/evil.json", Reply(500, body=EVIL.encode()))
    run("seek", "--all", code=3)
    out = run("stats").stdout
    assert_printable(out)
    assert "AB" in out.replace("]0;OWNED", "").replace("[2J", "")
    # Stored clean, but printed defensively all the same.
    from pkm.core import open_pkm

    pkm = open_pkm(Path(os.environ["PKM_HOME"]))
    with pkm.store.transaction():
        pkm.store.db.execute("UPDATE sources SET title = ?, last_error = ?", [EVIL, EVIL])
    pkm.close()
    out = run("stats").stdout
    assert_printable(out)
    assert "\x1b" not in run("stats", "--json").stdout


def test_a_home_without_an_index_shows_zeros_and_creates_nothing(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    home.mkdir()
    data = json.loads(run("stats", "--json").stdout)
    assert data["totals"]["items"] == dict.fromkeys(
        ("unread", "read", "starred", "archived", "deleted"), 0
    )
    assert all(w["sought"] == w["read"] == 0 for w in data["weeks"])
    assert len(data["weeks"]) == 8
    out = run("stats").stdout
    assert "nothing came in" in out and "items       0:" in out
    assert list(home.iterdir()) == []


def test_weeks_out_of_range_are_a_usage_error(run) -> None:  # type: ignore[no-untyped-def]
    for bad in ("0", "521", "x"):
        result = run("stats", "--weeks", bad, code=2)
        assert "--weeks" in result.stderr


def test_a_home_that_does_not_exist_is_an_error(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("stats", code=1)
    assert result.stderr.startswith("pkm: error: no pkm home at")
    assert not home.exists()


def test_a_read_only_home_is_read_and_left_as_it_was(built: Pkm, home: Path) -> None:
    from tests.unprivileged import unprivileged

    built.close()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in home.iterdir())
    home.chmod(0o555)
    (home / "pkm.db").chmod(0o444)
    try:
        done = subprocess.run(
            unprivileged([sys.executable, "-m", "pkm", "--home", str(home), "stats", "--json"]),
            capture_output=True,
            text=True,
            env={**os.environ, "TZ": "UTC"},
        )
    finally:
        home.chmod(0o755)
        (home / "pkm.db").chmod(0o644)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    assert data["totals"]["sources"] == 4
    assert sorted((p.name, p.stat().st_mtime_ns) for p in home.iterdir()) == before
