"""Anchoring highlights, pure: finding a quote, and re-anchoring it in a changed text."""

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from pkm.cli._editor import parse_annotate_template, parse_comment_template
from pkm.models import Annotation, AnnotationState, TextPosition, TextQuote
from pkm.sense.anchoring import CONTEXT, FUZZY_THRESHOLD, find_quote, quote_at, reanchor
from pkm.sense.review import choose_for_review

TEXT = "The quick brown fox jumps over the lazy dog. The dog sleeps. The dog dreams."


def at(text: str, exact: str, n: int = 0) -> TextPosition:
    return find_quote(text, exact)[n]


def test_a_quote_not_in_the_text_is_found_nowhere() -> None:
    assert find_quote(TEXT, "a cat") == []
    assert find_quote(TEXT, "   ") == []


def test_every_occurrence_is_found_in_text_order() -> None:
    found = find_quote(TEXT, "dog")
    assert len(found) == 3
    assert [TEXT[p.start : p.end] for p in found] == ["dog"] * 3
    assert found == sorted(found, key=lambda p: p.start)
    assert len(find_quote("aaa", "aa")) == 2  # overlapping occurrences are places too


def test_whitespace_is_normalised_but_positions_index_the_real_text() -> None:
    text = "Line one ends here\nand  the\tnext\n\n starts."
    [p] = find_quote(text, "  here and the next  starts. ")
    assert text[p.start : p.end] == "here\nand  the\tnext\n\n starts."
    assert find_quote(text, "here\n\nand") == [TextPosition(14, 22)]


def test_the_quote_keeps_its_context() -> None:
    long = "x" * 50 + "middle" + "y" * 50
    quote = quote_at(long, at(long, "middle"))
    assert quote == TextQuote("middle", "x" * CONTEXT, "y" * CONTEXT)
    assert quote_at(TEXT, at(TEXT, "The quick")).prefix == ""


def test_unchanged_position_stays_anchored() -> None:
    p = at(TEXT, "lazy dog")
    new = TEXT + " More text at the end."
    anchor = reanchor(quote_at(TEXT, p), p, new)
    assert (anchor.state, anchor.position) == (AnnotationState.ANCHORED, p)
    assert anchor.quote.suffix == new[p.end : p.end + CONTEXT]


def test_a_quote_that_moved_is_found_by_its_context() -> None:
    second = at(TEXT, "The dog", 1)
    quote = quote_at(TEXT, second)
    new = "A new first sentence. " + TEXT.replace("The dog sleeps.", "The dog sleeps a lot.")
    anchor = reanchor(quote, second, new)
    assert anchor.state is AnnotationState.MOVED
    # Of the two "The dog", the one followed by " dreams" (the stored suffix).
    assert new[anchor.position.start :].startswith("The dog dreams")


def test_a_reworded_quote_goes_fuzzy() -> None:
    text = "Intro. Spaced repetition works because recall strengthens memory. Outro."
    p = at(text, "Spaced repetition works because recall strengthens memory.")
    new = "Intro. Spaced repetition works since recall strengthens memory. Outro."
    anchor = reanchor(quote_at(text, p), p, new)
    assert anchor.state is AnnotationState.FUZZY
    assert anchor.quote.exact == "Spaced repetition works since recall strengthens memory."


def test_a_quote_that_is_gone_is_orphaned_and_keeps_its_quote() -> None:
    p = at(TEXT, "lazy dog")
    quote = quote_at(TEXT, p)
    anchor = reanchor(quote, p, "Something else entirely, about cats and their naps.")
    assert (anchor.state, anchor.quote, anchor.position) == (AnnotationState.ORPHANED, quote, p)
    assert reanchor(quote, p, "").state is AnnotationState.ORPHANED


def test_the_fuzzy_threshold_is_where_it_is_documented() -> None:
    assert FUZZY_THRESHOLD == 80.0
    quote = TextQuote("abcdefghij")
    # Two of ten characters changed: 80 by Indel similarity, just taken; three: not.
    assert reanchor(quote, None, "-- abcdefghXY --").state is AnnotationState.FUZZY
    assert reanchor(quote, None, "-- abcdefgXYZ --").state is AnnotationState.ORPHANED


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@given(texts, st.data())
def test_a_highlight_of_unchanged_text_re_anchors_to_the_same_characters(
    text: str, data: st.DataObject
) -> None:
    assume(text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    p = TextPosition(start, end)
    quote = quote_at(text, p)
    anchor = reanchor(quote, p, text)
    assert (anchor.state, anchor.position, anchor.quote) == (AnnotationState.ANCHORED, p, quote)


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz .,\n", min_size=20, max_size=300)


@given(words, st.text(alphabet="ABCDEFG xyz\n", min_size=1, max_size=80), st.data())
def test_a_highlight_survives_text_inserted_before_it(
    text: str, inserted: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(text) - 3))
    end = data.draw(st.integers(start + 3, min(len(text), start + 40)))
    p = TextPosition(start, end)
    quote = quote_at(text, p)
    new = inserted + text
    assume(new[start:end] != quote.exact)  # else it is (rightly) still anchored there
    assume(new.count(quote.exact) == 1)
    anchor = reanchor(quote, p, new)
    shifted = TextPosition(start + len(inserted), end + len(inserted))
    assert (anchor.state, anchor.position) == (AnnotationState.MOVED, shifted)
    assert anchor.quote.exact == quote.exact


# --- review order -------------------------------------------------------------------------

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def highlight(
    id: int, item: int, *, made: int = 30, reviewed: int | None = None, retired: bool = False
) -> Annotation:
    return Annotation(
        id=id,
        item_id=item,
        quote=TextQuote(f"quote {id}"),
        position=TextPosition(0, 7),
        comment="",
        tags=(),
        state=AnnotationState.ANCHORED,
        created_at=NOW - timedelta(days=made),
        updated_at=NOW - timedelta(days=made),
        reviewed_at=NOW - timedelta(days=reviewed) if reviewed is not None else None,
        review_count=1 if reviewed is not None else 0,
        retired_at=NOW if retired else None,
    )


def test_review_order_never_reviewed_first_then_longest_wait_weighted_by_star() -> None:
    annotations = [
        highlight(1, item=1, reviewed=9),
        highlight(2, item=2, reviewed=5),  # starred: counts as 10 days
        highlight(3, item=1, reviewed=11),
        highlight(4, item=1, made=3),  # never reviewed
        highlight(5, item=2, made=2),  # never reviewed, starred: counts as 4 days
        highlight(6, item=1, reviewed=100, retired=True),
        highlight(7, item=1, reviewed=1),
    ]
    comment = Annotation(8, 1, None, None, "a comment", (), AnnotationState.ANCHORED, NOW, NOW)
    chosen = choose_for_review([*annotations, comment], {2}, NOW, 10)
    assert [a.id for a in chosen] == [5, 4, 3, 2, 1, 7]
    assert [a.id for a in choose_for_review(annotations, {2}, NOW, 2)] == [5, 4]
    assert choose_for_review(annotations, set(), NOW, 10)[2:4] == [annotations[2], annotations[0]]


# --- editor templates ---------------------------------------------------------------------


def test_the_annotate_template_reads_back() -> None:
    from pkm.cli._editor import annotate_template

    filled = (
        annotate_template(3, "A title")
        .replace("highlight:\n", "highlight:\nthe lazy\ndog\n")
        .replace("comment:\n", "comment: Why\nthis matters.\n")
        .replace("tags:\n", "tags: a, b\nc\n")
    )
    draft = parse_annotate_template(filled)
    assert (draft.highlight, draft.comment, draft.tags) == (
        "the lazy\ndog",
        "Why\nthis matters.",
        ["a", "b", "c"],
    )
    assert parse_annotate_template(annotate_template(3, "A title")).empty
    assert parse_comment_template("New text\n# the help\n") == "New text"
