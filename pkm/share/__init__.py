"""Share: digests of what a person read, highlighted and wrote, published to a team folder.

Layers (each module one concept):
- `period`: which span of time a digest covers (ISO weeks in the person's time zone).
- `digest`: `build_digest(pkm, period) -> Digest`, pure data from the index, private
  things left out; `render_digest(pkm, digest, fmt) -> str` through Jinja2 templates.
- `publish`: writing digests, indexes and feeds into `DIR/<author>/`, atomically, under a
  folder lock, and committing them when DIR is in a git work tree.

The `shared.atom` format (SPEC_PLACEHOLDER in the publish brief) is fixed in
`docs/shared-atom.md`: `pkm share publish` writes it and `pkm seek` reads it.
"""
