"""Sense: triage, annotate, search and synthesize. For now: triage (`pkm.sense.triage`).

The services below are what the CLI (or any other caller) uses: each takes an opened
`Pkm`, takes the Sense lock itself when it writes, and returns typed values.

- `list_inbox`, `count_inbox`: the inbox, newest first, chosen by an `ItemSelection`.
- `show_item`, `item_url_to_open`: one item (marked read unless told not to).
- `mark_items`, `tag_items`: change many items at once (`MarkResult`, `TagResult`).
"""

from pkm.sense.triage import (
    LISTED,
    IdRef,
    ItemSelection,
    ItemView,
    MarkAction,
    MarkResult,
    TagResult,
    clean_tag,
    count_inbox,
    highlight_ranges,
    item_url_to_open,
    list_inbox,
    mark_items,
    marked_status,
    parse_id_refs,
    show_item,
    tag_items,
)

__all__ = [
    "LISTED",
    "IdRef",
    "ItemSelection",
    "ItemView",
    "MarkAction",
    "MarkResult",
    "TagResult",
    "clean_tag",
    "count_inbox",
    "highlight_ranges",
    "item_url_to_open",
    "list_inbox",
    "mark_items",
    "marked_status",
    "parse_id_refs",
    "show_item",
    "tag_items",
]
