"""The loop: a teammate's `shared.atom` followed with `pkm seek add`, their highlights
arriving on the reader's own copy of the article as "shared by" annotations, kept in step
with the feed (edited in place, removed), and their notes arriving as items.

A's `shared.atom` is written by hand here (valid per docs/shared-atom.md), from A's own
annotations where the test has them; a later integration swaps in `pkm share publish`.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest

from pkm.core import open_pkm
from pkm.models import (
    AnnotationState,
    EntryAction,
    EntryKind,
    FeedLimits,
    StoredShared,
)
from pkm.seek.decide import Known, entry_updates
from pkm.seek.feeds import parse_feed
from pkm.seek.parse import entry_rows, shared_hash
from tests.conftest import DATA, FIXED_NOW
from tests.homes import as_json, cli
from tests.httpserver import FeedServer

ARTICLE = (
    "Spaced repetition is a learning technique. Reviews are spread out over time. "
    "The forgetting curve shows how memory fades. Each review resets the curve. "
    "Reviews that come just before forgetting work best. Reviews are cheap."
)
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def rss(link: str, text: str, guid: str = "spacing") -> bytes:
    """A reader's own feed with the article."""
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Blog</title>"
        f"<link>https://example.com/</link><item><guid isPermaLink='false'>{guid}</guid>"
        f"<title>Spaced repetition</title><link>{escape(link)}</link>"
        f"<description>{escape(text)}</description></item></channel></rss>"
    ).encode()


def highlight(
    hid: str,
    exact: str,
    *,
    prefix: str = "",
    suffix: str = "",
    comment: str = "",
    tags: tuple[str, ...] = (),
    created: str = "2026-01-30T08:00:00Z",
    updated: str | None = None,
) -> str:
    tag_elements = "".join(f"<pkm:tag>{escape(t)}</pkm:tag>" for t in tags)
    return (
        f"<pkm:highlight id={quoteattr(hid)} created={quoteattr(created)}"
        f" updated={quoteattr(updated or created)}>"
        f"<pkm:exact>{escape(exact)}</pkm:exact><pkm:prefix>{escape(prefix)}</pkm:prefix>"
        f"<pkm:suffix>{escape(suffix)}</pkm:suffix><pkm:comment>{escape(comment)}</pkm:comment>"
        f"{tag_elements}</pkm:highlight>"
    )


def item_entry(
    author: str,
    item_id: int,
    url: str | None,
    highlights: list[str],
    *,
    title: str = "Spaced repetition",
    updated: str = "2026-01-31T09:30:00Z",
) -> str:
    link = f'<link rel="alternate" href={quoteattr(url)}/>' if url else ""
    return (
        f"<entry><id>tag:pkm,2026:{escape(author)}/item/{item_id}</id>"
        f"<title>{escape(title)}</title>{link}<author><name>{escape(author)}</name></author>"
        f"<published>2026-01-30T08:00:00Z</published><updated>{updated}</updated>"
        f'<content type="html">{escape("<blockquote>shared</blockquote>")}</content>'
        f"<pkm:kind>item</pkm:kind>{''.join(highlights)}</entry>"
    )


def note_entry(author: str, path: str, title: str, html: str, cites: list[tuple[str, str]]) -> str:
    cite_elements = "".join(
        f"<pkm:cites href={quoteattr(u)} title={quoteattr(t)}/>" for u, t in cites
    )
    return (
        f"<entry><id>tag:pkm,2026:{escape(author)}/note/{escape(path)}</id>"
        f"<title>{escape(title)}</title><author><name>{escape(author)}</name></author>"
        "<updated>2026-02-01T10:00:00Z</updated>"
        f'<content type="html">{escape(html)}</content><pkm:kind>note</pkm:kind>'
        f"{cite_elements}</entry>"
    )


def shared_atom(author: str, *entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:pkm="https://pkm.invalid/ns/share/1">'
        f"<id>tag:pkm,2026:{escape(author)}/shared</id>"
        f"<title>{escape(author)}: shared with pkm</title>"
        f"<author><name>{escape(author)}</name></author>"
        '<updated>2026-02-01T10:00:00Z</updated><link rel="self" href="shared.atom"/>'
        f"{''.join(entries)}</feed>"
    ).encode()


def publish_by_hand(team: Path, author: str, *entries: str) -> Path:
    path = team / author / "shared.atom"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shared_atom(author, *entries))
    return path


def make_home(tmp_path: Path, author: str) -> Path:
    home = tmp_path / author
    home.mkdir()
    (home / "pkm.toml").write_text(f'[share]\nauthor = "{author.title()}"\n')
    return home


def a_highlight_from(home: Path, item_id: int, author: str) -> str:
    """What `pkm share publish` would write of A's first annotation."""
    [a] = as_json(home, "sense", "annotations", "--item", str(item_id))
    return highlight(
        f"tag:pkm,2026:{author}/annotation/{a['id']}",
        a["exact"],
        prefix=a["prefix"],
        suffix=a["suffix"],
        comment=a["comment"],
        tags=tuple(a["tags"]),
        created=a["created"],
        updated=a["updated"],
    )


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("use_file", [True, False], ids=["file", "string"])
def test_the_parser_reads_what_a_shared_atom_carries(use_file: bool) -> None:
    path = DATA / "shared" / "alice" / "shared.atom"
    feed = parse_feed(path.read_bytes(), path.as_uri() if use_file else "https://team.example/a")
    note, item = feed.entries
    assert (item.kind, item.shared_by, item.url) == (
        EntryKind.ITEM,
        "alice",
        "https://example.com/spacing",
    )
    quote, comment = item.highlights  # the one without an id is ignored
    assert quote.id == "tag:pkm,2026:alice/annotation/7"
    assert quote.exact == "The forgetting curve shows how memory fades."
    assert (quote.prefix, quote.suffix) == (
        "views are spread out over time. ",
        " Each review resets the curve.",
    )
    assert (quote.comment, quote.tags) == ("The key idea.", ("memory", "curve"))
    assert quote.created is not None and quote.updated is not None
    assert quote.updated - quote.created == timedelta(days=1, hours=1, minutes=30)
    assert (comment.exact, comment.comment) == ("", "Worth reading twice.")
    assert note.kind is EntryKind.NOTE and note.highlights == ()
    assert [c.url for c in note.cites] == ["https://example.com/spacing"]  # not javascript:
    assert note.content_html and "javascript" not in note.content_html
    assert 'href="https://example.com/spacing"' in note.content_html
    assert "Spaced repetition" in note.content_text


def test_other_feeds_carry_nothing_shared() -> None:
    feed = parse_feed(rss("https://example.com/a", ARTICLE), "https://example.com/feed")
    [entry] = feed.entries
    assert (entry.kind, entry.shared_by, entry.highlights, entry.cites) == (None, None, (), ())


def test_a_malformed_shared_atom_is_refused_not_read_without_its_highlights() -> None:
    body = (DATA / "shared" / "alice" / "shared.atom").read_bytes()
    from pkm.errors import ParseError

    with pytest.raises(ParseError, match=r"malformed shared\.atom"):
        parse_feed(body[: len(body) // 2], "file:///team/alice/shared.atom")


def test_an_edit_changes_the_entry_hash_and_an_unchanged_feed_does_not() -> None:
    def rows(comment: str) -> list[tuple[Any, str, str | None]]:
        body = shared_atom(
            "alice",
            item_entry(
                "alice", 1, "https://example.com/a", [highlight("h1", "x", comment=comment)]
            ),
        )
        return entry_rows(parse_feed(body, "file:///a").entries)

    assert rows("one")[0][1] == rows("one")[0][1]
    assert rows("one")[0][1] != rows("two")[0][1]


# --- deciding (pure) ---------------------------------------------------------------------------


def test_deciding_a_shared_entry_is_a_pure_function_of_the_entry_and_what_is_stored() -> None:
    body = shared_atom(
        "alice",
        item_entry(
            "alice",
            1,
            "https://example.com/spacing",
            [
                highlight("h-kept", "Reviews are cheap."),
                highlight("h-edited", "forgetting curve", comment="new"),
                highlight("h-new", "not in the reader's text"),
            ],
        ),
    )
    [row] = entry_rows(parse_feed(body, "file:///a").entries)
    kept, _, _ = row[0].highlights
    known = Known(
        items_by_url_key={"example.com/spacing": 40},
        shared={
            "h-kept": StoredShared(1, 40, shared_hash(kept)),
            "h-edited": StoredShared(2, 40, "old hash"),
            "h-gone": StoredShared(3, 40, "whatever"),
        },
        item_texts={40: ARTICLE},
    )
    [update] = entry_updates([row], known, FIXED_NOW)
    assert (update.action, update.item_id, update.write_content) == (EntryAction.LINK, 40, False)
    assert update.removed_annotations == (3,)
    by_id = {a.shared_id: a for a in update.annotations}
    assert set(by_id) == {"h-edited", "h-new"}  # the kept one is unchanged: not rewritten
    assert by_id["h-edited"].annotation_id == 2 and by_id["h-edited"].comment == "new"
    position = by_id["h-edited"].position
    assert position is not None and ARTICLE[position.start : position.end] == "forgetting curve"
    assert by_id["h-edited"].state is AnnotationState.ANCHORED
    new = by_id["h-new"]
    assert (new.annotation_id, new.state, new.position) == (None, AnnotationState.ORPHANED, None)
    assert new.quote is not None and new.quote.exact == "not in the reader's text"
    assert new.shared_by == "alice"


# --- the loop, end to end ----------------------------------------------------------------------


@pytest.fixture
def loop(tmp_path: Path, feed_server: FeedServer) -> dict[str, Any]:
    """A and B read the same article from their own feeds (linked in two spellings, B's
    copy with a sentence more); A highlights it and publishes to the team folder."""
    team = tmp_path / "team"
    a_home, b_home = make_home(tmp_path, "alice"), make_home(tmp_path, "bob")
    a_url = "https://example.com/spacing?utm_source=rss"
    cli(a_home, "seek", "add", feed_server.route("/a.xml", rss(a_url, ARTICLE)))
    b_text = "A note from the editor. " + ARTICLE
    cli(
        b_home,
        "seek",
        "add",
        feed_server.route("/b.xml", rss("http://example.com/spacing/", b_text)),
    )
    [a_item] = as_json(a_home, "sense", "inbox")
    [b_item] = as_json(b_home, "sense", "inbox")
    assert b_item["content_text"] == b_text
    cli(
        a_home,
        "sense",
        "annotate",
        str(a_item["id"]),
        "--highlight",
        "The forgetting curve",
        "--comment",
        "The key idea.",
        "-t",
        "memory",
    )
    cli(b_home, "sense", "annotate", str(b_item["id"]), "--highlight", "Reviews are cheap.")
    a_highlight = a_highlight_from(a_home, a_item["id"], "alice")
    publish_by_hand(team, "alice", item_entry("alice", a_item["id"], a_url, [a_highlight]))
    publish_by_hand(team, "bob", item_entry("bob", 1, "https://example.com/bob-only", []))
    return {"team": team, "a": a_home, "b": b_home, "b_item": b_item["id"], "a_url": a_url}


def test_b_follows_the_team_and_has_one_item_carrying_a_s_highlight(loop: dict[str, Any]) -> None:
    b, team = loop["b"], loop["team"]
    results = as_json(b, "seek", "add", str(team))
    assert [Path(r["input"]).parent.name for r in results] == ["alice"]  # not bob's own
    cli(b, "seek", "--all")  # the next run brings nothing new
    [item] = as_json(b, "sense", "inbox", "--all")
    assert item["id"] == loop["b_item"]
    assert item["title"] == "Spaced repetition" and item["content_text"].startswith("A note")
    mine, theirs = _split(b)
    assert [a["exact"] for a in mine] == ["Reviews are cheap."]
    [shared] = theirs
    assert shared["shared_by"] == "alice" and shared["comment"] == "The key idea."
    assert shared["tags"] == ["memory"] and shared["state"] == "anchored"
    text = item["content_text"]
    assert text[shared["start"] : shared["end"]] == "The forgetting curve"  # in B's own copy
    assert shared["item_id"] == loop["b_item"]


def _split(home: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    annotations = as_json(home, "sense", "annotations")
    return (
        [a for a in annotations if a["shared_by"] is None],
        [a for a in annotations if a["shared_by"] is not None],
    )


def test_show_lists_a_teammate_s_highlights_apart_from_the_reader_s(loop: dict[str, Any]) -> None:
    b = loop["b"]
    cli(b, "seek", "add", str(loop["team"]))
    item = str(loop["b_item"])
    shown = cli(b, "sense", "show", item).stdout
    assert "Shared by alice" in shown
    assert "==Reviews are cheap.==" in shown  # the reader's own, marked in the text
    assert "==The forgetting curve==" not in shown  # a teammate's is not the reader's
    shared_part = shown[shown.index("Shared by alice") :]
    assert "The forgetting curve" in shared_part and "The key idea." in shared_part
    view = as_json(b, "sense", "show", item)
    assert sorted(str(a["shared_by"]) for a in view["annotations"]) == ["None", "alice"]
    [own] = as_json(b, "sense", "annotations", "--mine")
    assert own["shared_by"] is None
    table = cli(b, "sense", "annotations").stdout
    assert "shared by" in table and "alice" in table


def test_search_finds_a_teammate_s_comments(loop: dict[str, Any]) -> None:
    b = loop["b"]
    cli(b, "seek", "add", str(loop["team"]))
    hits = as_json(b, "sense", "search", "key idea")
    assert [(h["kind"], h["item_id"]) for h in hits] == [("annotation", loop["b_item"])]


def test_a_highlight_edited_and_removed_upstream_follows_the_feed(loop: dict[str, Any]) -> None:
    a, b, team = loop["a"], loop["b"], loop["team"]
    cli(b, "seek", "add", str(team))
    mine_before, [first] = _split(b)
    [a_item] = as_json(a, "sense", "inbox", "--all")
    [a_annotation] = as_json(a, "sense", "annotations")
    cli(a, "sense", "annotation", "edit", str(a_annotation["id"]), "--comment", "Edited.")
    edited = a_highlight_from(a, a_item["id"], "alice")
    extra = highlight("tag:pkm,2026:alice/annotation/99", "", comment="A second thought.")
    publish_by_hand(
        team, "alice", item_entry("alice", a_item["id"], loop["a_url"], [edited, extra])
    )
    cli(b, "seek", "--all")
    mine, theirs = _split(b)
    assert mine == mine_before
    by_comment = {t["comment"]: t for t in theirs}
    assert set(by_comment) == {"Edited.", "A second thought."}
    assert by_comment["Edited."]["id"] == first["id"]  # updated in place
    assert by_comment["A second thought."]["exact"] is None  # a comment on the whole item
    [item] = as_json(b, "sense", "inbox", "--all")
    assert item["content_text"].startswith("A note from the editor.")  # never overwritten

    publish_by_hand(team, "alice", item_entry("alice", a_item["id"], loop["a_url"], [extra]))
    cli(b, "seek", "--all")
    mine, theirs = _split(b)
    assert mine == mine_before
    assert [t["comment"] for t in theirs] == ["A second thought."]


def test_a_teammate_s_highlights_are_reanchored_like_any_other(
    loop: dict[str, Any], feed_server: FeedServer
) -> None:
    b = loop["b"]
    cli(b, "seek", "add", str(loop["team"]))
    new_text = "Two notes from the editor, now. " + ARTICLE
    feed_server.route("/b.xml", rss("http://example.com/spacing/", new_text))
    cli(b, "seek", "--all")
    mine, [theirs] = _split(b)
    assert theirs["state"] == "moved" and mine[0]["state"] == "moved"
    assert new_text[theirs["start"] : theirs["end"]] == "The forgetting curve"


def test_unfollowing_removes_only_the_teammate_s_highlights(loop: dict[str, Any]) -> None:
    b = loop["b"]
    [result] = as_json(b, "seek", "add", str(loop["team"]))
    cli(b, "seek", "remove", str(result["source_id"]))
    mine, theirs = _split(b)
    assert theirs == [] and [a["exact"] for a in mine] == ["Reviews are cheap."]
    assert [i["id"] for i in as_json(b, "sense", "inbox", "--all")] == [loop["b_item"]]


def test_a_broken_file_upstream_costs_no_highlight(loop: dict[str, Any]) -> None:
    b, team = loop["b"], loop["team"]
    cli(b, "seek", "add", str(team))
    path = team / "alice" / "shared.atom"
    path.write_bytes(path.read_bytes()[:-200])  # caught half-synced
    result = as_json(b, "seek", "--all", code=3)
    [failed] = [s for s in result["sources"] if s["outcome"] == "failed"]
    assert "malformed shared.atom" in failed["error"]
    assert len(_split(b)[1]) == 1


# --- following a team folder -----------------------------------------------------------------


def test_seek_add_dir_follows_every_author_but_the_reader(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team"
    for author in ("alice", "carol", "dave"):
        publish_by_hand(team, author, item_entry(author, 1, f"https://example.com/{author}", []))
    (team / "README.md").write_text("not a teammate")
    (team / "empty").mkdir()  # a teammate who never published
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "Dave")  # no [share] author: the OS user
    results = as_json(home, "seek", "add", str(team))
    assert [Path(r["input"]).parent.name for r in results] == ["alice", "carol"]
    assert all(r["created"] for r in results)
    items = as_json(home, "sense", "inbox")
    assert sorted(i["author"] for i in items) == ["alice", "carol"]
    again = as_json(home, "seek", "add", str(team))
    assert [r["message"] for r in again] == ["already subscribed"] * 2
    lone = tmp_path / "lone"
    publish_by_hand(lone, "dave", item_entry("dave", 1, "https://example.com/d", []))
    result = cli(home, "seek", "add", str(lone), code=3)
    assert "no teammate's shared.atom" in result.stderr


def test_a_shared_atom_over_http_brings_new_items_with_their_author(
    home: Path, feed_server: FeedServer
) -> None:
    body = (DATA / "shared" / "alice" / "shared.atom").read_bytes()
    cli(
        home,
        "seek",
        "add",
        feed_server.route("/alice/shared.atom", body, content_type="application/atom+xml"),
    )
    items = {i["title"]: i for i in as_json(home, "sense", "inbox")}
    article, note = items["Spaced repetition"], items["On memory"]
    assert article["author"] == note["author"] == "alice"
    quote, comment = as_json(home, "sense", "annotations", "--item", str(article["id"]))
    assert {quote["shared_by"], comment["shared_by"]} == {"alice"}
    # Not in the reader's inbox before: placed in the text the teammate shared.
    placed = quote if quote["exact"] else comment
    assert placed["state"] == "anchored"
    assert note["cites"] == [
        {
            "url": "https://example.com/spacing",
            "title": "Spaced repetition",
            "item_id": article["id"],
        }
    ]
    view = as_json(home, "sense", "show", str(note["id"]))
    assert "Reviews work best just before forgetting." in view["content_text"]
    assert "Spaced repetition" in view["content_text"]  # the cited articles, in its text


def test_a_note_cites_the_reader_s_own_copy(loop: dict[str, Any]) -> None:
    b, team = loop["b"], loop["team"]
    note = note_entry(
        "alice",
        "memory.md",
        "On memory",
        "<p>Reviews work.</p>",
        [(loop["a_url"], "Spaced repetition"), ("javascript:alert(1)", "trap")],
    )
    path = team / "alice" / "shared.atom"
    path.write_bytes(path.read_bytes().replace(b"</feed>", note.encode() + b"</feed>"))
    cli(b, "seek", "add", str(team))
    [shown] = [i for i in as_json(b, "sense", "inbox", "--all") if i["title"] == "On memory"]
    assert shown["author"] == "alice"
    assert shown["cites"] == [
        {"url": loop["a_url"], "title": "Spaced repetition", "item_id": loop["b_item"]}
    ]
    text = cli(b, "sense", "show", str(shown["id"])).stdout
    assert "Cited articles in your inbox" in text and "javascript" not in text


# --- hostile input -----------------------------------------------------------------------------


def test_hostile_names_quotes_and_comments_are_stored_safely(home: Path, tmp_path: Path) -> None:
    evil = "<b>eve</b>\x1b]52;c;cHduZWQ=\x07\u009b31m &amp; \u202e"
    body = shared_atom(
        "eve",
        item_entry(
            "eve" + evil,
            1,
            "https://example.com/x",
            [
                highlight(
                    "tag:pkm,2026:eve/annotation/1" + evil,
                    "quote" + evil,
                    prefix="p" * 5000,
                    suffix="s" * 5000,
                    comment="<script>alert(1)</script>" + evil * 3,
                    tags=(evil, "ok", "ok"),
                )
            ],
        ),
    )
    # Raw controls are not XML: a feed carries them as they arrive (bytes), and repairs drop them.
    path = tmp_path / "team" / "eve" / "shared.atom"
    path.parent.mkdir(parents=True)
    path.write_bytes(body.replace(b"\\x1b", b"\x1b"))
    cli(home, "seek", "add", str(path.parent.parent))
    [a] = as_json(home, "sense", "annotations")
    for value in (a["shared_by"], a["exact"], a["comment"], *a["tags"]):
        assert not CONTROLS.search(value), repr(value)
    assert a["shared_by"].startswith("eve<b>eve</b>")  # text, kept as text
    assert a["comment"].startswith("<script>alert(1)</script>")
    assert len(a["prefix"]) <= 32 and len(a["suffix"]) <= 32
    assert a["tags"] == sorted(dict.fromkeys(a["tags"])) and "ok" in a["tags"]
    shown = cli(home, "sense", "show", str(a["item_id"])).stdout
    assert not CONTROLS.search(shown.replace("\n", "").replace("\t", ""))


def test_a_huge_number_of_highlights_is_capped(home: Path, tmp_path: Path) -> None:
    limits = FeedLimits()
    many = [
        highlight(f"h{n}", f"quote {n}", comment="c" * 50)
        for n in range(limits.max_highlights + 500)
    ]
    body = shared_atom("alice", item_entry("alice", 1, "https://example.com/many", many))
    feed = parse_feed(body, "file:///team/alice/shared.atom")
    [entry] = feed.entries
    assert len(entry.highlights) == limits.max_highlights
    assert any("max_highlights" in w for w in feed.warnings)
    path = publish_by_hand(tmp_path / "team", "x", "")
    path.write_bytes(body)
    cli(home, "seek", "add", str(path))
    pkm = open_pkm(home)
    try:
        assert len(pkm.store.get_annotations()) == limits.max_highlights
    finally:
        pkm.close()


def test_a_huge_quote_is_cut(home: Path) -> None:
    limits = FeedLimits()
    body = shared_atom(
        "alice",
        item_entry(
            "alice",
            1,
            "https://example.com/big",
            [highlight("h", "q" * (limits.max_highlight_bytes * 3))],
        ),
    )
    [entry] = parse_feed(body, "file:///a").entries
    assert len(entry.highlights[0].exact.encode()) == limits.max_highlight_bytes


def test_the_loop_through_pkm_share_publish(tmp_path: Path, feed_server: FeedServer) -> None:
    """The issue's loop with nothing written by hand: A and B read the same article from
    their own feeds, A highlights and runs `pkm share publish`, B follows the team folder
    and has one item carrying A's highlight, placed in B's own copy of the text."""
    team = tmp_path / "team"
    team.mkdir()
    a_home, b_home = make_home(tmp_path, "alice"), make_home(tmp_path, "bob")
    a_url = "https://example.com/spacing?utm_source=rss"
    cli(a_home, "seek", "add", feed_server.route("/a.xml", rss(a_url, ARTICLE)))
    b_text = "A note from the editor. " + ARTICLE
    b_feed = feed_server.route("/b.xml", rss("http://example.com/spacing/", b_text))
    cli(b_home, "seek", "add", b_feed)
    [a_item] = as_json(a_home, "sense", "inbox")
    [b_item] = as_json(b_home, "sense", "inbox")
    cli(a_home, "sense", "annotate", str(a_item["id"]), "--highlight", "The forgetting curve",
        "--comment", "The key idea.")  # fmt: skip
    cli(a_home, "share", "publish", "--to", str(team), "--no-commit", "--quiet")
    cli(b_home, "share", "publish", "--to", str(team), "--no-commit", "--quiet")
    assert (team / "alice" / "shared.atom").is_file() and (team / "index.html").is_file()
    followed = as_json(b_home, "seek", "add", str(team))
    assert [Path(r["input"]).parent.name for r in followed] == ["alice"]
    [item] = as_json(b_home, "sense", "inbox", "--all")
    assert item["id"] == b_item["id"]
    [shared] = as_json(b_home, "sense", "annotations")
    assert shared["shared_by"] == "Alice" and shared["comment"] == "The key idea."
    assert item["content_text"][shared["start"] : shared["end"]] == "The forgetting curve"
