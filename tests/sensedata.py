"""Items, highlights and vault files for the Sense note tests, put straight into a real index.

Seek's own write path (`apply_entry_updates`) needs a whole parsed feed; these helpers insert
the rows a test needs, as the store would have them (search rows included).
"""

from collections.abc import Sequence
from pathlib import Path

from pkm._util.urls import url_key
from pkm.core import Pkm

NOW_ISO = "2026-02-01T08:00:00Z"


def add_item(
    pkm: Pkm,
    title: str | None,
    *,
    url: str | None = None,
    text: str = "",
    tags: Sequence[str] = (),
    source: str = "https://example.com/feed.xml",
    source_title: str = "Example",
) -> int:
    store = pkm.store
    with store.transaction():
        db = store.db
        row = db.execute("SELECT id FROM sources WHERE url = ?", [source]).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO sources (url, url_key, kind, title, added_at) VALUES (?, ?, 'feed', ?, ?)",
                [source, url_key(source), source_title, NOW_ISO],
            )
            row = db.execute("SELECT id FROM sources WHERE url = ?", [source]).fetchone()
        source_id = row[0]
        n = db.execute("SELECT count(*) FROM items").fetchone()[0]
        item_id = db.execute(
            "INSERT INTO items (guid, url, url_key, title, content_text, status, first_seen_at, sort_at)"
            " VALUES (?, ?, ?, ?, ?, 'unread', ?, ?) RETURNING id",
            [f"g{n}", url, url_key(url) if url else None, title, text, NOW_ISO, NOW_ISO],
        ).fetchone()[0]
        db.execute(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
            " VALUES (?, ?, ?, 'h', ?)",
            [source_id, f"g{n}", item_id, NOW_ISO],
        )
        db.execute(
            "INSERT INTO search (rowid, title, quote, body) VALUES (?, ?, '', ?)",
            [item_id * 4, title or "", text],
        )
    if tags:
        store.add_item_tags(item_id, tags)
    return int(item_id)


def add_annotation(
    pkm: Pkm,
    item_id: int,
    exact: str | None,
    *,
    comment: str = "",
    tags: Sequence[str] = (),
    start: int | None = None,
    state: str = "anchored",
) -> int:
    store = pkm.store
    with store.transaction():
        db = store.db
        end = None if start is None or exact is None else start + len(exact)
        annotation_id = db.execute(
            'INSERT INTO annotations (item_id, exact, start, "end", comment, state, created_at, updated_at)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [item_id, exact, start, end, comment, state, NOW_ISO, NOW_ISO],
        ).fetchone()[0]
        for tag_id in store._tag_ids(tags):
            db.execute(
                "INSERT INTO annotation_tags (annotation_id, tag_id) VALUES (?, ?)",
                [annotation_id, tag_id],
            )
    return int(annotation_id)


def write(vault: Path, path: str, text: str) -> Path:
    """A file written as an editor would: outside pkm."""
    full = vault / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(text, encoding="utf-8", newline="")
    return full


def bump_mtime(path: Path) -> None:
    """Make a rewrite visible to the stat walk even on a coarse-mtime file system."""
    import os

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
