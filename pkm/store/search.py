"""Full-text search: one FTS5 index (`search`) over items, annotations and notes."""

from pkm.store._base import StoreBase


class SearchMixin(StoreBase):
    pass
