"""The vault's files, pure: slugs, frontmatter, wikilinks, pkm's regions, safe writes."""

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkm._util.fsutil import atomic_write_text
from pkm._util.text import SLUG_MAX_BYTES, slugify, unique_slug
from pkm.errors import NoteError
from pkm.models import NoteStat, WikiLink
from pkm.rendering import md, md_quote, md_url
from pkm.sense import vault as v
from tests.sensedata import write

RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def assert_safe_name(slug: str) -> None:
    assert slug and slug == slug.strip()
    assert "/" not in slug and "\\" not in slug and ".." not in slug and not slug.startswith(".")
    assert slug.upper() not in RESERVED
    assert len(slug.encode("utf-8")) <= SLUG_MAX_BYTES
    assert not any(unicodedata.category(c)[0] == "C" for c in slug)
    assert not any(c in slug for c in '<>:"|?*')


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Hello, World!", "hello-world"),
        ("../../x", "x"),
        ("CON", "con-note"),
        ("lpt9", "lpt9-note"),
        ("🎉🎉🎉", "untitled"),
        ("", "untitled"),
        ("   ...   ", "untitled"),
        ("a/b\\c", "a-b-c"),
        ("x\x00y\x07z\x1b[31m", "x-y-z-31m"),
        (".hidden", "hidden"),
        ("Ünïcödé Títle", "ünïcödé-títle"),
        ("हिन्दी पाठ", "हिन्दी-पाठ"),
        ("Ελληνικά και 日本語", "ελληνικά-και-日本語"),
    ],
)
def test_slugify_hostile_titles(title: str, expected: str) -> None:
    assert slugify(title) == expected
    assert_safe_name(slugify(title))


def test_slugify_bounds_long_titles_at_a_character_boundary() -> None:
    assert slugify("a" * 500) == "a" * 100
    long = slugify("é" * 500)  # two bytes each
    assert long == "é" * 50
    assert len(slugify("日本" * 200).encode()) <= SLUG_MAX_BYTES


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_slugify_is_safe_and_idempotent(title: str) -> None:
    slug = slugify(title)
    assert_safe_name(slug)
    assert slugify(slug) == slug


def test_unique_slug_never_clashes_without_case() -> None:
    assert unique_slug("note", set()) == "note"
    assert unique_slug("note", {"note"}) == "note-2"
    assert unique_slug("Note", {"note", "note-2"}) == "Note-3"
    long = "a" * SLUG_MAX_BYTES
    other = unique_slug(long, {long})
    assert other.endswith("-2") and len(other.encode()) <= SLUG_MAX_BYTES


def test_walk_skips_obsidian_trash_and_dot_folders(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "a")
    write(tmp_path, "sub/deep/b.md", "b")
    write(tmp_path, ".obsidian/workspace.md", "x")
    write(tmp_path, ".trash/old.md", "x")
    write(tmp_path, ".git/x.md", "x")
    write(tmp_path, ".hidden.md", "x")
    write(tmp_path, "image.png", "x")
    write(tmp_path, "c.markdown.txt", "x")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert sorted(v.walk_vault(tmp_path)) == ["a.md", "sub/deep/b.md"]
    assert v.walk_vault(tmp_path / "missing") == {}


def parse(text: str, path: str = "folder/My Note.md") -> v.NoteRecord:  # type: ignore[name-defined]
    data = text.encode("utf-8")
    return v.parse_note(NoteStat(path, len(data), 1), data)


def test_parse_frontmatter_as_obsidian_reads_it() -> None:
    note = parse(
        "---\ntitle: The Title\ntags: [one, '#two']\naliases: Other name\n"
        "created: 2026-01-05\nupdated: '2026-01-06T10:00:00Z'\nsources:\n"
        "  - item_id: 3\n    url: https://e.com/a\n  - https://e.com/b\n  - 12\n---\nBody #three and #4 not a tag\n"
    )
    assert note.name == "My Note" and note.title == "The Title" and note.error is None
    assert note.tags == ("one", "two", "three")
    assert note.aliases == ("Other name",)
    assert note.created is not None and note.created.isoformat() == "2026-01-05T00:00:00+00:00"
    assert note.updated is not None and note.updated.hour == 10
    assert [(s.item_id, s.url) for s in note.sources] == [
        (3, "https://e.com/a"),
        (None, "https://e.com/b"),
    ]
    assert note.body == "Body #three and #4 not a tag\n"


def test_title_falls_back_to_heading_then_file_name() -> None:
    assert parse("intro\n# A heading\ntext").title == "A heading"
    assert parse("no heading").title == "My Note"
    assert parse("---\ntags: a b, c\n---\n").tags == ("a", "b", "c")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "broken frontmatter"),
        ("---\n- a list\n---\nbody", "not a mapping"),
        ("---\ntitle: a: b: c\n---\n", "broken frontmatter"),
    ],
)
def test_broken_frontmatter_is_a_note_with_an_error(text: str, why: str) -> None:
    note = parse(text)
    assert note.error is not None and why in note.error
    assert note.title == "My Note"


def test_not_utf8_is_a_note_with_an_error() -> None:
    note = v.parse_note(NoteStat("x.md", 3, 1), b"\xff\xfe\x00")
    assert note.error is not None and "UTF-8" in note.error


def test_unclosed_frontmatter_is_text() -> None:
    note = parse("---\ntitle: x\nno end")
    assert note.error is None and note.title == "My Note"


def test_wikilinks_with_heading_alias_path_and_embeds() -> None:
    text = (
        "See [[Other]], [[other#Part two|the part]], [[folder/Deep.md]], ![[Pic.png]], [[#Local]].\n"
        "```\n[[in code]]\n```\n`[[inline code]]` %%[[hidden]]%%\n"
    )
    links = v.parse_links(text)
    assert [(k.target, k.heading, k.alias) for k in links] == [
        ("Other", None, None),
        ("other", "Part two", "the part"),
        ("folder/Deep", None, None),
        ("Pic.png", None, None),
        ("", "Local", None),
    ]
    assert text[links[0].position :].startswith("[[Other]]")


def test_links_resolve_like_obsidian() -> None:
    r = v.LinkResolver(["Other.md", "a/Deep.md", "b/Deep.md", "a/x/Deep.md", "b/Only.md"])
    assert r.resolve("other") == "Other.md"
    assert r.resolve("OTHER.md") == "Other.md"
    assert r.resolve("deep") == "a/Deep.md"  # the shortest path
    assert r.resolve("deep", from_path="b/Only.md") == "b/Deep.md"  # the same folder first
    assert r.resolve("x/deep") == "a/x/Deep.md"
    assert r.resolve("b/only") == "b/Only.md"
    assert r.resolve("missing") is None and r.resolve("c/deep") is None
    assert r.is_attachment("Pic.png") and not r.is_attachment("v1.2 notes")


# --- pkm's frontmatter keys and regions ----------------------------------------------------------

PERSONAL = (
    "---\n"
    "# my comment\n"
    "title:   'Kept  as typed'\n"
    "tags: [x]   # inline comment\n"
    "rating: 5\n"
    "nested:\n"
    "  a: 1\n"
    "  b: [1, 2]\n"
    "\n"
    "updated: 2020-01-01\n"
    "---\n"
    "Body\n"
)


def test_set_frontmatter_changes_only_the_keys_it_owns() -> None:
    out = v.set_frontmatter(
        PERSONAL, {"updated": "2026-02-02T09:00:00Z", "sources": [{"item_id": 1}]}
    )
    assert out.startswith(
        "---\n# my comment\ntitle:   'Kept  as typed'\ntags: [x]   # inline comment\n"
    )
    assert "rating: 5\nnested:\n  a: 1\n  b: [1, 2]\n\n" in out
    assert "updated: '2026-02-02T09:00:00Z'\n" in out and "2020-01-01" not in out
    assert out.endswith("sources:\n- item_id: 1\n---\nBody\n")
    assert v.frontmatter_values(out)["sources"] == [{"item_id": 1}]


def test_set_frontmatter_on_a_note_without_one_and_with_crlf() -> None:
    assert v.set_frontmatter("Body\n", {"updated": "x"}) == "---\nupdated: x\n---\nBody\n"
    crlf = "---\r\ntitle: a\r\n---\r\nBody\r\n"
    out = v.set_frontmatter(crlf, {"updated": "x"})
    assert out == "---\r\ntitle: a\r\nupdated: x\r\n---\r\nBody\r\n"


def test_set_frontmatter_refuses_broken_yaml() -> None:
    with pytest.raises(NoteError, match="broken frontmatter"):
        v.set_frontmatter("---\ntitle: [x\n---\n", {"updated": "x"})


def test_regions_replace_only_their_content() -> None:
    text = f"mine\n{v.begin_marker('sources')}\nold\n{v.end_marker('sources')}\nalso mine\n"
    out = v.replace_region(text, "sources", "new\n")
    assert (
        out == f"mine\n{v.begin_marker('sources')}\nnew\n\n{v.end_marker('sources')}\nalso mine\n"
    )
    appended = v.replace_region("mine", "sources", "new")
    assert appended == f"mine\n\n{v.begin_marker('sources')}\nnew\n\n{v.end_marker('sources')}\n"
    assert v.replace_region(appended, "sources", "new") == appended


@pytest.mark.parametrize(
    "text",
    [
        "<!-- pkm:begin sources -->\nno end\n",
        "<!-- pkm:end sources -->\n<!-- pkm:begin sources -->\n",
        "<!-- pkm:begin sources -->\n<!-- pkm:begin sources -->\n<!-- pkm:end sources -->\n",
    ],
)
def test_broken_markers_are_never_guessed(text: str) -> None:
    with pytest.raises(NoteError, match="markers"):
        v.replace_region(text, "sources", "x")


def test_markdown_escaping_neutralises_feed_text() -> None:
    hostile = (
        "<!-- pkm:end sources -->\n# Heading [[link]] #tag %%c%% `code` ==m== ![x](javascript:y)"
    )
    inline = str(md(hostile))
    assert "\n" not in inline and "<!--" not in inline and "[[" not in inline
    assert "\\#tag" in inline and "\\%\\%" in inline
    assert str(md("- item")) == "\\- item" and str(md("1. one")) == "1\\. one"
    quoted = str(md_quote("line one\n<!-- pkm:end sources -->\n---\n\n# h"))
    assert all(line.startswith(">") for line in quoted.split("\n"))
    assert "<!--" not in quoted and "> \\---" in quoted
    assert (
        md_url("javascript:alert(1)") == ""
        and md_url("https://e.com/a b(c)") == "https://e.com/a%20b%28c%29"
    )


# --- writing files -------------------------------------------------------------------------------


def test_atomic_write_creates_without_clobbering(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    atomic_write_text(path, "one", create=True)
    with pytest.raises(FileExistsError):
        atomic_write_text(path, "two", create=True)
    assert path.read_text() == "one"
    atomic_write_text(path, "three")
    assert path.read_text() == "three"
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"]  # no temporary file left


def test_a_failed_check_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text("mine")

    def check() -> None:
        raise RuntimeError("changed")

    with pytest.raises(RuntimeError):
        atomic_write_text(path, "pkm's", check=check)
    assert path.read_text() == "mine" and len(list(tmp_path.iterdir())) == 1


def test_update_merges_again_when_the_file_changed_meanwhile(tmp_path: Path) -> None:
    full = write(tmp_path, "n.md", "v1\n")
    seen: list[str] = []

    def transform(current: v.NoteFile) -> str:
        seen.append(current.text)
        if len(seen) == 1:  # the person saves while pkm merges
            full.write_text("v2 by the person\n")
            st = full.stat()
            os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return current.text + "pkm\n"

    assert v.update_note_file(tmp_path, "n.md", transform) is True
    assert seen == ["v1\n", "v2 by the person\n"]
    assert full.read_text() == "v2 by the person\npkm\n"


def test_update_gives_up_on_a_note_that_keeps_changing(tmp_path: Path) -> None:
    full = write(tmp_path, "n.md", "v\n")
    count = 0

    def transform(current: v.NoteFile) -> str:
        nonlocal count
        count += 1
        full.write_text(f"v{count}\n")
        st = full.stat()
        os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns + count * 10**9))
        return "pkm\n"

    with pytest.raises(NoteError, match="kept changing"):
        v.update_note_file(tmp_path, "n.md", transform)
    assert full.read_text().startswith("v")


def test_links_model_round_trip() -> None:
    assert WikiLink("a", None, None, 0) == v.parse_links("[[a]]")[0]


@pytest.mark.parametrize(
    "frontmatter",
    ["created: 2026-01-32", "created: 2026-13-01T00:00:00Z", "x: " + "[" * 5000 + "]" * 5000],
)
def test_frontmatter_python_cannot_hold_is_broken_not_a_crash(frontmatter: str) -> None:
    data = f"---\n{frontmatter}\n---\nbody\n".encode()
    note = v.parse_note(NoteStat("x.md", len(data), 1), data)
    assert note.error
