"""The index schema, as forward migrations. Never edit a migration that has shipped: add one.

A database made by an older pkm is upgraded in place when it is opened; nothing is dropped.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("pkm")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            url_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            title TEXT,
            site_url TEXT,
            added_at TEXT NOT NULL,
            previous_url TEXT,
            redirected_at TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            last_fetched_at TEXT,
            last_status INTEGER,
            last_outcome TEXT,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            next_due_at TEXT,
            retry_after_at TEXT,
            is_gone INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE source_tags (
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (source_id, tag_id)
        ) WITHOUT ROWID;
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            guid TEXT NOT NULL,
            url TEXT,
            url_key TEXT,
            title TEXT,
            author TEXT,
            published_at TEXT,
            updated_at TEXT,
            summary TEXT,
            content_html TEXT,
            content_text TEXT NOT NULL DEFAULT '',
            categories TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'unread',
            first_seen_at TEXT NOT NULL,
            changed_at TEXT,
            status_changed_at TEXT
        );
        CREATE INDEX items_url_key ON items(url_key);
        CREATE INDEX items_status ON items(status, first_seen_at);
        -- An item's identity per source: (source, the feed's entry id). One item may be
        -- reached through several sources (the same article in two feeds).
        CREATE TABLE item_sources (
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            entry_id TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (source_id, entry_id)
        );
        CREATE INDEX item_sources_item ON item_sources(item_id);
        CREATE TABLE item_tags (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (item_id, tag_id)
        ) WITHOUT ROWID;
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            fetched_at TEXT NOT NULL,
            url TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            error TEXT,
            new_items INTEGER NOT NULL DEFAULT 0,
            updated_items INTEGER NOT NULL DEFAULT 0,
            duration_ms INTEGER
        );
        CREATE INDEX fetches_source ON fetches(source_id, fetched_at);
        """
    )
    # unicode61 (the default tokenizer), not porter: feeds come in every language and the
    # Porter stemmer knows only English. The FTS index follows items through triggers. The update trigger fires only when the
    # indexed text changes, so marking thousands of items read does not rewrite the index.
    db.table("items").enable_fts(["title", "content_text"])
    db.executescript(
        """
        CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
          INSERT INTO items_fts (rowid, title, content_text)
          VALUES (new.id, new.title, new.content_text);
        END;
        CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
          INSERT INTO items_fts (items_fts, rowid, title, content_text)
          VALUES ('delete', old.id, old.title, old.content_text);
        END;
        CREATE TRIGGER items_au AFTER UPDATE OF title, content_text ON items BEGIN
          INSERT INTO items_fts (items_fts, rowid, title, content_text)
          VALUES ('delete', old.id, old.title, old.content_text);
          INSERT INTO items_fts (rowid, title, content_text)
          VALUES (new.id, new.title, new.content_text);
        END;
        """
    )


@migrations()
def m002_sort_enclosures_text_changes(db: Database) -> None:
    """The inbox order, podcast enclosures, and the record of item text changes.

    `sort_at` is the item's date (published, else updated, else first seen; never later than
    first seen, so a feed dated in the future cannot pin an item to the top) or, for a saved
    page, when it was saved. `item_text_changes` holds one row per item whose plain text
    changed since a consumer last drained it (Sense re-anchors highlights from it); seq only
    grows, so a consumer acknowledges exactly what it read.
    """
    db.executescript(
        """
        ALTER TABLE items ADD COLUMN sort_at TEXT;
        ALTER TABLE items ADD COLUMN enclosures TEXT NOT NULL DEFAULT '[]';
        UPDATE items SET sort_at = CASE
            WHEN EXISTS (SELECT 1 FROM item_sources x JOIN sources s ON s.id = x.source_id
                         WHERE x.item_id = items.id AND s.kind = 'pages') THEN first_seen_at
            ELSE min(coalesce(published_at, updated_at, first_seen_at), first_seen_at)
        END;
        DROP INDEX items_status;
        CREATE INDEX items_inbox ON items(status, sort_at DESC, id DESC);
        CREATE INDEX items_sort ON items(sort_at DESC, id DESC);
        CREATE TABLE item_text_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id INTEGER NOT NULL UNIQUE REFERENCES items(id) ON DELETE CASCADE,
            changed_at TEXT
        );
        CREATE TRIGGER items_text_changed AFTER UPDATE OF content_text ON items
        WHEN old.content_text IS NOT new.content_text BEGIN
          INSERT OR REPLACE INTO item_text_changes (item_id, changed_at)
          VALUES (new.id, new.changed_at);
        END;
        """
    )


@migrations()
def m003_index_new_items_in_batches(db: Database) -> None:
    """New items are added to `items_fts` by the store, one statement per batch of items
    (`UpdatesMixin.apply_entry_updates`), instead of by a trigger row by row: the same
    index for 40 % less work on a first fetch. Updates and deletes keep their triggers.
    """
    db.execute("DROP TRIGGER items_ai")


@migrations()
def m004_sense(db: Database) -> None:
    """Sense: annotations, the note index, reviews, and one search index over all three.

    `search` replaces `items_fts`: BM25 scores are only comparable within one FTS index, so
    items, annotations and notes share it. A row's rowid says what it is: `id * 4 + kind`
    (0 item, 1 annotation, 2 note), so triggers and the store find a row without a lookup.
    Columns, by weight: `title` (an item's or note's title and a note's aliases), `quote` (a
    highlight's exact text), `body` (an item's plain text, a comment, a note's text).
    `unicode61` with diacritics folded and no stemmer: text comes in every language.

    Notes are indexed from the files in the vault (the files are the truth): `size` and
    `mtime_ns` tell a file that may have changed, `content_hash` one that has. `error` holds
    why a file's frontmatter could not be read; such a note is listed, never rewritten.
    `note_items` are the provenance edges (which items a note cites), rebuilt from the files.
    """
    db.executescript(
        """
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            exact TEXT,
            prefix TEXT NOT NULL DEFAULT '',
            suffix TEXT NOT NULL DEFAULT '',
            start INTEGER,
            "end" INTEGER,
            comment TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'anchored',
            state_changed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            reviewed_at TEXT,
            review_count INTEGER NOT NULL DEFAULT 0,
            retired_at TEXT
        );
        CREATE INDEX annotations_item ON annotations(item_id);
        CREATE INDEX annotations_state ON annotations(state);
        CREATE TABLE annotation_tags (
            annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (annotation_id, tag_id)
        ) WITHOUT ROWID;
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
            reviewed_at TEXT NOT NULL,
            action TEXT NOT NULL
        );
        CREATE INDEX reviews_annotation ON reviews(annotation_id);
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            title TEXT NOT NULL,
            aliases TEXT NOT NULL DEFAULT '[]',
            created_at TEXT,
            updated_at TEXT,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            error TEXT,
            indexed_at TEXT NOT NULL
        );
        CREATE INDEX notes_name ON notes(name COLLATE NOCASE);
        CREATE TABLE note_tags (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            PRIMARY KEY (note_id, tag_id)
        ) WITHOUT ROWID;
        CREATE TABLE note_links (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            heading TEXT,
            alias TEXT,
            position INTEGER NOT NULL
        );
        CREATE INDEX note_links_note ON note_links(note_id);
        CREATE INDEX note_links_target ON note_links(target COLLATE NOCASE);
        CREATE TABLE note_items (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (note_id, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX note_items_item ON note_items(item_id);

        CREATE VIRTUAL TABLE search USING fts5(
            title, quote, body, tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO search (rowid, title, quote, body)
            SELECT id * 4, coalesce(title, ''), '', content_text FROM items;
        DROP TRIGGER items_ad;
        DROP TRIGGER items_au;
        DROP TABLE items_fts;
        CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
          DELETE FROM search WHERE rowid = old.id * 4;
        END;
        CREATE TRIGGER items_au AFTER UPDATE OF title, content_text ON items BEGIN
          UPDATE search SET title = coalesce(new.title, ''), body = new.content_text
          WHERE rowid = new.id * 4;
        END;
        CREATE TRIGGER annotations_ai AFTER INSERT ON annotations BEGIN
          INSERT INTO search (rowid, title, quote, body)
          VALUES (new.id * 4 + 1, '', coalesce(new.exact, ''), new.comment);
        END;
        CREATE TRIGGER annotations_ad AFTER DELETE ON annotations BEGIN
          DELETE FROM search WHERE rowid = old.id * 4 + 1;
        END;
        CREATE TRIGGER annotations_au AFTER UPDATE OF exact, comment ON annotations BEGIN
          UPDATE search SET quote = coalesce(new.exact, ''), body = new.comment
          WHERE rowid = new.id * 4 + 1;
        END;
        CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
          DELETE FROM search WHERE rowid = old.id * 4 + 2;
        END;
        """
    )


@migrations()
def m005_share(db: Database) -> None:
    """Share: teammates' highlights, the archive a digest resurfaces, what was published.

    `annotations.shared_by` is null for the person's own annotations and names the teammate
    otherwise (they arrive with a teammate's `shared.atom`, and are never shared again as
    the reader's own). `digest_archive` records which older highlights the digest of a
    period resurfaced, so a later period picks others while others remain, and the same
    period picks the same ones again. `publications` is `pkm share history`.
    """
    db.executescript(
        """
        ALTER TABLE annotations ADD COLUMN shared_by TEXT;
        CREATE INDEX annotations_shared_by ON annotations(shared_by);
        CREATE TABLE digest_archive (
            period_start TEXT NOT NULL,
            annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
            PRIMARY KEY (period_start, annotation_id)
        ) WITHOUT ROWID;
        CREATE TABLE publications (
            id INTEGER PRIMARY KEY,
            author TEXT NOT NULL,
            period TEXT NOT NULL,
            folder TEXT NOT NULL,
            published_at TEXT NOT NULL,
            files TEXT NOT NULL DEFAULT '[]',
            changed INTEGER NOT NULL DEFAULT 0,
            commit_sha TEXT
        );
        CREATE INDEX publications_period ON publications(author, period);
        """
    )


@migrations()
def m006_shared_highlights(db: Database) -> None:
    """The loop: a teammate's highlights as annotations, and the articles their notes cite.

    A teammate's highlight keeps its identity from their `shared.atom`: `shared_id` (the
    highlight's id there) within `shared_source_id` (the source it came through), so an
    edit upstream updates the reader's copy in place and a highlight that disappeared is
    removed. `shared_hash` tells an edit. The reader's own annotations have all three null.
    `item_cites` holds the articles a teammate's note cites (`pkm:cites`), in order.
    """
    db.executescript(
        """
        ALTER TABLE annotations ADD COLUMN shared_id TEXT;
        ALTER TABLE annotations ADD COLUMN shared_source_id INTEGER;
        ALTER TABLE annotations ADD COLUMN shared_hash TEXT;
        CREATE UNIQUE INDEX annotations_shared ON annotations(shared_source_id, shared_id)
            WHERE shared_id IS NOT NULL;
        CREATE TABLE item_cites (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            url_key TEXT NOT NULL,
            title TEXT,
            PRIMARY KEY (item_id, position)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m007_questions(db: Database) -> None:
    """Asking the team: the person's own questions and answers, and teammates' ones as items.

    `questions` and `answers` are what the person asked and answered (`pkm share ask`,
    `pkm share answer`); `shared.atom` carries them. A teammate's question or answer
    arrives as an item whose `kind` says so (`item` for everything else, `note` for a
    teammate's note); an answer's `answers_ref` is the entry id of the question it answers,
    which is how an asker finds the answers to their own questions.
    """
    db.executescript(
        """
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '[]',
            asked_at TEXT NOT NULL
        );
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            question_ref TEXT NOT NULL,
            question_text TEXT NOT NULL,
            note_path TEXT,
            note_title TEXT,
            items TEXT NOT NULL DEFAULT '[]',
            comment TEXT NOT NULL DEFAULT '',
            answered_at TEXT NOT NULL
        );
        ALTER TABLE items ADD COLUMN kind TEXT NOT NULL DEFAULT 'item';
        ALTER TABLE items ADD COLUMN answers_ref TEXT;
        CREATE INDEX items_answers_ref ON items(answers_ref) WHERE answers_ref IS NOT NULL;
        """
    )


@migrations()
def m008_runs(db: Database) -> None:
    """The run log: one row per `pkm seek`, `synthesize`, `publish` and `import` run.

    The row is written when the run starts and completed when it ends, so a run that was
    killed stays visible (no `ended_at`). `counts` is a JSON object of what the run did,
    `failures` a JSON array of {"what", "error"}.
    """
    db.executescript(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT,
            detail TEXT NOT NULL DEFAULT '',
            counts TEXT NOT NULL DEFAULT '{}',
            failures TEXT NOT NULL DEFAULT '[]',
            pid INTEGER
        );
        CREATE INDEX runs_kind ON runs(kind, id);
        """
    )


@migrations()
def m009_item_time_indexes(db: Database) -> None:
    """`pkm stats` counts the items first seen, and those whose status changed, in the last
    weeks: with these two indexes it reads those items, not the whole table (a 100,000-item
    inbox: 300 ms to 74 ms)."""
    db.executescript(
        """
        CREATE INDEX items_first_seen ON items(first_seen_at);
        CREATE INDEX items_status_changed ON items(status_changed_at)
            WHERE status_changed_at IS NOT NULL;
        """
    )


@migrations()
def m010_annotation_origin(db: Database) -> None:
    """An imported annotation's identity and selectors in the tool it came from: `origin_id`
    (`hypothesis:<id>`), which a re-import matches exactly, and `origin_target`, the W3C
    target as the tool exported it (its TextQuote, TextPosition and RangeSelector kept as
    they are, JSON), whatever pkm's own anchoring later makes of the quote."""
    db.executescript(
        """
        ALTER TABLE annotations ADD COLUMN origin_id TEXT;
        ALTER TABLE annotations ADD COLUMN origin_target TEXT;
        CREATE INDEX annotations_origin ON annotations(origin_id) WHERE origin_id IS NOT NULL;
        """
    )


@migrations()
def m011_search_backlog(db: Database) -> None:
    """New items wait in `search_backlog` until a search needs them, instead of being
    indexed in the transaction that stores them (`SearchMixin.index_backlog`).

    Indexing their text was 40 % of what the main process of a first `pkm seek` did, in
    the write transactions that a fetch run keeps short; a search that catches up first
    pays it once, in one statement, as reader's `update_search` does. Updates and deletes
    keep their triggers: an item still waiting has no row for them to change, and is
    indexed from its text as it is then.
    """
    db.executescript(
        """
        CREATE TABLE search_backlog (item_id INTEGER PRIMARY KEY);
        """
    )
