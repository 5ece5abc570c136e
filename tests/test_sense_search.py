"""Search: one ranked index over items, highlights and notes."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pkm.errors import QueryError
from pkm.models import ItemStatus, ParsedEntry, SearchFilter, SourceKind
from pkm.seek.decide import entry_updates
from pkm.seek.parse import entry_rows
from pkm.seek.update import read_known
from pkm.sense.search import fts_query
from pkm.store import Store

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def put_items(
    store: Store, url: str, entries: dict[str, tuple[str, str]], *, indexed: bool = True
) -> dict[str, int]:
    """Items from a feed at `url`: entry id -> (title, text), indexed for search unless told
    not to (then they wait in the backlog, as after a seek). Returns entry id -> item id."""
    source, _ = store.add_source(url, url, SourceKind.FEED, now=NOW)
    parsed = [
        ParsedEntry(
            entry_id=key,
            url=f"https://example.org/{key}",
            title=title,
            author=None,
            published=NOW,
            updated=None,
            summary=None,
            content_html=f"<p>{text}</p>",
            content_text=text,
        )
        for key, (title, text) in entries.items()
    ]
    rows = entry_rows(parsed)
    with store.transaction():
        known = read_known(store, store.get_source(str(source.id)), rows)
        stored = store.apply_entry_updates(source.id, entry_updates(rows, known, NOW), NOW)
    if indexed:
        store.index_backlog()  # what the search service does before it searches
    return dict(zip(entries, stored.new_item_ids, strict=True))


def put_annotation(store: Store, item_id: int, exact: str, comment: str = "") -> int:
    with store.transaction():
        cursor = store.db.execute(
            "INSERT INTO annotations (item_id, exact, comment, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [item_id, exact, comment, "2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z"],
        )
    return int(cursor.lastrowid or 0)


def put_note(store: Store, title: str, body: str) -> int:
    with store.transaction():
        cursor = store.db.execute(
            "INSERT INTO notes (path, name, title, size, mtime_ns, content_hash, indexed_at)"
            " VALUES (?, ?, ?, 0, 0, '', '2026-02-01T00:00:00Z')",
            [f"{title}.md", title, title],
        )
        note_id = int(cursor.lastrowid or 0)
        store.db.execute(
            "INSERT INTO search (rowid, title, quote, body) VALUES (?, ?, '', ?)",
            [note_id * 4 + 2, title, body],
        )
    return note_id


@pytest.fixture
def store(home: Path) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(home / "pkm.db")
    yield store
    store.close()


def kinds_and_ids(hits):  # type: ignore[no-untyped-def]
    return [(h.kind, h.id) for h in hits]


def test_one_query_finds_items_highlights_and_notes(store: Store) -> None:
    items = put_items(
        store,
        "https://a.example/feed",
        {"z": ("Zettelkasten", "a method of notes"), "o": ("Other", "nothing here")},
    )
    ann = put_annotation(store, items["o"], "the zettelkasten grows", "so it does")
    note = put_note(store, "Notes on notes", "my zettelkasten is a garden")
    hits = store.search(fts_query("zettelkasten"), SearchFilter(), 10)
    assert set(kinds_and_ids(hits)) == {("item", items["z"]), ("annotation", ann), ("note", note)}
    # A title outweighs a highlight, which outweighs a body.
    assert kinds_and_ids(hits) == [("item", items["z"]), ("annotation", ann), ("note", note)]
    annotation_hit = hits[1]
    assert annotation_hit.item_id == items["o"] and annotation_hit.title == "Other"


def test_snippets_mark_the_matches(store: Store) -> None:
    put_items(store, "https://a.example/feed", {"a": ("T", "alpha beta gamma delta")})
    (hit,) = store.search(fts_query("gamma"), SearchFilter(), 10)
    assert "\ue000gamma\ue001" in hit.snippet


def test_filters_narrow_by_kind_status_and_tag(store: Store) -> None:
    items = put_items(
        store, "https://a.example/feed", {"a": ("one", "shared word"), "b": ("two", "shared")}
    )
    put_note(store, "three", "shared")
    store.set_item_status([items["b"]], ItemStatus.READ, NOW)
    store.add_item_tags(items["a"], ["keep"])
    by_kind = store.search("shared", SearchFilter(kinds=("note",)), 10)
    assert [h.kind for h in by_kind] == ["note"]
    read = store.search("shared", SearchFilter(statuses=(ItemStatus.READ,)), 10)
    assert kinds_and_ids(read) == [("item", items["b"])]
    tagged = store.search("shared", SearchFilter(tags=("keep",)), 10)
    assert kinds_and_ids(tagged) == [("item", items["a"])]


def test_text_in_other_languages_is_found_without_stemming_or_accents(store: Store) -> None:
    items = put_items(
        store,
        "https://a.example/feed",
        {"de": ("Zürich", "Die Straße nach Zürich"), "en": ("running", "runs and running")},
    )
    assert kinds_and_ids(store.search(fts_query("zurich"), SearchFilter(), 10)) == [
        ("item", items["de"])
    ]
    assert kinds_and_ids(store.search(fts_query("straße"), SearchFilter(), 10)) == [
        ("item", items["de"])
    ]
    ja = put_items(store, "https://b.example/feed", {"ja": ("日本", "東京は大きい")})
    assert kinds_and_ids(store.search(fts_query("東京"), SearchFilter(), 10)) == [
        ("item", ja["ja"])
    ]
    # No English stemmer: "run" is not "running", but a prefix finds both.
    assert store.search(fts_query("run"), SearchFilter(), 10) == []
    assert len(store.search(fts_query("run*"), SearchFilter(), 10)) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("plain words", "plain words"),
        ("e-mail", '"e-mail"'),
        ("c++ AND rust", '"c++" AND rust'),
        ("title:zettel", "title : zettel"),
        ('highlight:"a phrase"', 'quote : "a phrase"'),
        ("https://x.org/a", '"https://x.org/a"'),
        ("pre*", "pre*"),
        ("e-ma*", '"e-ma"*'),
        ("東京", "東京*"),
    ],
)
def test_query_words_with_punctuation_become_phrases(typed: str, expected: str) -> None:
    assert fts_query(typed) == expected


@pytest.mark.parametrize("query", ['"', "AND", "*", "NEAR(", "a OR", "(a", "title:"])
def test_malformed_queries_are_query_errors(store: Store, query: str) -> None:
    put_items(store, "https://a.example/feed", {"a": ("T", "text")})
    with pytest.raises(QueryError, match="search query"):
        store.search(fts_query(query), SearchFilter(), 10)


@pytest.mark.parametrize("query", ['"', "AND", "*", "NEAR(", "   "])
def test_cli_malformed_query_is_a_one_line_usage_error(run, store: Store, query: str) -> None:  # type: ignore[no-untyped-def]
    result = run("sense", "search", query, code=2)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_search_json_and_ids(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    items = put_items(
        store,
        "https://a.example/feed",
        {"a": ("Gardens", "digital gardens grow"), "b": ("Streams", "no match")},
    )
    ann = put_annotation(store, items["b"], "gardens of notes")
    hits = json.loads(run("sense", "search", "gardens", "--json").stdout)
    assert [(h["kind"], h["id"]) for h in hits] == [("item", items["a"]), ("annotation", ann)]
    first = hits[0]
    start, end = first["matches"][0]
    assert first["snippet"][start:end].lower() == "gardens"
    # --ids: the items the hits are about (a highlight counts for its item), for piping.
    ids = run("sense", "search", "gardens", "--ids").stdout.split()
    assert ids == [str(items["a"]), str(items["b"])]


def test_cli_search_table_shows_titles_and_snippets(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    put_items(store, "https://a.example/feed", {"a": ("Gardens \x1b[2J", "digital gardens")})
    out = run("sense", "search", "digital").stdout
    assert "Gardens" in out and "digital gardens" in out
    assert "\x1b" not in out


def test_a_search_indexes_the_items_stored_since_the_last_one(store: Store, home: Path) -> None:
    from pkm.core import open_pkm
    from pkm.sense.search import SearchQuery, search

    items = put_items(store, "https://a.example/feed", {"z": ("Z", "zettelkasten")}, indexed=False)
    assert store.search(fts_query("zettelkasten"), SearchFilter(), 10) == []
    readonly = open_pkm(home, readonly=True)  # cannot index: searches the index as it is
    try:
        assert search(readonly, SearchQuery("zettelkasten")) == []
    finally:
        readonly.close()
    pkm = open_pkm(home)
    try:
        hits = search(pkm, SearchQuery("zettelkasten"))
    finally:
        pkm.close()
    assert kinds_and_ids(hits) == [("item", items["z"])]
    assert store.db.execute("SELECT count(*) FROM search_backlog").fetchone()[0] == 0


def test_related_items_share_distinctive_terms(store: Store, home: Path) -> None:
    from pkm.core import open_pkm
    from pkm.sense.search import related

    filler = {f"f{i}": (f"filler {i}", "common words everywhere") for i in range(20)}
    items = put_items(
        store,
        "https://a.example/feed",
        {
            "a": ("Zettelkasten method", "luhmann slips zettelkasten common"),
            "b": ("Luhmann's slips", "luhmann slips archive common"),
            "c": ("Cooking", "pasta common"),
            **filler,
        },
    )
    note = put_note(store, "Reading list", "I should read about zettelkasten method soon")
    pkm = open_pkm(home)
    try:
        found = related(pkm, "item", items["a"], title="Zettelkasten method")
    finally:
        pkm.close()
    assert (found.similar[0].kind, found.similar[0].id) == ("item", items["b"])
    assert ("item", items["c"]) not in [(h.kind, h.id) for h in found.similar]
    assert [(h.kind, h.id) for h in found.unlinked_mentions] == [("note", note)]


def test_cli_related_lists_similar_items_and_unknown_ids_exit_3(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    filler = {f"f{i}": (f"filler {i}", "common words") for i in range(10)}
    items = put_items(
        store,
        "https://a.example/feed",
        {"a": ("Gardens", "mulch compost gardens"), "b": ("Compost", "mulch compost"), **filler},
    )
    found = json.loads(run("sense", "related", str(items["a"]), "--json").stdout)
    assert found["similar"][0]["id"] == items["b"]
    result = run("sense", "related", "99999", code=3)
    assert result.stderr.strip() == "pkm: error: no such item: 99999"


def test_search_and_related_follow_notes_written_in_an_editor(
    run, store: Store, home: Path
) -> None:  # type: ignore[no-untyped-def]
    filler = {f"f{i}": (f"filler {i}", "common words") for i in range(10)}
    items = put_items(
        store, "https://a.example/feed", {"a": ("Mulch", "mulch compost beds"), **filler}
    )
    vault = home / "notes"
    vault.mkdir()
    (vault / "compost.md").write_text(
        "---\ntitle: Compost heaps\n---\nmulch and compost beds, layered\n", encoding="utf-8"
    )
    (vault / "garden.md").write_text("Thinking about compost heaps today.\n", encoding="utf-8")
    (vault / "linked.md").write_text("See [[compost]]: compost heaps.\n", encoding="utf-8")
    hits = json.loads(run("sense", "search", "compost", "--type", "note", "--json").stdout)
    assert {h["path"] for h in hits} == {"compost.md", "garden.md", "linked.md"}
    found = json.loads(run("sense", "related", "compost", "--json").stdout)
    assert found["similar"][0]["id"] == items["a"]
    # garden.md names "Compost heaps" without a link; linked.md links to it.
    assert [h["path"] for h in found["unlinked_mentions"]] == ["garden.md"]
    (vault / "garden.md").unlink()
    hits = json.loads(run("sense", "search", "compost", "--type", "note", "--json").stdout)
    assert {h["path"] for h in hits} == {"compost.md", "linked.md"}


def test_a_note_is_searched_without_pkms_markers(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    vault = home / "notes"
    vault.mkdir(parents=True)
    (vault / "n.md").write_text(
        "# N\n\n<!-- pkm:begin sources -->\nquoted compost\n<!-- pkm:end sources -->\n",
        encoding="utf-8",
    )
    (hit,) = json.loads(run("sense", "search", "compost", "--json").stdout)
    assert "pkm:begin" not in hit["snippet"] and "compost" in hit["snippet"]
    assert json.loads(run("sense", "search", "begin", "--json").stdout) == []


def test_a_search_while_the_index_is_locked_answers_from_what_is_indexed(
    run, store: Store, home: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    items = put_items(store, "https://a.example/feed", {"z": ("Z", "zettelkasten")}, indexed=False)
    (home / "pkm.toml").write_text("[index]\nbusy_timeout = 0.2\n")
    holder = sqlite3.connect(home / "pkm.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = run("sense", "search", "zettelkasten", "--json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert json.loads(locked.stdout) == []
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("pkm: warning: new items are not searched yet: database is locked")
    found = run("sense", "search", "zettelkasten", "--json")
    assert [h["id"] for h in json.loads(found.stdout)] == [items["z"]]
