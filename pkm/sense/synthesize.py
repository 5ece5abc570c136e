"""Synthesis notes: from items and their highlights to what a note's sources region and
frontmatter say. Pure: no store, no files, no clock (`now` is given).

`pkm.sense.notes.synthesize_note` selects the items, renders these values through the
templates and merges the result into the vault.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pkm._util.text import one_line
from pkm._util.timeutil import to_iso
from pkm._util.urls import is_web_url
from pkm.models import Annotation, AnnotationState, Item, NoteSource

# The frontmatter readers are pure functions of parsed YAML.
from pkm.sense.vault import parse_sources, tag_list

SOURCES_REGION = "sources"


@dataclass(frozen=True)
class Highlight:
    id: int
    exact: str
    comment: str
    tags: tuple[str, ...]
    link: str | None  # the item's URL with a text fragment that scrolls to the quote
    orphaned: bool


@dataclass(frozen=True)
class SourceSection:
    """One cited item as the sources template sees it."""

    item_id: int
    title: str
    url: str | None
    source_title: str | None
    source_url: str | None
    highlights: tuple[Highlight, ...]
    comments: tuple[str, ...]  # item-level comments (annotations without a quote)


@dataclass(frozen=True)
class Selection:
    """Which items a synthesis gathers: ids, or a tag, or a search query (one of them).
    None of them, with `--into`, refreshes the sources the note already cites."""

    item_ids: tuple[int, ...] = ()
    tag: str | None = None
    query: str | None = None

    @property
    def empty(self) -> bool:
        return not self.item_ids and self.tag is None and self.query is None


def text_fragment_link(url: str | None, exact: str) -> str | None:
    """`url#:~:text=...`: a link that opens the article scrolled to the quote, in browsers
    that support text fragments (others open the article). A long quote is given by its
    first and last words (`textStart,textEnd`)."""
    if not url or not exact.strip() or "#" in url:
        return None

    def enc(text: str) -> str:
        # `-` and `,` are the directive's own delimiters, so they are encoded too.
        return quote(text, safe="").replace("-", "%2D")

    words = exact.split()
    if len(words) > 8:
        directive = f"{enc(' '.join(words[:4]))},{enc(' '.join(words[-4:]))}"
    else:
        directive = enc(" ".join(words))
    return f"{url}#:~:text={directive}"


def item_title(item: Item) -> str:
    return one_line(item.title or "") or one_line(item.url or "") or f"Item {item.id}"


def source_sections(
    items: Sequence[Item], annotations: Iterable[Annotation]
) -> list[SourceSection]:
    """A section per item, in the order given, with its highlights in text order and its
    item-level comments."""
    by_item: dict[int, list[Annotation]] = {}
    for a in annotations:
        by_item.setdefault(a.item_id, []).append(a)
    sections = []
    for item in items:
        highlights = []
        comments = []
        for a in by_item.get(item.id, []):
            if a.quote is not None and a.quote.exact.strip():
                highlights.append(
                    Highlight(
                        id=a.id,
                        exact=a.quote.exact,
                        comment=a.comment.strip(),
                        tags=a.tags,
                        link=text_fragment_link(item.url, a.quote.exact)
                        if is_web_url(item.url)
                        else None,
                        orphaned=a.state is AnnotationState.ORPHANED,
                    )
                )
            elif a.comment.strip():
                comments.append(a.comment.strip())
        sections.append(
            SourceSection(
                item_id=item.id,
                title=item_title(item),
                url=item.url if is_web_url(item.url) else None,
                source_title=one_line(item.source_title or "") or None,
                source_url=item.source_urls[0] if item.source_urls else None,
                highlights=tuple(highlights),
                comments=tuple(comments),
            )
        )
    return sections


def source_entry(item: Item) -> dict[str, Any]:
    """An item as an entry of the `sources` frontmatter (what reindex reads back)."""
    entry: dict[str, Any] = {"item_id": item.id}
    if item.url:
        entry["url"] = item.url
    entry["title"] = item_title(item)
    if item.source_urls:
        entry["source_url"] = item.source_urls[0]
    return entry


def merged_sources(existing: Any, items: Mapping[int, Item], order: Sequence[int]) -> list[Any]:
    """The new `sources` list: each entry the note had, refreshed when pkm wrote it and knows
    its item, kept exactly as written otherwise (a person's URL-only entry, an item since
    deleted); then the items of `order` not cited yet. Nothing the person wrote is dropped."""
    raw = existing if isinstance(existing, list) else []
    by_url = {i.url: i for i in items.values() if i.url}
    out: list[Any] = []
    seen: set[int] = set()
    for entry in raw:
        found = parse_sources([entry])
        source = found[0] if found else None
        item = None
        if source is not None:
            item = (
                items.get(source.item_id)
                if source.item_id is not None
                else by_url.get(source.url or "")
            )
        if item is None:
            out.append(entry)
            continue
        seen.add(item.id)
        out.append(
            source_entry(item) if source is not None and source.item_id is not None else entry
        )
    for item_id in order:
        if item_id not in seen and item_id in items:
            out.append(source_entry(items[item_id]))
            seen.add(item_id)
    return out


def cited_ids(sources: Sequence[NoteSource], url_ids: Mapping[str, int]) -> list[int]:
    """Item ids a note's sources name, in their order; URL-only entries through `url_ids`."""
    ids: list[int] = []
    for s in sources:
        if s.item_id is not None:
            ids.append(s.item_id)
        elif s.url and s.url in url_ids:
            ids.append(url_ids[s.url])
    return list(dict.fromkeys(ids))


def merged_tags(existing: Any, add: Sequence[str]) -> list[str] | None:
    """The `tags` value with `add` merged in (never removing one), or None when every tag
    to add is there already (the key is then left exactly as written)."""
    current = tag_list(existing)
    folded = {t.casefold() for t in current}
    missing = [t for t in dict.fromkeys(add) if t and t.casefold() not in folded]
    if not missing:
        return None
    return [*current, *missing]


def new_frontmatter(
    title: str, tags: Sequence[str], sources: list[Any], now: datetime
) -> dict[str, Any]:
    """The frontmatter of a new note, in the order Obsidian's properties show it."""
    meta: dict[str, Any] = {
        "title": title,
        "created": to_iso(now),
        "updated": to_iso(now),
        "tags": list(dict.fromkeys(tags)),
        "aliases": [],
    }
    if sources:
        meta["sources"] = sources
    return meta
