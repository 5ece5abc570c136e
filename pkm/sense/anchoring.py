"""Where a highlight sits in an item's plain text, and where it went when the text changed.

Pure: functions of a quote, a position and a text. No store, no clock. It follows the W3C
Web Annotation selectors as Hypothesis uses them (`hypothesis/client`,
`src/annotator/anchoring/match-quote.ts`): a highlight is described twice, by a
TextQuoteSelector (the exact text plus up to `CONTEXT` characters either side) and a
TextPositionSelector (start, end) in characters of `content_text`. When the text changes,
the two are tried in order: the old position, then the exact quote (the occurrence whose
prefix and suffix agree best and that lies nearest the old position), then an approximate
match. A highlight none of them places is an orphan: it keeps its last quote and position,
and is never dropped.

Quotes are matched with whitespace normalised (a run of spaces, tabs or newlines in the
quote matches any run in the text), because what a person pastes from a browser rarely has
the line breaks of the stored text. The stored exact text is always the text as it is in
the item, so positions index the real text. The exact matching lives in
`pkm._util.quotes`, which Seek uses too (to place a teammate's shared highlights).
"""

from pkm._util.quotes import (
    CONTEXT,
    best_occurrence,
    find_quote,
    find_verbatim,
    normalise_quote,
    quote_at,
)
from pkm.models import Anchor, AnnotationState, TextPosition, TextQuote

__all__ = [
    "CONTEXT",
    "FUZZY_THRESHOLD",
    "Anchor",
    "find_quote",
    "normalise_quote",
    "quote_at",
    "reanchor",
]

# The least `rapidfuzz.fuzz.partial_ratio` score (0-100) at which an approximate match is
# taken: the best window of the new text must be 80 % the same as the quote by Indel
# similarity (roughly one character in ten inserted, deleted or replaced). Lower, and a
# short quote starts matching unrelated passages; higher, and a corrected typo or a changed
# word in a sentence-long quote makes an orphan.
FUZZY_THRESHOLD = 80.0

# How far (in characters) a fuzzy match's ends may be moved to fit the passage: it bounds
# the spans tried, so a page-long quote costs milliseconds, not seconds.
_FIT_REACH = 64


def reanchor(quote: TextQuote, position: TextPosition | None, text: str) -> Anchor:
    """Place a highlight, last seen as `quote` at `position`, in the new `text`.

    In order:
    1. `anchored`: the exact text is still at the old position.
    2. `moved`: the exact quote (whitespace normalised) is elsewhere; of several
       occurrences, the one whose prefix and suffix agree best with the stored context,
       then the nearest to the old position, then the first.
    3. `fuzzy`: the window of the new text most like the quote, if its
       `fuzz.partial_ratio` score is at least `FUZZY_THRESHOLD`.
    4. `orphaned`: the old quote and position, unchanged.

    The quote's prefix and suffix are taken afresh from the new text whenever it is placed,
    so the next change is compared with the text as it is now.
    """
    exact = quote.exact
    if position is not None and text[position.start : position.end] == exact and exact:
        return Anchor(AnnotationState.ANCHORED, quote_at(text, position), position)
    hint = position.start if position is not None else 0
    # The quote as stored first, then with whitespace normalised.
    occurrences = find_verbatim(text, exact) or find_quote(text, exact)
    if occurrences:
        best = best_occurrence(quote, occurrences, text, hint)
        return Anchor(AnnotationState.MOVED, quote_at(text, best), best)
    fuzzy = _fuzzy(exact, text)
    if fuzzy is not None:
        return Anchor(AnnotationState.FUZZY, quote_at(text, fuzzy), fuzzy)
    return Anchor(
        AnnotationState.ORPHANED, quote, position or TextPosition(hint, hint + len(exact))
    )


def _fuzzy(exact: str, text: str) -> TextPosition | None:
    if not exact.strip() or not text.strip():
        return None
    from rapidfuzz import fuzz

    found = fuzz.partial_ratio_alignment(exact, text, score_cutoff=FUZZY_THRESHOLD)
    if found is None:
        return None
    return _fit(exact, text, found.dest_start, found.dest_end)


def _fit(exact: str, text: str, start: int, end: int) -> TextPosition | None:
    """The span near [start, end) most like `exact`.

    `partial_ratio` compares windows as long as the quote, so when the passage has grown
    or shrunk the window starts or ends in the wrong place (". Spaced repetition works
    since ... memory" for "Spaced repetition works because ... memory."). Word boundaries
    within a quarter of the quote's length (at most `_FIT_REACH` characters) of the
    window's ends are tried as the span's ends, and the span whose `fuzz.ratio` with the
    quote is highest is kept.
    """
    from rapidfuzz import fuzz

    reach = min(max(8, len(exact) // 4), _FIT_REACH)
    starts = {start} | {
        i
        for i in range(max(0, start - reach), min(len(text), start + reach + 1))
        if not text[i].isspace() and (i == 0 or text[i - 1].isspace())
    }
    ends = {end} | {
        j
        for j in range(max(1, end - reach), min(len(text), end + reach) + 1)
        if not text[j - 1].isspace() and (j == len(text) or text[j].isspace())
    }
    spans = [(s, e) for s in starts for e in ends if s < e]
    if not spans:
        return None
    best_start, best_end = max(
        spans,
        key=lambda se: (
            fuzz.ratio(exact, text[se[0] : se[1]]),
            -abs(se[0] - start) - abs(se[1] - end),
        ),
    )
    # A window may still begin or end on whitespace the quote does not have.
    while best_start < best_end and text[best_start].isspace():
        best_start += 1
    while best_end > best_start and text[best_end - 1].isspace():
        best_end -= 1
    return TextPosition(best_start, best_end) if best_start < best_end else None
