"""The note index follows the files, and the note commands, on real files and a real index."""

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from pkm.core import Pkm
from pkm.sense import notes as n
from tests.sensedata import add_item, bump_mtime, write


def names(pkm: Pkm) -> list[str]:
    return [note.path for note in n.list_notes(pkm)]


def test_edits_renames_and_deletes_outside_pkm_show_at_once(pkm: Pkm) -> None:
    vault = pkm.vault
    a = write(vault, "a.md", "---\ntitle: Alpha\ntags: [x]\n---\nsee [[b]]\n")
    write(vault, "sub/b.md", "# Beta\n")
    assert names(pkm) == ["a.md", "sub/b.md"]
    assert [note.title for note in n.list_notes(pkm, tag="X")] == ["Alpha"]

    write(vault, "a.md", "---\ntitle: Alpha two\ntags: [y]\n---\n")
    bump_mtime(a)
    assert [note.title for note in n.list_notes(pkm, tag="y")] == ["Alpha two"]
    assert n.list_notes(pkm, tag="x") == []

    (vault / "sub/b.md").rename(vault / "sub/c.md")
    assert names(pkm) == ["a.md", "sub/c.md"]
    (vault / "a.md").unlink()
    assert names(pkm) == ["sub/c.md"]
    # The index is what the files say: a note deleted takes its search row and links along.
    rows = pkm.store.db.execute("SELECT count(*) FROM search WHERE rowid % 4 = 2").fetchone()[0]
    assert rows == 1
    assert pkm.store.get_note_links() == []


def test_a_touched_file_is_not_parsed_again(pkm: Pkm) -> None:
    path = write(pkm.vault, "a.md", "# A\n")
    assert n.sync_notes(pkm).added == ("a.md",)
    bump_mtime(path)
    report = n.sync_notes(pkm)
    assert report.touched == 1 and not report.modified
    assert not n.sync_notes(pkm).changed


def test_broken_frontmatter_is_indexed_with_its_error_and_reported(pkm: Pkm, run) -> None:  # type: ignore[no-untyped-def]
    bad = write(pkm.vault, "bad.md", "---\ntitle: [oops\n---\nbody [[good]]\n")
    write(pkm.vault, "good.md", "# Good\n")
    before = bad.read_bytes()
    [listed] = [note for note in n.list_notes(pkm) if note.path == "bad.md"]
    assert listed.error is not None and listed.error.startswith("broken frontmatter")
    result = run("sense", "reindex")
    assert "bad.md: broken frontmatter" in result.stderr
    assert bad.read_bytes() == before
    listing = json.loads(run("sense", "notes", "--json").stdout)
    assert {x["path"]: x["error"] is not None for x in listing} == {
        "bad.md": True,
        "good.md": False,
    }


def test_find_note_like_a_wikilink_then_title_then_alias(pkm: Pkm) -> None:
    write(pkm.vault, "folder/My Note.md", "---\ntitle: The Title\naliases: [Nickname]\n---\n")
    for ref in (
        "my note",
        "MY NOTE.md",
        "folder/My Note",
        "folder/My Note.md",
        "the title",
        "nickname",
        "[[My Note|x]]",
    ):
        assert n.find_note(pkm, ref).path == "folder/My Note.md", ref
    with pytest.raises(n.NoteNotFoundError):
        n.find_note(pkm, "nothing")


def test_show_lists_links_backlinks_and_cited_items(pkm: Pkm) -> None:
    item = add_item(pkm, "An article", url="https://e.com/a")
    write(
        pkm.vault,
        "hub.md",
        f"---\nsources:\n  - item_id: {item}\n---\n[[Leaf]] [[leaf#part|alias]] [[gone]]\n",
    )
    write(pkm.vault, "leaf.md", "back to [[HUB]]\n")
    write(pkm.vault, "other/x.md", "[[other/../hub]] [[leaf]]\n")
    view = n.show_note(pkm, "hub")
    assert [(k.target, k.path) for k in view.links] == [
        ("Leaf", "leaf.md"),
        ("leaf", "leaf.md"),
        ("gone", None),
    ]
    assert [b.path for b in view.backlinks] == ["leaf.md"]
    assert [i.id for i in view.items] == [item]
    assert [b.path for b in n.show_note(pkm, "leaf").backlinks] == ["hub.md", "other/x.md"]
    assert [c.path for c in pkm.store.get_notes_citing(item)] == ["hub.md"]


def test_a_hand_written_source_url_is_matched_to_its_item(pkm: Pkm) -> None:
    item = add_item(pkm, "An article", url="https://e.com/a?utm_source=x")
    write(
        pkm.vault,
        "mine.md",
        "---\nsources:\n  - https://e.com/a\n  - url: https://nowhere.example/\n---\n",
    )
    n.sync_notes(pkm)
    assert [c.path for c in pkm.store.get_notes_citing(item)] == ["mine.md"]


def test_reindex_check_reports_without_writing(pkm: Pkm, run) -> None:  # type: ignore[no-untyped-def]
    write(pkm.vault, "a.md", "[[b]] [[missing]] ![[pic.png]]\n")
    write(pkm.vault, "b.md", "ok\n")
    run("sense", "reindex", "--quiet")
    write(pkm.vault, "c.md", "---\n: [\n---\n")
    bump_mtime(write(pkm.vault, "b.md", "changed\n"))
    db = pkm.paths.db
    before = (db.stat().st_mtime_ns, db.stat().st_size)
    result = run("sense", "reindex", "--check", "--json", code=1)
    found = json.loads(result.stdout)
    assert found["ok"] is False
    assert found["stale"] == [
        {"path": "b.md", "state": "modified"},
        {"path": "c.md", "state": "added"},
    ]
    assert [(x["path"], x["target"]) for x in found["broken_links"]] == [("a.md", "missing")]
    assert [x["path"] for x in found["broken_frontmatter"]] == ["c.md"]
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before
    text = run("sense", "reindex", "--check", code=1).stdout
    assert "broken link: a.md: [[missing]]" in text and "stale index: b.md (modified)" in text
    run("sense", "reindex", "--quiet")
    (pkm.vault / "c.md").unlink()
    (pkm.vault / "a.md").write_text("[[b]]\n")
    run("sense", "reindex", "--quiet")
    assert run("sense", "reindex", "--check").stdout == ""


def test_reindex_force_and_json(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    write(home / "notes", "a.md", "# A\n")
    first = json.loads(run("sense", "reindex", "--json").stdout)
    assert first["added"] == ["a.md"] and first["notes"] == 1
    again = json.loads(run("sense", "reindex", "--force", "--json").stdout)
    assert again["modified"] == ["a.md"] and again["added"] == []


def test_an_obsidian_vault_elsewhere(run, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    vault = tmp_path / "Obsidian Vault"
    write(vault, ".obsidian/app.json", "{}")
    write(vault, ".obsidian/snippets/x.md", "not a note")
    write(vault, ".trash/old note.md", "deleted")
    write(vault, "Daily/2026-02-01.md", "met [[Project X]]\n")
    write(vault, "Project X.md", "---\ntags: work\n---\n")
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text(f'[sense]\nvault = "{vault}"\n')
    listing = json.loads(run("sense", "notes", "--json").stdout)
    assert [x["path"] for x in listing] == ["Daily/2026-02-01.md", "Project X.md"]
    shown = json.loads(run("sense", "note", "show", "project x", "--json").stdout)
    assert [b["path"] for b in shown["backlinks"]] == ["Daily/2026-02-01.md"]
    path = run("sense", "note", "new", "Project X", "--no-edit").stdout.strip()
    assert path == str(vault / "project-x.md")  # a slug: "Project X.md" is another name
    assert not (home / "notes").exists()


# --- the CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "file_name"),
    [
        ("../../x", "x.md"),
        ("CON", "con-note.md"),
        ("a" * 500, "a" * 100 + ".md"),
        ("🎉", "untitled.md"),
        ("", "untitled.md"),
        ("a/b\\c", "a-b-c.md"),
        ("bell\x07\x00nul\x1b]0;title", "bellnul-0-title.md"),  # controls go from the title first
    ],
)
def test_note_new_with_hostile_titles(run, home: Path, title: str, file_name: str) -> None:  # type: ignore[no-untyped-def]
    path = Path(run("sense", "note", "new", title, "--no-edit").stdout.strip())
    assert path == home / "notes" / file_name
    assert [p.name for p in (home / "notes").iterdir()] == [file_name]
    [listed] = json.loads(run("sense", "notes", "--json").stdout)
    assert "\x07" not in listed["title"] and "\x1b" not in listed["title"]
    if title == "a" * 500:
        assert listed["title"] == "a" * 500


def test_note_new_never_clashes(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    write(home / "notes", "deep/Idea.md", "mine")
    out = [
        run("sense", "note", "new", "idea", "--no-edit", "-t", "t").stdout.strip() for _ in range(2)
    ]
    assert out == [str(home / "notes" / "idea-2.md"), str(home / "notes" / "idea-3.md")]
    assert (home / "notes" / "deep/Idea.md").read_text() == "mine"
    assert [
        x["title"] for x in json.loads(run("sense", "notes", "--tag", "t", "--json").stdout)
    ] == ["idea", "idea"]


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$EDITOR: a script that appends a line to the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write('edited [[elsewhere]]\\n')\n")
    command = tmp_path / "editor"
    command.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    command.chmod(command.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(command))
    return command


def test_note_edit_runs_the_editor_and_reindexes(run, home: Path, editor: Path) -> None:  # type: ignore[no-untyped-def]
    run("sense", "note", "new", "Draft", "--no-edit")
    run("sense", "note", "edit", "draft")
    assert (home / "notes/draft.md").read_text().endswith("edited [[elsewhere]]\n")
    shown = json.loads(run("sense", "note", "show", "Draft", "--json").stdout)
    assert shown["links"] == [
        {"target": "elsewhere", "heading": None, "alias": None, "path": None, "broken": True}
    ]


def test_the_editor_setting_wins(run, home: Path, editor: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other-editor"
    other.write_text('#!/bin/sh\necho by-setting >> "$1"\n')
    other.chmod(0o755)
    home.mkdir(parents=True)
    (home / "pkm.toml").write_text(f'[sense]\neditor = "{other}"\n')
    run("sense", "note", "new", "Draft", "--no-edit")
    run("sense", "note", "edit", "Draft")
    assert (home / "notes/draft.md").read_text().endswith("by-setting\n")


def test_new_notes_never_open_an_editor_off_a_terminal(run, home: Path, editor: Path) -> None:  # type: ignore[no-untyped-def]
    run("sense", "note", "new", "Draft")
    assert "edited" not in (home / "notes/draft.md").read_text()


def test_bad_input_is_one_line_and_exit_1(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    for args in (["note", "show", "nope"], ["note", "edit", "nope"]):
        result = run("sense", *args, code=1)
        assert result.stderr == "pkm: error: no such note: nope\n"
    os.environ.pop("EDITOR", None)


def test_show_prints_text_and_sections(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    write(home / "notes", "a.md", "hello \x1b]0;x\x07 [[b]]\n")
    write(home / "notes", "b.md", "[[a]]\n")
    out = run("sense", "note", "show", "a").stdout
    assert out.startswith("hello ]0;x [[b]]\n") and "\x1b" not in out
    assert "[[b]] -> b.md" in out and "  b.md  b" in out


def test_a_read_only_pkm_reads_the_note_index_as_it_is(home: Path) -> None:
    from pkm.core import open_pkm
    from pkm.sense.notes import sync_notes

    writable = open_pkm(home)
    sync_notes(writable)  # makes the home and its index
    writable.close()
    (home / "notes").mkdir(exist_ok=True)
    (home / "notes" / "new.md").write_text("# New\n")
    pkm = open_pkm(home, readonly=True)
    try:
        assert sync_notes(pkm).added == ()  # nothing written, no lock asked for
        assert pkm.store.get_notes() == []
    finally:
        pkm.close()
