#!/usr/bin/env python3
"""Digest benchmark: build and render one week over 5,000 items, 2,000 highlights, 500 notes.

A third of the items and a quarter of the highlights fall in the week (2026-W05), a fifth
of the notes were created in it, some of everything is tagged private. Prints the first
note sync (not part of the digest), then twice: building the digest, rendering it in the
four formats, recording its archive. Target: build + render < 2 s.

Run: `.venv/bin/python benchmarks/share_digest.py`.
"""

import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pkm._util.urls import url_key
from pkm.core import open_pkm
from pkm.share import build_digest, record_archive, render_digest
from pkm.share.period import week_period

DAYS = [
    "2026-01-26",
    "2026-01-27",
    "2026-01-28",
    "2026-01-29",
    "2026-01-30",
    "2026-01-31",
    "2026-02-01",
]

home = Path(tempfile.mkdtemp(prefix="digest_bench"))
pkm = open_pkm(home, now=datetime(2026, 2, 2, 9, tzinfo=UTC))
rng = random.Random(1)
db = pkm.store.db
with pkm.store.transaction():
    for s in range(50):
        db.execute(
            "INSERT INTO sources (url, url_key, kind, title, added_at) VALUES (?, ?, 'feed', ?, '2025-01-01T00:00:00Z')",
            [f"https://s{s}.example/feed", url_key(f"https://s{s}.example/feed"), f"Source {s}"],
        )
    for i in range(1, 5001):
        status = "starred" if i % 50 == 0 else "read"
        when = f"{DAYS[i % 7]}T10:00:00Z" if i % 3 == 0 else "2025-06-01T00:00:00Z"
        text = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(300))
        db.execute(
            "INSERT INTO items (id, guid, url, url_key, title, summary, content_text, status, status_changed_at, first_seen_at, sort_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                i,
                f"g{i}",
                f"https://a.example/{i}",
                f"a.example/{i}",
                f"Item {i}",
                f"<p>Summary {i} <b>bold</b></p>",
                text,
                status,
                when,
                "2025-06-01T00:00:00Z",
                "2025-06-01T00:00:00Z",
            ],
        )
        db.execute(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at) VALUES (?,?,?,'h','2025-06-01T00:00:00Z')",
            [1 + i % 50, f"g{i}", i],
        )
    tag_ids = pkm.store._tag_ids(["ml", "web", "private", "python", "db"])
    for i in range(1, 5001, 7):
        db.execute("INSERT OR IGNORE INTO item_tags VALUES (?, ?)", [i, tag_ids[i % 5]])
    for a in range(1, 2001):
        when = (
            f"{DAYS[a % 7]}T1{a % 10}:00:00Z"
            if a % 4 == 0
            else f"2025-{1 + a % 12:02d}-10T00:00:00Z"
        )
        db.execute(
            'INSERT INTO annotations (id, item_id, exact, prefix, suffix, start, "end", comment, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)',
            [a, 1 + (a * 7) % 5000, f"quote {a}", "pre", "suf", 10, 17, f"comment {a}", when, when],
        )
        if a % 9 == 0:
            db.execute("INSERT INTO annotation_tags VALUES (?, ?)", [a, tag_ids[a % 5]])
vault = pkm.vault
vault.mkdir(parents=True, exist_ok=True)
for n in range(500):
    created = f"{DAYS[n % 7]}T08:00:00Z" if n % 5 == 0 else "2025-03-01T00:00:00Z"
    srcs = "".join(f"\n  - item_id: {1 + (n * 13 + k) % 5000}" for k in range(3))
    (vault / f"note-{n}.md").write_text(
        f"---\ntitle: Note {n}\ncreated: {created}\ntags: [{['ml', 'web', 'private', 'db'][n % 4]}]\nsources:{srcs}\n---\n# Note {n}\n\n## Synthesis\n\nThinking about [[note-{(n + 1) % 500}]] and more. "
        + "words " * 200
        + "\n"
    )
from pkm.sense.notes import sync_notes  # noqa: E402

t = time.perf_counter()
sync_notes(pkm)
print(f"first note sync (not part of the digest): {time.perf_counter() - t:.2f}s")
period = week_period("2026-W05", UTC)
for run in range(2):
    t0 = time.perf_counter()
    d = build_digest(pkm, period, author="ann")
    t1 = time.perf_counter()
    out = {f: render_digest(pkm, d, f) for f in ("md", "html", "atom", "json")}
    t2 = time.perf_counter()
    record_archive(pkm, d.period, d.archive_ids)
    t3 = time.perf_counter()
    print(
        f"run {run}: build {t1 - t0:.3f}s, render 4 formats {t2 - t1:.3f}s, record {t3 - t2:.3f}s; "
        f"notes {len(d.notes)}, items {len(d.items)}, highlights {d.summary.highlights}, archive {len(d.archive)}; "
        f"sizes " + ", ".join(f"{k} {len(v) // 1024} KB" for k, v in out.items())
    )
pkm.close()
import shutil  # noqa: E402

shutil.rmtree(home, ignore_errors=True)
