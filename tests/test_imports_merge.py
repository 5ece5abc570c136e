"""Deciding an import against the index: pure, from a plan and the facts the index holds."""

from datetime import UTC, datetime

from pkm.imports.merge import Known, StoredItem, decide
from pkm.imports.plan import ImportedAnnotation, ImportedItem, ImportFormat, ImportPlan
from pkm.imports.report import ItemAction
from pkm.models import (
    Annotation,
    AnnotationState,
    EntryAction,
    ItemStatus,
    TextPosition,
    TextQuote,
)

NOW = datetime(2026, 2, 2, 9, tzinfo=UTC)
EARLY = datetime(2020, 1, 1, tzinfo=UTC)
LATE = datetime(2021, 1, 1, tzinfo=UTC)
TEXT = "Compost turns scraps into black gold. Worms do most of the work, quietly."


def plan(*items: ImportedItem) -> ImportPlan:
    return ImportPlan(ImportFormat.POCKET, items)


def page(ref: str, url: str, **fields: object) -> ImportedItem:
    return ImportedItem(ref=ref, key=url, url=url, title=ref, **fields)  # type: ignore[arg-type]


def highlight(exact: str, **fields: object) -> ImportedAnnotation:
    return ImportedAnnotation(ref="h", quote=TextQuote(exact), **fields)  # type: ignore[arg-type]


def held(item_id: int, exact: str | None, comment: str = "", at: int = 0) -> Annotation:
    quote = TextQuote(exact) if exact is not None else None
    position = TextPosition(at, at + len(exact)) if exact is not None else None
    return Annotation(
        id=item_id * 100 + at,
        item_id=item_id,
        quote=quote,
        position=position,
        comment=comment,
        tags=(),
        state=AnnotationState.ANCHORED,
        created_at=EARLY,
        updated_at=EARLY,
    )


def known(*items: StoredItem, keys: dict[str, int] | None = None) -> Known:
    return Known(items_by_url_key=keys or {}, items={i.item_id: i for i in items})


def test_a_new_item_sorts_by_when_it_was_saved_never_later_than_now() -> None:
    future = datetime(2030, 1, 1, tzinfo=UTC)
    old, unknown, ahead = decide(
        plan(
            page("line 2", "https://e.com/a", saved=EARLY, status=ItemStatus.ARCHIVED),
            page("line 3", "https://e.com/b"),
            page("line 4", "https://e.com/c", saved=future),
        ),
        Known(),
        now=NOW,
        tags=["imported"],
    )
    assert old.action is ItemAction.ADDED and old.entry is not None
    assert (old.entry.action, old.entry.sort_at, old.entry.url_key) == (
        EntryAction.NEW,
        EARLY,
        "e.com/a",
    )
    assert (old.status, old.status_at, old.tags) == (ItemStatus.ARCHIVED, EARLY, ("imported",))
    assert unknown.status is None and unknown.entry is not None and unknown.entry.sort_at == NOW
    assert ahead.entry is not None and ahead.entry.sort_at == NOW


def test_repeats_of_an_entry_merge_into_the_first() -> None:
    first, repeat = decide(
        plan(
            page("line 2", "https://e.com/a/", saved=LATE, tags=("x",)),
            page(
                "line 9",
                "http://e.com/a?utm_source=y",
                saved=EARLY,
                tags=("y", "x"),
                status=ItemStatus.ARCHIVED,
            ),
        ),
        Known(),
        now=NOW,
    )
    assert first.entry is not None and first.entry.sort_at == EARLY
    assert (first.status, first.tags) == (ItemStatus.ARCHIVED, ("x", "y"))
    assert (repeat.action, repeat.repeat_of, repeat.entry) == (ItemAction.SKIPPED, 0, None)
    assert repeat.reason == "the same page as line 2: merged into it"


def test_an_indexed_item_keeps_what_the_person_did_with_it() -> None:
    unread = StoredItem(1, ItemStatus.UNREAD, frozenset({"x"}), "text")
    read = StoredItem(2, ItemStatus.READ, frozenset(), "text")
    gone = StoredItem(3, ItemStatus.DELETED, frozenset(), "text")
    a, b, c = decide(
        plan(
            page("line 2", "https://e.com/1", status=ItemStatus.ARCHIVED, tags=("x", "y")),
            page("line 3", "https://e.com/2", status=ItemStatus.ARCHIVED),
            page("line 4", "https://e.com/3", tags=("z",), annotations=(highlight("text"),)),
        ),
        known(unread, read, gone, keys={"e.com/1": 1, "e.com/2": 2, "e.com/3": 3}),
        now=NOW,
    )
    assert (a.action, a.item_id, a.status, a.tags) == (
        ItemAction.MERGED,
        1,
        ItemStatus.ARCHIVED,
        ("y",),
    )
    assert a.entry is not None and a.entry.action is EntryAction.LINK and a.entry.sort_at is None
    assert (b.action, b.status, b.reason) == (ItemAction.MERGED, None, "linked")
    assert (c.action, c.deleted, c.annotations, c.tags) == (ItemAction.SKIPPED, True, (), ())


def test_annotations_already_there_are_matched_one_for_one() -> None:
    stored = StoredItem(
        1,
        ItemStatus.READ,
        frozenset(),
        TEXT + " Worms do most of the work, quietly.",
        (held(1, "Worms do most of the work, quietly.", at=38), held(1, None, "Nice.")),
    )
    [d] = decide(
        plan(
            page(
                "line 2",
                "https://e.com/1",
                annotations=(
                    highlight("Worms  do most of\nthe work, quietly.", comment="edited elsewhere"),
                    highlight("Worms do most of the work, quietly."),
                    ImportedAnnotation(ref="n", quote=None, comment="Nice."),
                    ImportedAnnotation(ref="n2", quote=None, comment="Also nice."),
                ),
            )
        ),
        Known(entries={"https://e.com/1": (1, "hash")}, items={1: stored}),
        now=NOW,
    )
    assert (d.action, d.annotations_skipped, d.entry) == (ItemAction.MERGED, 2, None)
    second, comment = d.annotations
    assert second.quote is not None and second.quote.exact == "Worms do most of the work, quietly."
    assert second.position == TextPosition(74, 109)  # the other occurrence is the second one
    assert (comment.quote, comment.comment, comment.created_at) == (None, "Also nice.", NOW)


def test_a_highlight_is_anchored_fuzzy_or_orphaned_and_dated_as_exported() -> None:
    item = page(
        "line 2",
        "https://e.com/1",
        content_text=TEXT,
        annotations=(
            highlight("Worms do most of the work, quietly!", created=EARLY, updated=LATE),
            highlight("Nothing like this is in the text at all", created=LATE),
        ),
    )
    [d] = decide(plan(item), Known(), now=NOW)
    fuzzy, orphan = d.annotations
    assert fuzzy.state is AnnotationState.FUZZY and fuzzy.quote is not None
    assert TEXT[fuzzy.position.start : fuzzy.position.end] == fuzzy.quote.exact  # type: ignore[union-attr]
    assert (fuzzy.created_at, fuzzy.updated_at) == (EARLY, LATE)
    assert orphan.state is AnnotationState.ORPHANED and orphan.updated_at == LATE
    assert orphan.quote == TextQuote("Nothing like this is in the text at all")
    # Imported again onto the item as it is now: the fuzzy one matches as placed.
    stored = StoredItem(
        7,
        ItemStatus.UNREAD,
        frozenset(),
        TEXT,
        (held(7, fuzzy.quote.exact, at=fuzzy.position.start), held(7, orphan.quote.exact)),  # type: ignore[union-attr]
    )
    [again] = decide(plan(item), Known(entries={item.key: (7, "h")}, items={7: stored}), now=NOW)
    assert (again.action, again.annotations_skipped) == (ItemAction.SKIPPED, 2)


def test_a_book_gains_its_new_clippings_after_those_it_has() -> None:
    book = ImportedItem(
        ref="line 1",
        key="kindle:Book (Ann)",
        url=None,
        title="Book",
        status=ItemStatus.READ,
        content_text="Second.\n\nNew one.\n\nFirst.",
        paragraphs=True,
        annotations=(highlight("Second."), highlight("New one."), highlight("First.")),
    )
    stored = StoredItem(
        5,
        ItemStatus.READ,
        frozenset(),
        "First.\n\nSecond.",
        (held(5, "First.", at=0), held(5, "Second.", at=8)),
    )
    [d] = decide(plan(book), Known(entries={book.key: (5, "h")}, items={5: stored}), now=NOW)
    assert d.entry is not None and d.entry.action is EntryAction.CHANGE
    assert d.text == d.entry.entry.content_text == "First.\n\nSecond.\n\nNew one."
    assert d.entry.entry.content_html == "<p>First.</p><p>Second.</p><p>New one.</p>"
    [new] = d.annotations
    assert (new.position, new.state, d.annotations_skipped) == (
        TextPosition(17, 25),
        AnnotationState.ANCHORED,
        2,
    )
