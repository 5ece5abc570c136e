"""Seek: bring things in (feeds, read-later pages).

The services below are what the CLI (or any other caller) uses: each is one function that
takes an opened `Pkm`, takes the home's run lock itself when it writes, and returns typed
values (errors in batches are values, see `SourceResult` and `AddResult`).

- `fetch_due`: the cron run: fetch every due source, store what changed.
- `add_sources`, `remove_sources`, `list_sources`, `resolve_sources`: subscriptions.
- `import_opml`, `export_opml`: subscription lists.
- `save_pages`: read-later pages.
- `stuck_sources`, `gone_sources`, `reset_backoff`: sources held back by failures (`health`).

The modules behind them: `update` (the run's pipeline), `decide` (pure decisions),
`parse` and `feeds` (parsing), `retrieve` and `http` (retrieval), `discover`, `extract`,
`opml`, `schedule` (pure helpers).

Each service is imported from its module when first asked for: every module of the
package imports this one first, and the parse workers, which need only `parse` and
`feeds`, would otherwise load every service (and what they import) before their first
body.
"""

from typing import TYPE_CHECKING

from pkm._util.lazy import lazy_exports

if TYPE_CHECKING:
    from pkm.seek.health import StuckSource, gone_sources, reset_backoff, stuck_sources
    from pkm.seek.save import save_pages
    from pkm.seek.subscriptions import (
        add_sources,
        export_opml,
        import_opml,
        list_sources,
        remove_sources,
        resolve_sources,
    )
    from pkm.seek.update import fetch_due

_SERVICES = {
    "StuckSource": "pkm.seek.health",
    "gone_sources": "pkm.seek.health",
    "reset_backoff": "pkm.seek.health",
    "stuck_sources": "pkm.seek.health",
    "save_pages": "pkm.seek.save",
    "add_sources": "pkm.seek.subscriptions",
    "export_opml": "pkm.seek.subscriptions",
    "import_opml": "pkm.seek.subscriptions",
    "list_sources": "pkm.seek.subscriptions",
    "remove_sources": "pkm.seek.subscriptions",
    "resolve_sources": "pkm.seek.subscriptions",
    "fetch_due": "pkm.seek.update",
}

__all__ = [
    "StuckSource",
    "add_sources",
    "export_opml",
    "fetch_due",
    "gone_sources",
    "import_opml",
    "list_sources",
    "remove_sources",
    "reset_backoff",
    "resolve_sources",
    "save_pages",
    "stuck_sources",
]


__getattr__ = lazy_exports(globals(), _SERVICES)
