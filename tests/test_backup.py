"""`pkm backup` and `pkm restore`: a consistent copy while pkm writes, hostile archives refused."""

import io
import json
import sqlite3
import tarfile
from pathlib import Path

from tests.homes import cli

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Compost</title><link>https://c.example/1</link><guid>1</guid>
<description>Mulch and compost make the garden.</description></item></channel></rss>"""


def a_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED)
    cli(home, "seek", "add", str(feed), "--quiet")
    cli(home, "sense", "annotate", "1", "--highlight", "Mulch and compost", "--quiet")
    (home / "notes").mkdir()
    (home / "notes" / "garden.md").write_text("---\ntitle: Garden\n---\ncompost notes\n")
    return home


def test_a_backup_restores_into_a_new_home(tmp_path: Path) -> None:
    home = a_home(tmp_path)
    archive = tmp_path / "b.tar.gz"
    cli(home, "backup", str(archive), "--quiet")
    other = tmp_path / "other"
    restored = json.loads(cli(other, "restore", str(archive), "--json").stdout)
    assert restored["notes"] == 1 and restored["moved_aside"] == []
    [annotation] = json.loads(cli(other, "sense", "annotations", "--json").stdout)
    assert annotation["exact"] == "Mulch and compost"
    hits = json.loads(cli(other, "sense", "search", "compost", "--json").stdout)
    assert {h["kind"] for h in hits} == {"item", "annotation", "note"}


def test_a_backup_is_consistent_while_another_process_writes(tmp_path: Path) -> None:
    home = a_home(tmp_path)
    writer = sqlite3.connect(home / "pkm.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE items SET title = 'half-written'")
    try:
        cli(home, "backup", str(tmp_path / "b.tar.gz"), "--quiet")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    other = tmp_path / "other"
    cli(other, "restore", str(tmp_path / "b.tar.gz"), "--quiet")
    [item] = json.loads(cli(other, "sense", "inbox", "--json", "--all").stdout)
    assert item["title"] == "Compost"  # the uncommitted write is not in the copy


def test_restoring_over_a_home_moves_what_was_there_aside(tmp_path: Path) -> None:
    home = a_home(tmp_path)
    archive = tmp_path / "b.tar.gz"
    cli(home, "backup", str(archive), "--quiet")
    refused = cli(home, "restore", str(archive), code=1)
    assert "--force" in refused.stderr
    result = json.loads(cli(home, "restore", str(archive), "--force", "--json").stdout)
    assert sorted(n.split(".before-restore")[0] for n in result["moved_aside"]) == [
        "notes",
        "pkm.db",
    ]
    assert all((home / n).exists() for n in result["moved_aside"])


def _tar(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo("notes/evil")
            info.type = tarfile.SYMTYPE
            info.linkname = link
            tar.addfile(info)
    return path


def test_hostile_archives_are_refused_and_write_nothing_outside(tmp_path: Path) -> None:
    manifest = json.dumps({"format": "pkm-backup/1"}).encode()
    db = tmp_path / "db"
    sqlite3.connect(db).close()
    cases = {
        "escape": _tar(
            tmp_path / "a.tgz",
            {"MANIFEST.json": manifest, "pkm.db": db.read_bytes(), "notes/../../../escaped": b"x"},
        ),
        "other": _tar(tmp_path / "b.tgz", {"MANIFEST.json": manifest, "etc/passwd": b"x"}),
        "link": _tar(tmp_path / "c.tgz", {"MANIFEST.json": manifest, "pkm.db": b""}, "/etc/passwd"),
        "garbage": tmp_path / "d.tgz",
    }
    cases["garbage"].write_bytes(b"not a tar at all")
    for name, archive in cases.items():
        home = tmp_path / f"home-{name}"
        result = cli(home, "restore", str(archive), code=1)
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, name
        assert not (home / "pkm.db").exists(), name
    assert not (tmp_path / "escaped").exists() and not any(tmp_path.glob("**/escaped"))


def test_a_home_without_an_index_has_nothing_to_back_up(tmp_path: Path) -> None:
    result = cli(tmp_path / "empty", "backup", str(tmp_path / "b.tar.gz"), code=1)
    assert "nothing to back up" in result.stderr
    assert not (tmp_path / "b.tar.gz").exists()
