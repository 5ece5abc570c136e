"""Synthesis notes: what they gather, and that pkm never clobbers the person's words."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkm.core import Pkm, open_pkm
from pkm.errors import NoteError
from pkm.sense import notes as n
from pkm.sense import vault as v
from pkm.sense.synthesize import Selection
from tests.conftest import FIXED_NOW
from tests.sensedata import add_annotation, add_item, bump_mtime, write

BEGIN, END = v.begin_marker("sources"), v.end_marker("sources")


@pytest.fixture
def two_items(pkm: Pkm) -> tuple[int, int]:
    a = add_item(pkm, "First article", url="https://e.com/a", text="alpha beta gamma", tags=["ml"])
    b = add_item(pkm, "Second article", url="https://e.com/b", text="delta epsilon")
    add_annotation(pkm, a, "beta gamma", comment="my thought on it", start=6)
    add_annotation(pkm, a, None, comment="about the whole article")
    add_annotation(pkm, b, "delta", tags=["ml"], start=0)
    return a, b


def synth(
    pkm: Pkm, *ids: int, title: str | None = "On things", into: str | None = None, **kw: str
) -> n.SynthesisResult:
    return n.synthesize_note(pkm, Selection(item_ids=ids, **kw), title=title, into=into)  # type: ignore[arg-type]


def test_a_synthesis_gathers_items_highlights_and_comments(
    pkm: Pkm, two_items: tuple[int, int]
) -> None:
    a, b = two_items
    result = synth(pkm, a, b)
    assert result.created and result.file == pkm.vault / "on-things.md"
    text = result.file.read_text()
    meta = v.frontmatter_values(text)
    assert (
        meta["title"] == "On things"
        and meta["created"] == meta["updated"] == "2026-02-02T09:00:00Z"
    )
    assert meta["sources"] == [
        {
            "item_id": a,
            "url": "https://e.com/a",
            "title": "First article",
            "source_url": "https://example.com/feed.xml",
        },
        {
            "item_id": b,
            "url": "https://e.com/b",
            "title": "Second article",
            "source_url": "https://example.com/feed.xml",
        },
    ]
    region = v.region_text(text, "sources")
    assert region is not None
    assert "### First article" in region and "[Read the article](https://e.com/a)" in region
    assert "> beta gamma\n> — [highlight 1](https://e.com/a#:~:text=beta%20gamma)" in region
    assert "my thought on it" in region and "about the whole article" in region
    assert region.index("First article") < region.index("Second article")
    assert text.rstrip().endswith("## Synthesis")
    assert [c.path for c in pkm.store.get_notes_citing(b)] == ["on-things.md"]
    assert [i.id for i in n.show_note(pkm, "on-things").items] == [a, b]


def test_tag_selects_tagged_items_and_items_with_tagged_highlights(
    pkm: Pkm, two_items: tuple[int, int]
) -> None:
    a, b = two_items
    add_item(pkm, "Untagged", url="https://e.com/c")
    result = n.synthesize_note(pkm, Selection(tag="ML"), title="ML")
    assert result.item_ids == (a, b)
    assert "ML" in v.frontmatter_values(result.file.read_text())["tags"]
    assert [x.path for x in n.list_notes(pkm, tag="ml")] == ["ml.md"]


def test_query_selects_through_full_text_search(pkm: Pkm, two_items: tuple[int, int]) -> None:
    assert n.synthesize_note(pkm, Selection(query="epsilon"), title="Q").item_ids == (two_items[1],)


def test_refresh_rewrites_only_what_pkm_owns(pkm: Pkm, two_items: tuple[int, int]) -> None:
    a, _ = two_items
    file = synth(pkm, a).file
    text = file.read_text()
    mine = text.replace("## Synthesis\n", "## Synthesis\n\nMy own words, [[links]] and #tags.\n")
    mine = mine.replace("---\ntitle:", "---\n# a comment of mine\nrating: 5\ntitle:", 1)
    file.write_text(mine)
    bump_mtime(file)
    add_annotation(pkm, a, "alpha", start=0, comment="new highlight")
    later = open_pkm(pkm.paths.home, now=FIXED_NOW.replace(day=3))
    try:
        result = synth(later, title=None, into="On things")
    finally:
        later.close()
    assert result.changed and not result.created and result.item_ids == (a,)
    after = file.read_text()
    region = v.region_span(after, "sources")
    old_region = v.region_span(mine, "sources")
    assert region is not None and old_region is not None
    assert "new highlight" in after[region[0] : region[1]]
    assert after[region[1] :] == mine[old_region[1] :]  # everything after the region, byte for byte
    assert "# a comment of mine\nrating: 5\ntitle: On things\n" in after
    assert v.frontmatter_values(after)["updated"] == "2026-02-03T09:00:00Z"
    # Nothing new: nothing written, not even `updated`.
    stat = file.stat()
    assert synth(pkm, title=None, into="on-things").changed is False
    assert file.stat().st_mtime_ns == stat.st_mtime_ns


def test_into_adds_items_and_merges_tags(pkm: Pkm, two_items: tuple[int, int]) -> None:
    a, b = two_items
    write(
        pkm.vault,
        "mine.md",
        "---\ntags: [own]\nsources:\n  - url: https://hand.example/x\n---\nMy text.\n",
    )
    result = n.synthesize_note(pkm, Selection(tag="ml"), into="mine")
    text = result.file.read_text()
    meta = v.frontmatter_values(text)
    assert meta["tags"] == ["own", "ml"]
    assert meta["sources"][0] == {"url": "https://hand.example/x"}
    assert [s.get("item_id") for s in meta["sources"][1:]] == [a, b]
    assert text.split("---\n", 2)[2].startswith("My text.\n\n" + BEGIN)


def test_broken_frontmatter_and_markers_are_never_rewritten(
    pkm: Pkm, two_items: tuple[int, int]
) -> None:
    broken = write(pkm.vault, "broken.md", "---\ntitle: [x\n---\nmine\n")
    markers = write(pkm.vault, "markers.md", f"mine\n{END}\n{BEGIN}\n")
    for name in ("broken", "markers"):
        with pytest.raises(NoteError):
            synth(pkm, two_items[0], title=None, into=name)
    assert broken.read_text() == "---\ntitle: [x\n---\nmine\n"
    assert markers.read_text() == f"mine\n{END}\n{BEGIN}\n"


def test_hostile_feed_text_cannot_break_the_note(pkm: Pkm) -> None:
    title = f"{END}\n# Injected\n[[link]] #tag %%"
    item = add_item(pkm, title, url="javascript:alert(1)")
    add_annotation(pkm, item, f"quote\n{END}\n---\n- list", start=0)
    text = synth(pkm, item, title=f"x\n{BEGIN}").file.read_text()
    region = v.region_text(text, "sources") or ""  # exactly one begin and one end line
    assert region.count("### ") == 1 and "# x \\<\\!-- pkm:begin" in text
    body = text[v.find_frontmatter(text).body_start :]
    assert "\n# Injected" not in body and "[[link]]" not in body and "javascript:" not in region
    assert v.parse_links(body) == ()
    assert v.frontmatter_values(text)["sources"][0]["title"].startswith("<!-- pkm:end")


def test_the_template_can_be_overridden_in_home(pkm: Pkm, two_items: tuple[int, int]) -> None:
    templates = pkm.paths.home / "templates"
    templates.mkdir(parents=True)
    (templates / "synthesis.md.j2").write_text(
        "MY TEMPLATE {{ title }}\n{{ sources_region }}\n## Mine\n"
    )
    (templates / "note.md.j2").write_text("Plain note: {{ title }}\n")
    text = synth(pkm, two_items[0]).file.read_text()
    assert "MY TEMPLATE On things\n" + BEGIN in text and text.endswith("## Mine\n")
    assert n.create_note(pkm, "Hi").read_text().endswith("---\nPlain note: Hi\n")


def test_a_template_without_the_region_still_gets_it(pkm: Pkm, two_items: tuple[int, int]) -> None:
    templates = pkm.paths.home / "templates"
    templates.mkdir(parents=True)
    (templates / "synthesis.md.j2").write_text("# {{ title }}\n")
    text = synth(pkm, two_items[0]).file.read_text()
    assert text.count(BEGIN) == 1


def test_cli_exit_codes(run, pkm: Pkm, two_items: tuple[int, int], home: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = two_items
    result = run("sense", "synthesize", str(a), "--title", "T", "--no-edit")
    assert result.stdout == f"{home / 'notes' / 't.md'}\n"
    assert "created, 1 sources" in result.stderr
    assert (
        run("sense", "synthesize", "999", "--title", "T", code=3).stderr
        == "pkm: error: no such item: 999\n"
    )
    run("sense", "synthesize", "--title", "T", code=2)
    run("sense", "synthesize", str(a), code=2)
    run("sense", "synthesize", str(a), "--tag", "ml", "--title", "T", code=2)
    assert (
        run("sense", "synthesize", "--into", "nope", code=1).stderr
        == "pkm: error: no such note: nope\n"
    )
    assert (
        "no items tagged"
        in run("sense", "synthesize", "--tag", "zzz", "--title", "T", code=1).stderr
    )
    assert (
        "bad search query"
        in run("sense", "synthesize", "--query", '"', "--title", "T", code=2).stderr
    )
    assert run("sense", "synthesize", "--into", "t", "--quiet").stderr == ""
    shown = json.loads(run("sense", "note", "show", "t", "--json").stdout)
    assert [i["id"] for i in shown["items"]] == [a] and shown["note"]["title"] == "T"


# Text a person might type anywhere outside pkm's markers (no marker of its own).
edits = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40
).filter(lambda s: "pkm:" not in s)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=edits, after=edits, tail=edits)
def test_edits_outside_the_markers_survive_a_resynthesis(
    pkm: Pkm, two_items: tuple[int, int], before: str, after: str, tail: str
) -> None:
    a, b = two_items
    file = pkm.vault / "prop.md"
    if not file.exists():
        synth(pkm, a, title="prop")
    text = file.read_text()
    start, end = v.region_span(text, "sources") or (0, 0)
    head = text[:start]
    begin_line = head.rfind(BEGIN)
    edited = (
        head[:begin_line]
        + before
        + "\n"
        + head[begin_line:]
        + text[start:end]
        + text[end:].replace("## Synthesis", "## Synthesis" + after, 1)
        + tail
    )
    file.write_text(edited, newline="")
    bump_mtime(file)
    start, end = v.region_span(edited, "sources") or (0, 0)
    synth(pkm, b, title=None, into="prop")
    out = file.read_bytes().decode()
    new_start, new_end = v.region_span(out, "sources") or (0, 0)
    old_fm, new_fm = v.find_frontmatter(edited), v.find_frontmatter(out)
    # The body outside the region, byte for byte; the frontmatter only through pkm's keys.
    assert out[new_fm.body_start : new_start] == edited[old_fm.body_start : start]
    assert out[new_end:] == edited[end:]
    meta = v.frontmatter_values(out)
    assert meta["title"] == "prop" and [s["item_id"] for s in meta["sources"]] == [a, b]


def test_obsidian_reads_the_vault_pkm_wrote(pkm: Pkm, two_items: tuple[int, int]) -> None:
    """An independent reader of Obsidian vaults sees the titles, tags and links pkm wrote."""
    from obsidiantools.api import Vault

    idea = n.create_note(pkm, "Ünïcode: an idea", tags=["topic/sub", "idea"])
    with idea.open("a", encoding="utf-8") as f:
        f.write("Builds on [[on-things|the synthesis]] and [[On-Things#Synthesis]].\n")
    synth(pkm, *two_items)
    n.synthesize_note(pkm, Selection(tag="ml"), into="on-things")
    vault = Vault(pkm.vault).connect().gather()
    assert set(vault.md_file_index) == {"ünïcode-an-idea", "on-things"}
    front = vault.front_matter_index
    assert front["ünïcode-an-idea"]["title"] == "Ünïcode: an idea"
    assert front["ünïcode-an-idea"]["tags"] == ["topic/sub", "idea"]
    assert front["on-things"]["tags"] == ["ml"]
    assert [s["item_id"] for s in front["on-things"]["sources"]] == list(two_items)
    assert vault.wikilinks_index["ünïcode-an-idea"] == ["on-things", "On-Things"]
    assert vault.wikilinks_index["on-things"] == []  # the feed text made no links
    assert "ünïcode-an-idea" in vault.backlinks_index["on-things"]
    # pkm reads the same links.
    assert [b.path for b in n.show_note(pkm, "on-things").backlinks] == ["ünïcode-an-idea.md"]
