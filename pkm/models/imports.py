"""Imports: what an import decided to store."""

from dataclasses import dataclass
from datetime import datetime

from pkm.models.sense import AnnotationState, TextPosition, TextQuote


@dataclass(frozen=True)
class NewAnnotation:
    """An annotation to store as decided beforehand, with its own dates and anchor state:
    one imported from another tool keeps when it was made there (a digest of this week
    must not count a highlight of 2019), and may arrive orphaned (its page has no text yet)."""

    item_id: int
    quote: TextQuote | None  # None: a comment on the whole item
    position: TextPosition | None
    state: AnnotationState
    comment: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    origin_id: str | None = None  # its id in the tool it came from (`hypothesis:<id>`)
    origin_target: str | None = None  # the tool's W3C target, JSON, as exported
