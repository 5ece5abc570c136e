"""Search across items, highlights and notes, and what is related to a thing.

The query language is FTS5's own (words, "phrases", AND/OR/NOT, prefix*, NEAR(...),
column filters), made forgiving in one way: a word FTS5 would reject for its punctuation
(`e-mail`, `c++`, `https://x.org/a`) is searched as the phrase of its parts, as a person
typing it means; and a word in a script written without spaces (Chinese, Japanese) matches
the start of a run of such characters. Anything else FTS5 cannot read is a `QueryError` (a usage error).
"""

import logging
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pkm.errors import DamagedIndexError, DiskFullError, ItemNotFoundError, QueryError, StoreError
from pkm.models import ItemStatus, SearchFilter, SearchHit, SearchKind

if TYPE_CHECKING:
    from pkm.core import Pkm

log = logging.getLogger("pkm.sense.search")

# The column filters a query may use (`title:word`), and the names of the index's columns.
COLUMNS = {"title": "title", "quote": "quote", "highlight": "quote", "body": "body", "text": "body"}
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})

_TOKEN_RE = re.compile(r'(?P<phrase>"(?:[^"]|"")*"?)|(?P<paren>[()])|(?P<word>[^\s()"]+)')
_COLUMN_RE = re.compile(r"(?P<column>\w+):(?P<rest>.*)", re.DOTALL)
_BAREWORD_RE = re.compile(r"\w+")
# Han, Hiragana and Katakana: written without spaces, so the tokenizer keeps a whole run of
# them as one token, and a word is found as the start of a run.
_UNSPACED_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression for what a person typed."""
    parts: list[str] = []
    for m in _TOKEN_RE.finditer(text):
        if m["phrase"] or m["paren"]:
            parts.append(m[0])
            continue
        word = m["word"]
        column = _COLUMN_RE.fullmatch(word)
        if column and column["column"].lower() in COLUMNS:
            parts.append(COLUMNS[column["column"].lower()] + " :")
            word = column["rest"]
            if not word:
                continue
        parts.append(_word(word))
    if not parts:
        raise QueryError("empty search query")
    return " ".join(parts)


def _word(word: str) -> str:
    if word in OPERATORS:
        return word
    base, star = (word[:-1], "*") if word.endswith("*") else (word, "")
    if not base or _BAREWORD_RE.fullmatch(base):
        return word + ("*" if not star and _UNSPACED_RE.search(base) else "")
    return '"' + base.replace('"', '""') + '"' + star


@dataclass(frozen=True)
class SearchQuery:
    """A search as a person asks it: `sources` are source URLs or ids."""

    text: str
    kinds: tuple[SearchKind, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20


def search(pkm: "Pkm", query: SearchQuery) -> list[SearchHit]:
    """The best matches across items, highlights and notes, best first. The index catches
    up first (new items, the vault's notes), unless pkm was opened read-only."""
    from pkm.sense.notes import sync_notes

    match = fts_query(query.text)
    index_new_items(pkm)
    sync_notes(pkm)
    source_ids = tuple(s.id for s in pkm.store.resolve_sources(query.sources, tags=False))
    filters = SearchFilter(
        kinds=query.kinds,
        tags=query.tags,
        source_ids=source_ids,
        statuses=query.statuses,
        since=query.since,
        until=query.until,
    )
    return pkm.store.search(match, filters, query.limit)


def index_new_items(pkm: "Pkm") -> int:
    """Index the items stored since the last search (their text waits in a backlog, so
    that `pkm seek` stores without indexing); how many. A read-only pkm searches the index
    as it is; so does one whose index another process keeps locked past the busy timeout,
    or whose disk is full, with a warning: a search must not fail for what it could not
    add."""
    if pkm.readonly:
        return 0
    try:
        count = pkm.store.index_backlog()
    except DamagedIndexError:
        raise
    except (StoreError, DiskFullError) as e:
        log.warning("pkm: warning: new items are not searched yet: %s", e)
        return 0
    if count:
        log.info("search: %d new items indexed", count)
    return count


# Terms a "more like this" query is built from, and how many rows of the index a term may
# occur in (as a share) before it is too common to tell anything apart.
RELATED_TERMS = 12
MAX_TERM_SHARE = 0.2


@dataclass(frozen=True)
class Related:
    similar: list[SearchHit] = field(default_factory=list)
    unlinked_mentions: list[SearchHit] = field(default_factory=list)


def distinctive_terms(pkm: "Pkm", kind: SearchKind, id: int, count: int) -> list[str]:
    """The terms of a thing that best tell it apart from the rest of the index (tf-idf):
    title and highlight terms count three times."""
    text = pkm.store.get_search_text(kind, id)
    if text is None:
        return []
    title, quote, body = text
    tf: Counter[str] = Counter()
    for part, weight in ((title, 3), (quote, 3), (body, 1)):
        for term in _terms(part):
            tf[term] += weight
    total, df = pkm.store.term_document_counts(list(tf))
    scored = []
    for term, n in tf.items():
        docs = df.get(term, 0)
        if docs <= 1 or docs > max(2, total * MAX_TERM_SHARE):
            continue  # only in this one, or in too many to tell anything apart
        scored.append((n * math.log(total / docs), term))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [t for _, t in scored[:count]]


def related(
    pkm: "Pkm",
    kind: SearchKind,
    id: int,
    *,
    title: str | None,
    linked_notes: tuple[int, ...] = (),
    limit: int = 10,
) -> Related:
    """What is most like a thing (a query of its most distinctive terms), and the notes that
    mention its `title` without linking to it (`linked_notes`: those that do)."""
    index_new_items(pkm)
    terms = distinctive_terms(pkm, kind, id, RELATED_TERMS)
    similar: list[SearchHit] = []
    if terms:
        match = " OR ".join(f'"{t}"' for t in terms)
        similar = pkm.store.search(match, SearchFilter(exclude=((kind, id),)), limit)
    mentions: list[SearchHit] = []
    phrase = " ".join(_terms(title or ""))
    if phrase:
        exclude = ((kind, id), *(("note", n) for n in linked_notes))
        filters = SearchFilter(kinds=("note",), exclude=exclude)
        mentions = pkm.store.search(f'body : "{phrase}"', filters, limit)
    return Related(similar, mentions)


def related_to(pkm: "Pkm", ref: str, *, limit: int = 10) -> Related:
    """`related` for an item id, else a note named as `find_note` resolves names (the note
    index catches up with the vault first, either way)."""
    from pkm.sense.notes import show_note, sync_notes

    if ref.strip().isdigit():
        sync_notes(pkm)
        items = pkm.store.get_items(item_ids=[int(ref)])
        if not items:
            raise ItemNotFoundError(ref)
        item = items[0]
        cited_by = tuple(n.id for n in pkm.store.get_notes_citing(item.id))
        return related(pkm, "item", item.id, title=item.title, linked_notes=cited_by, limit=limit)
    view = show_note(pkm, ref)
    linking = tuple(n.id for n in view.backlinks)
    return related(
        pkm, "note", view.note.id, title=view.note.title, linked_notes=linking, limit=limit
    )


def _terms(text: str) -> list[str]:
    """Text split into terms the way the index's tokenizer (unicode61, diacritics removed)
    splits it, near enough to look the terms up in it."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [t for t in re.findall(r"[^\W_]+", folded) if len(t) > 2 and not t.isdigit()]
