"""Sense: triage, annotate, search and synthesize.

The services below are what the CLI (or any other caller) uses: each takes an opened
`Pkm`, takes the Sense lock itself when it writes, and returns typed values.

- `list_inbox`, `count_inbox`: the inbox, newest first, chosen by an `ItemSelection`.
- `show_item`, `item_url_to_open`: one item (marked read unless told not to).
- `mark_items`, `tag_items`: change many items at once (`MarkResult`, `TagResult`).
- `annotate_item`, `list_annotations`, `get_annotation`, `edit_annotation`,
  `delete_annotation`: highlights and comments (`annotations`).
- `reanchor_changed`: re-anchor the highlights of items whose text changed (the CLI runs
  it after `pkm seek`; seek never imports sense); `orphan_placements`,
  `reanchor_orphans`: where orphans would go now, and placing them.
- `start_review`, `record_review`, `review_listing`: resurface past highlights (`review`).
- Notes (`pkm.sense.notes`): `sync_notes`, `reindex_notes`, `check_notes`, `list_notes`,
  `show_note`, `create_note`, `synthesize_note`.
- Search (`pkm.sense.search`): `search`, `related_to` (each indexes the items stored
  since the last search first: `index_new_items`).
"""

from pkm.sense.annotations import (
    AnnotationQuery,
    ReanchorReport,
    annotate_item,
    delete_annotation,
    edit_annotation,
    get_annotation,
    get_item_ref,
    item_refs,
    list_annotations,
    orphan_placements,
    reanchor_changed,
    reanchor_orphans,
)
from pkm.sense.review import ReviewCard, record_review, review_listing, start_review
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
    "AnnotationQuery",
    "IdRef",
    "ItemSelection",
    "ItemView",
    "MarkAction",
    "MarkResult",
    "ReanchorReport",
    "ReviewCard",
    "TagResult",
    "annotate_item",
    "clean_tag",
    "count_inbox",
    "delete_annotation",
    "edit_annotation",
    "get_annotation",
    "get_item_ref",
    "highlight_ranges",
    "item_refs",
    "item_url_to_open",
    "list_annotations",
    "list_inbox",
    "mark_items",
    "marked_status",
    "orphan_placements",
    "parse_id_refs",
    "reanchor_changed",
    "reanchor_orphans",
    "record_review",
    "review_listing",
    "show_item",
    "start_review",
    "tag_items",
]
