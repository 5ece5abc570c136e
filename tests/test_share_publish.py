"""Publishing to a team folder: the layout, byte-identical republishing, atomic writes,
feeds that move only on change, privacy, unusable folders, concurrent publishers, the team
page and history."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser
import pytest

from pkm._util.text import author_slug
from pkm.core import Pkm, open_pkm
from pkm.errors import InvalidInputError, PublishError
from pkm.share import folder as folder_module
from pkm.share.period import week_period
from pkm.share.publish import publish_digest
from tests.conftest import FIXED_NOW
from tests.sensedata import add_annotation, add_item, write
from tests.unprivileged import unprivileged

W05 = week_period("2026-W05", __import__("datetime").UTC)
ROOT = Path(__file__).resolve().parents[1]


def sql(pkm: Pkm, statement: str, *params: Any) -> None:
    with pkm.store.transaction():
        pkm.store.db.execute(statement, list(params))


def note(pkm: Pkm, path: str, title: str, body: str, **meta: Any) -> None:
    lines = [f"title: {title}", "created: 2026-01-28T12:00:00Z"]
    lines += [f"{k}: {json.dumps(v)}" for k, v in meta.items()]
    write(pkm.vault, path, "---\n" + "\n".join(lines) + "\n---\n" + body)


def fill_week(pkm: Pkm) -> dict[str, int]:
    a = add_item(pkm, "Attention is all you need", url="https://a.example/1", text="alpha beta")
    h1 = add_annotation(pkm, a, "alpha", comment="The key idea.", tags=["ml"], start=0)
    add_annotation(pkm, a, None, comment="Read again.")
    b = add_item(pkm, "Starred <script>alert(1)</script>", url="https://b.example/2")
    sql(pkm, "UPDATE items SET status = 'starred', status_changed_at = ? WHERE id = ?",
        "2026-01-28T10:00:00Z", b)  # fmt: skip
    note(
        pkm,
        "thinking.md",
        "On attention",
        "# On attention\n\n## Synthesis\n\nAttention *scales*. See [[other]].\n",
        tags=["ml"],
        sources=[{"item_id": a}],
    )
    return {"a": a, "b": b, "h1": h1}


@pytest.fixture
def team(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    return folder


def publish(pkm: Pkm, folder: Path, author: str = "Ann", **kwargs: Any) -> Any:
    return publish_digest(pkm, W05, folder=folder, author=author, env=dict(os.environ), **kwargs)


def hashes(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".pkm-publish.lock"
    }


def entry_times(path: Path) -> dict[str, str]:
    parsed = feedparser.parse(path.read_bytes())
    return {e.id: e.updated for e in parsed.entries}


AUTHOR_FILES = [
    "ann/2026-W05.md",
    "ann/2026-W05.html",
    "ann/2026-W05.json",
    "ann/feed.atom",
    "ann/index.md",
    "ann/index.html",
    "ann/shared.atom",
    "index.md",
    "index.html",
    "feed.atom",
]


def test_publish_writes_the_team_folder_layout(pkm: Pkm, team: Path) -> None:
    fill_week(pkm)
    result = publish(pkm, team)
    assert sorted(result.files) == sorted(AUTHOR_FILES)
    assert sorted(result.changed) == sorted(AUTHOR_FILES)
    for name in AUTHOR_FILES:
        assert (team / name).is_file(), name
    for feed in ("ann/feed.atom", "ann/shared.atom", "feed.atom"):
        parsed = feedparser.parse((team / feed).read_bytes())
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert parsed.entries, feed
    digests = feedparser.parse((team / "ann/feed.atom").read_bytes())
    assert digests.entries[0].id == "tag:pkm,2026:ann/digest/2026-W05"
    assert "Attention" in digests.entries[0].content[0].value
    assert "<script" not in digests.entries[0].content[0].value
    shared = feedparser.parse((team / "ann/shared.atom").read_bytes())
    ids = {e.id for e in shared.entries}
    assert "tag:pkm,2026:ann/note/thinking.md" in ids
    assert any(i.startswith("tag:pkm,2026:ann/item/") for i in ids)
    assert "ann/index.html" in (team / "index.html").read_text()
    assert not list(team.rglob("*.tmp"))


def test_republishing_with_nothing_changed_touches_no_file(pkm: Pkm, team: Path) -> None:
    fill_week(pkm)
    publish(pkm, team)
    before = hashes(team)
    again = publish(pkm, team)
    assert again.changed == ()
    assert hashes(team) == before  # same bytes, and not even rewritten (same mtimes)


def test_updated_moves_only_when_content_changes(pkm: Pkm, team: Path) -> None:
    ids = fill_week(pkm)
    publish(pkm, team)
    shared_before = entry_times(team / "ann/shared.atom")
    digest_before = entry_times(team / "ann/feed.atom")
    # An edit of one highlight moves its item's entry (and the digest's), nothing else.
    sql(pkm, "UPDATE annotations SET comment = 'Changed.', updated_at = ? WHERE id = ?",
        "2026-01-31T10:00:00Z", ids["h1"])  # fmt: skip
    result = publish(pkm, team)
    assert "ann/shared.atom" in result.changed
    shared_after = entry_times(team / "ann/shared.atom")
    item_a = f"tag:pkm,2026:ann/item/{ids['a']}"
    assert shared_after[item_a] > shared_before[item_a]
    assert {k: v for k, v in shared_after.items() if k != item_a} == {
        k: v for k, v in shared_before.items() if k != item_a
    }
    assert entry_times(team / "ann/feed.atom") != digest_before
    # A highlight deleted: the content changed but no time in the data moved; the entry's
    # `updated` still moves (one second past what it was).
    before = entry_times(team / "ann/shared.atom")[item_a]
    sql(pkm, "DELETE FROM annotations WHERE id = ?", ids["h1"])
    publish(pkm, team)
    assert entry_times(team / "ann/shared.atom")[item_a] > before


def test_a_failure_midway_leaves_the_old_files(
    pkm: Pkm, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = fill_week(pkm)
    publish(pkm, team)
    before = hashes(team)
    sql(pkm, "UPDATE annotations SET comment = 'New.', updated_at = ? WHERE id = ?",
        "2026-01-31T10:00:00Z", ids["h1"])  # fmt: skip
    real_stage = folder_module._stage
    calls = []

    def failing_stage(f: Any) -> Path:
        calls.append(f)
        if len(calls) == 3:
            raise PublishError("cannot write: No space left on device")
        return real_stage(f)

    monkeypatch.setattr(folder_module, "_stage", failing_stage)
    with pytest.raises(PublishError):
        publish(pkm, team)
    assert len(calls) == 3
    assert hashes(team) == before
    assert not [p for p in team.rglob("*") if p.name.endswith(".tmp")]


def test_nothing_private_in_any_file(pkm: Pkm, team: Path) -> None:
    secret = add_item(pkm, "SECRET-ITEM", url="https://s.example/1", tags=["Private"])
    add_annotation(pkm, secret, "SECRET-QUOTE-1")
    sql(pkm, "UPDATE items SET status = 'starred', status_changed_at = ? WHERE id = ?",
        "2026-01-28T10:00:00Z", secret)  # fmt: skip
    sourced = add_item(
        pkm, "SECRET-SOURCED", url="https://s.example/2", source="https://secret.example/feed"
    )
    add_annotation(pkm, sourced, "SECRET-QUOTE-2")
    with pkm.store.transaction():
        (tag_id,) = pkm.store._tag_ids(["private"])
        pkm.store.db.execute(
            "INSERT INTO source_tags (source_id, tag_id) SELECT id, ? FROM sources WHERE url = ?",
            [tag_id, "https://secret.example/feed"],
        )
    public = add_item(pkm, "Public", url="https://p.example/1")
    add_annotation(pkm, public, "public quote")
    add_annotation(pkm, public, "SECRET-QUOTE-3", tags=["private"])
    theirs = add_annotation(pkm, public, "SECRET-THEIRS")
    sql(pkm, "UPDATE annotations SET shared_by = 'bob' WHERE id = ?", theirs)
    note(pkm, "hidden.md", "SECRET-NOTE", "# SECRET-NOTE\n\nSECRET-TEXT\n", tags=["private"])
    note(pkm, "inline.md", "SECRET-INLINE", "# SECRET-INLINE\n\nhush #private\n")
    note(
        pkm,
        "public.md",
        "Public note",
        "## Synthesis\n\nMine. [[hidden]] %%SECRET-COMMENT%%\n",
        sources=[{"item_id": secret}, {"item_id": public}],
    )
    publish(pkm, team)
    for path in team.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for word in ("SECRET", "s.example", "secret.example"):
                assert word not in text, (path, word)
    shared = (team / "ann/shared.atom").read_text()
    # A link to the private note leaves neither its name nor its label, in any file.
    for path in team.rglob("*"):
        if path.is_file():
            assert "hidden" not in path.read_text(encoding="utf-8"), path
    assert "public quote" in shared and "Public note" in shared and "a private note" in shared


def test_author_names_become_safe_folder_names() -> None:
    assert author_slug("Ann Lee") == "ann-lee"
    assert author_slug("../../etc") == "etc"
    assert author_slug("a/b\\c..d") == "a-b-c-d"
    with pytest.raises(InvalidInputError):
        author_slug("../..")
    with pytest.raises(InvalidInputError):
        author_slug("")


def test_a_missing_team_folder_is_an_error(run: Any, tmp_path: Path) -> None:
    r = run("share", "publish", "--to", str(tmp_path / "nope"), "--week", "2026-W05", code=1)
    assert r.stderr.count("\n") == 1 and "no team folder" in r.stderr
    assert not (tmp_path / "nope").exists()


def _pkm_command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pkm", "--home", str(home), *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_an_unwritable_author_folder_is_an_error_and_nothing_changes(
    pkm: Pkm, home: Path, team: Path
) -> None:
    fill_week(pkm)
    publish(pkm, team)
    pkm.close()
    sql_pkm = open_pkm(home, now=FIXED_NOW)
    sql(sql_pkm, "UPDATE annotations SET comment = 'x', updated_at = '2026-01-31T00:00:00Z'")
    sql_pkm.close()
    before = hashes(team)
    (team / "ann").chmod(0o555)
    try:
        done = subprocess.run(
            unprivileged(
                _pkm_command(home, "share", "publish", "--to", str(team), "--week", "2026-W05")
            ),
            env=_env() | {"PKM_SHARE_AUTHOR": "Ann"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        (team / "ann").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("pkm: error: cannot write to ") and done.stderr.count("\n") == 1
    assert hashes(team) == before
    assert not [p for p in team.rglob("*") if p.name.endswith(".tmp")]


def _make_home(path: Path, author: str, title: str) -> Path:
    home = path / f"home-{author}"
    pkm = open_pkm(home, now=FIXED_NOW)
    item = add_item(pkm, title, url=f"https://{author}.example/1")
    add_annotation(pkm, item, f"quote by {author}")
    pkm.close()
    (home / "pkm.toml").write_text(f'[share]\nauthor = "{author}"\n')
    return home


def test_two_publishers_at_once_both_end_up_in_the_team_files(tmp_path: Path, team: Path) -> None:
    homes = [_make_home(tmp_path, name, f"Article of {name}") for name in ("ann", "bob", "cy")]
    procs = [
        subprocess.Popen(
            _pkm_command(h, "share", "publish", "--to", str(team), "--week", "2026-W05", "-q"),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for h in homes
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    index = (team / "index.html").read_text()
    feed = feedparser.parse((team / "feed.atom").read_bytes())
    assert not feed.bozo
    for name in ("ann", "bob", "cy"):
        assert f'href="{name}/index.html"' in index
        assert (team / name / "shared.atom").is_file()
    assert {e.id for e in feed.entries} == {
        f"tag:pkm,2026:{n}/digest/2026-W05" for n in ("ann", "bob", "cy")
    }


def test_team_page_for_several_authors(run: Any, tmp_path: Path, team: Path) -> None:
    for name in ("ann", "bob"):
        home = _make_home(tmp_path, name, f"Article of {name}")
        for week in ("2026-W04", "2026-W05"):
            done = subprocess.run(
                _pkm_command(home, "share", "publish", "--to", str(team), "--week", week, "-q"),
                env=_env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
    (team / "index.html").unlink()
    r = run("share", "team", "--to", str(team), "--json")
    assert "index.html" in json.loads(r.stdout)["changed"]
    html = (team / "index.html").read_text()
    assert "<script" not in html and "prefers-color-scheme" in html and "@media print" in html
    assert "src=" not in html and "http://" not in html.replace('"http://www.w3.org', "")
    assert html.index("ann/2026-W05.html") < html.index("ann/2026-W04.html")
    md = (team / "index.md").read_text()
    assert "[ann](ann/index.md)" in md and "(bob/2026-W05.md)" in md
    team_feed = feedparser.parse((team / "feed.atom").read_bytes())
    assert not team_feed.bozo and len(team_feed.entries) == 4
    assert team_feed.entries[0].link.endswith("/2026-W05.html")


def test_a_template_in_home_overrides_the_team_page(
    run: Any, home: Path, tmp_path: Path, team: Path
) -> None:
    _make_home(tmp_path, "ann", "A")
    (home / "templates").mkdir(parents=True)
    (home / "templates" / "share-team.html.j2").write_text(
        "<p>{{ team }}: {{ members | length }}</p>\n"
    )
    run("share", "team", "--to", str(team), "-q")
    assert (team / "index.html").read_text() == "<p>team: 0</p>\n"


def test_dry_run_writes_nothing(pkm: Pkm, team: Path) -> None:
    fill_week(pkm)
    result = publish(pkm, team, dry_run=True)
    assert result.dry_run and sorted(result.changed) == sorted(AUTHOR_FILES)
    assert list(team.iterdir()) == []
    assert pkm.store.get_publications() == []


def test_history_lists_publications(run: Any, home: Path, team: Path) -> None:
    pkm = open_pkm(home, now=FIXED_NOW)
    fill_week(pkm)
    publish(pkm, team)
    publish(pkm, team)
    pkm.close()
    r = run("share", "history", "--json")
    rows = json.loads(r.stdout)
    assert [row["changed"] for row in rows] == [0, len(AUTHOR_FILES)]
    assert rows[1]["period"] == "2026-W05" and rows[1]["folder"] == str(team)
    assert "ann/shared.atom" in rows[1]["files"]
    table = run("share", "history").stdout
    assert "2026-W05" in table


def test_bare_share_publishes_the_last_week_to_the_configured_folder(
    run: Any, home: Path, team: Path
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text(f'[share]\nfolder = "{team}"\nauthor = "Ann"\n')
    run("share")
    assert (team / "ann" / "feed.atom").is_file()
    assert (team / "index.html").is_file()
    helptext = run("share", "--help").stdout
    for command in ("publish", "team", "history", "digest"):
        assert command in helptext


def test_publish_json_output(run: Any, home: Path, team: Path) -> None:
    r = run("share", "publish", "--to", str(team), "--week", "2026-W05", "--json", "--dry-run")
    out = json.loads(r.stdout)
    assert out["period"] == "2026-W05" and out["dry_run"] is True
    assert out["commit"] is None
