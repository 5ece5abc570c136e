"""Share: digests of what a person read, highlighted and wrote, published to a team folder.

Layers (each module one concept):
- `period`: which span of time a digest covers (ISO weeks in the person's time zone).
- `digest`: `build_digest(pkm, period, *, author) -> Digest`, pure data from the index,
  private things left out; `record_archive(pkm, period, digest.archive_ids)` once a digest is written out.
- `render`: `render_digest(pkm, digest, fmt) -> str` for md, html (Jinja2 templates a
  person may override in HOME/templates/), atom and json (`pkm/schemas/digest.schema.json`).
- `publish`: writing digests, indexes and feeds into `DIR/<author>/`, atomically, under a
  folder lock, and committing them when DIR is in a git work tree.

The `shared.atom` format is fixed in `docs/shared-atom.md`: `pkm share publish` writes it
and `pkm seek` reads it.

The names below load their modules on first use, so `import pkm.share` stays cheap.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pkm.share.digest import build_digest, record_archive
    from pkm.share.render import render_digest

__all__ = ["build_digest", "record_archive", "render_digest"]

_HOMES = {
    "build_digest": "pkm.share.digest",
    "record_archive": "pkm.share.digest",
    "render_digest": "pkm.share.render",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'pkm.share' has no attribute {name!r}")
