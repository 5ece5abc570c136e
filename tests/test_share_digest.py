"""The digest: what it shares, what it keeps private, the archive, and each format."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pkm.core import Pkm, open_pkm
from pkm.models import Digest
from pkm.share import build_digest, record_archive, render_digest
from pkm.share.period import week_period
from tests.conftest import FIXED_NOW
from tests.sensedata import add_annotation, add_item, write

SCHEMA = Path(__file__).resolve().parents[1] / "pkm" / "schemas" / "digest.schema.json"
W05 = week_period("2026-W05", UTC)  # 2026-01-26 .. 2026-02-01; sensedata's times are in it
HOSTILE_HTML = (
    '<p onclick="steal()">Summary <script>alert(1)</script><img src="https://evil.example/x.png">'
    '<a href="javascript:alert(2)">js</a> <a href="https://ok.example/">ok</a>'
    '<iframe src="https://evil.example/frame"></iframe><style>body{}</style></p>'
)


def sql(pkm: Pkm, statement: str, *params: Any) -> None:
    with pkm.store.transaction():
        pkm.store.db.execute(statement, list(params))


def star(pkm: Pkm, item_id: int, when: str = "2026-01-28T10:00:00Z") -> None:
    sql(
        pkm,
        "UPDATE items SET status = 'starred', status_changed_at = ? WHERE id = ?",
        when,
        item_id,
    )


def set_created(pkm: Pkm, annotation_id: int, when: str) -> None:
    sql(
        pkm,
        "UPDATE annotations SET created_at = ?1, updated_at = ?1 WHERE id = ?2",
        when,
        annotation_id,
    )


def tag_source(pkm: Pkm, url: str, tag: str) -> None:
    with pkm.store.transaction():
        (tag_id,) = pkm.store._tag_ids([tag])
        pkm.store.db.execute(
            "INSERT INTO source_tags (source_id, tag_id) SELECT id, ? FROM sources WHERE url = ?",
            [tag_id, url],
        )


def note(pkm: Pkm, path: str, title: str, body: str, **meta: Any) -> None:
    lines = [f"title: {title}", "created: 2026-01-28T12:00:00Z"]
    for key, value in meta.items():
        lines.append(f"{key}: {json.dumps(value)}")
    write(pkm.vault, path, "---\n" + "\n".join(lines) + "\n---\n" + body)


def all_formats(pkm: Pkm, digest: Digest) -> dict[str, str]:
    return {f: render_digest(pkm, digest, f) for f in ("md", "html", "atom", "json")}


@pytest.fixture
def week(pkm: Pkm) -> Pkm:
    """A week with a note, a starred item, highlights, a comment and hostile feed HTML."""
    a = add_item(pkm, "Attention is all you need", url="https://a.example/1", text="alpha beta")
    add_annotation(pkm, a, "alpha", comment="The key idea.", tags=["ml"], start=0)
    add_annotation(pkm, a, None, comment="Read again.")
    b = add_item(pkm, "Starred <script>alert(1)</script>", url="https://b.example/2")
    sql(pkm, "UPDATE items SET summary = ? WHERE id = ?", HOSTILE_HTML, b)
    star(pkm, b)
    add_item(pkm, "Not touched", url="https://c.example/3")
    note(
        pkm,
        "thinking.md",
        "On attention",
        "# On attention\n\n## Sources\n\n> alpha\n\n## Synthesis\n\nAttention *scales*. See [[other]].\n",
        tags=["ml"],
        sources=[{"item_id": a}],
    )
    write(pkm.vault, "other.md", "---\ncreated: 2025-01-01\n---\n# Other note\n")
    return pkm


def test_a_week_digest_shares_notes_items_and_highlights(week: Pkm) -> None:
    d = build_digest(week, W05, author="ann")
    assert [n.title for n in d.notes] == ["On attention"]
    n = d.notes[0]
    assert n.excerpt == "Attention *scales*. See other."
    assert n.links == ("Other note",)
    assert [c.item_id if c else None for c in n.cites] == [1]
    assert [i.item_id for i in d.items] == [2, 1]  # oldest change first: the star
    first = d.items[1]
    assert [(h.exact, h.comment) for h in first.highlights] == [
        (None, "Read again."),
        ("alpha", "The key idea."),
    ]
    assert d.items[0].starred and d.items[0].starred_at == datetime(2026, 1, 28, 10, tzinfo=UTC)
    assert d.summary.notes == 1 and d.summary.items == 2 and d.summary.highlights == 2
    assert d.summary.top_tags[0] == ("ml", 2)


def test_each_format(week: Pkm) -> None:
    import feedparser
    import frontmatter
    import html5lib
    import jsonschema

    d = build_digest(week, W05, author="ann")
    out = all_formats(week, d)

    post = frontmatter.loads(out["md"])
    assert post["period"] == "2026-W05" and post["author"] == "ann" and post["items"] == 2
    assert "## Notes" in post.content and "> alpha" in post.content
    assert "\\<script\\>" in post.content  # a title's markup is shown, not run

    value = json.loads(out["json"])
    jsonschema.validate(value, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft202012Validator)
    hl = value["items"][1]["highlights"][1]
    assert hl["exact"] == "alpha" and {"prefix", "suffix"} <= set(hl)
    assert value["notes"][0]["cites"][0]["url"] == "https://a.example/1"

    feed = feedparser.parse(out["atom"])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.id == "tag:pkm,2026:ann/digest/2026-W05"
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)) == 3
    assert feed.feed.updated == "2026-02-01T08:00:00Z"

    html = out["html"]
    html5lib.HTMLParser(strict=True).parse(html)
    lowered = html.lower()
    assert "<script" not in lowered and "onclick" not in lowered and "javascript:" not in lowered
    assert "src=" not in lowered and "<iframe" not in lowered and "<link" not in lowered
    assert "evil.example" not in lowered
    assert 'href="https://ok.example/"' in html  # a feed's http(s) link stays
    assert "prefers-color-scheme" in html and "@media print" in html


def test_output_is_deterministic(week: Pkm) -> None:
    first = all_formats(week, build_digest(week, W05, author="ann"))
    again = open_pkm(week.paths.home, now=datetime(2030, 1, 1, tzinfo=UTC))  # another clock
    try:
        second = all_formats(again, build_digest(again, W05, author="ann"))
    finally:
        again.close()
    assert first == second


def test_private_things_never_appear(pkm: Pkm) -> None:
    secret_item = add_item(pkm, "SECRET-ITEM", url="https://s.example/1", tags=["Private"])
    add_annotation(pkm, secret_item, "SECRET-QUOTE-1")
    by_source = add_item(
        pkm, "SECRET-SOURCED", url="https://s.example/2", source="https://secret.example/feed"
    )
    add_annotation(pkm, by_source, "SECRET-QUOTE-2")
    tag_source(pkm, "https://secret.example/feed", "private")
    public = add_item(pkm, "Public", url="https://p.example/1")
    add_annotation(pkm, public, "public quote")
    add_annotation(pkm, public, "SECRET-QUOTE-3", tags=["private"])
    note(pkm, "secret.md", "SECRET-NOTE", "# SECRET-NOTE\n\nSECRET-TEXT\n", tags=["private"])
    note(pkm, "inline.md", "SECRET-INLINE", "# SECRET-INLINE\n\nhush #private\n")
    note(
        pkm,
        "public.md",
        "Public note",
        "## Synthesis\n\nMine. [[secret]]\n",
        sources=[{"item_id": secret_item}, {"item_id": public}],
    )
    d = build_digest(pkm, W05, author="ann")
    assert [i.item_id for i in d.items] == [public]
    assert [n.title for n in d.notes] == ["Public note"]
    assert [c.item_id if c else None for c in d.notes[0].cites] == [None, public]
    assert d.notes[0].links == ()  # the private note it links to is not named
    assert d.notes[0].excerpt == "Mine. a private note"  # not even the link's name
    for fmt, text in all_formats(pkm, d).items():
        assert "SECRET" not in text and "s.example/1" not in text, fmt
        assert "[[secret]]" not in text and "Mine. secret" not in text, fmt
        assert "a private source" in text or fmt == "json", fmt


def test_teammates_highlights_are_not_shared_as_ones_own(pkm: Pkm) -> None:
    item = add_item(pkm, "Shared", url="https://t.example/1")
    theirs = add_annotation(pkm, item, "their quote")
    sql(pkm, "UPDATE annotations SET shared_by = 'bob' WHERE id = ?", theirs)
    assert build_digest(pkm, W05, author="ann").items == ()


def test_an_empty_period_gives_a_short_digest(pkm: Pkm) -> None:
    import feedparser
    import html5lib
    import jsonschema

    d = build_digest(pkm, week_period("2025-W10", UTC), author="ann")
    assert d.empty and d.updated == d.period.end
    out = all_formats(pkm, d)
    assert "Nothing shared this week." in out["md"] and "Nothing shared this week." in out["html"]
    value = json.loads(out["json"])
    jsonschema.validate(value, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft202012Validator)
    assert value["empty"] is True
    feed = feedparser.parse(out["atom"])
    assert not feed.bozo and len(feed.entries) == 1
    html5lib.HTMLParser(strict=True).parse(out["html"])


def test_the_archive_over_three_weeks(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text("[share]\narchive_count = 2\n")
    pkm = open_pkm(home, now=FIXED_NOW)
    try:
        item = add_item(pkm, "Old", url="https://o.example/1")
        old = [add_annotation(pkm, item, f"old quote {n}") for n in range(5)]
        for a in old:
            set_created(pkm, a, "2025-06-01T00:00:00Z")
        retired = add_annotation(pkm, item, "retired quote")
        set_created(pkm, retired, "2025-06-01T00:00:00Z")
        sql(pkm, "UPDATE annotations SET retired_at = '2025-07-01T00:00:00Z' WHERE id = ?", retired)
        weeks = [week_period(f"2026-W{n:02d}", UTC) for n in (6, 7, 8)]
        shown = []
        for period in weeks:
            d = build_digest(pkm, period, author="ann")
            assert d.empty and len(d.archive) == 2
            shown.append([a.highlight.annotation_id for a in d.archive])
            record_archive(pkm, d.period, d.archive_ids)
        assert not set(shown[0]) & set(shown[1])
        remaining = set(old) - set(shown[0]) - set(shown[1])
        assert len(remaining) == 1 and shown[2][0] in remaining
        assert shown[2][1] in shown[0]  # then the one shown longest ago
        assert all(retired not in ids for ids in shown)
        # The same period chooses the same again (only earlier periods count).
        again = build_digest(pkm, weeks[0], author="ann")
        assert [a.highlight.annotation_id for a in again.archive] == shown[0]
        assert "From the archive" in render_digest(pkm, again, "md")
    finally:
        pkm.close()


def test_a_template_in_home_overrides_the_packaged_one(pkm: Pkm) -> None:
    templates = pkm.paths.home / "templates"
    templates.mkdir(parents=True)
    (templates / "digest.md.j2").write_text("Digest of {{ author }} for {{ period.label }}\n")
    d = build_digest(pkm, W05, author="ann")
    assert render_digest(pkm, d, "md") == "Digest of ann for 2026\\-W05\n"
    (templates / "digest.html.j2").write_text("<p>{{ title }}</p>\n")
    assert render_digest(pkm, d, "html") == "<p>ann: week 2026-W05</p>\n"


def test_an_unknown_format_is_refused(pkm: Pkm) -> None:
    with pytest.raises(ValueError, match="unknown digest format"):
        render_digest(pkm, build_digest(pkm, W05, author="ann"), "pdf")


# --- the command line ------------------------------------------------------------------------


def test_cli_prints_markdown_and_writes_files(run: Any, home: Path, tmp_path: Path) -> None:
    pkm = open_pkm(home, now=FIXED_NOW)
    item = add_item(pkm, "Hello", url="https://h.example/1")
    add_annotation(pkm, item, "hi there")
    old = add_annotation(pkm, item, "an old one")
    set_created(pkm, old, "2025-01-01T00:00:00Z")
    pkm.close()
    result = run("share", "digest", "--week", "2026-W05")
    assert result.stdout.startswith("---\n") and "hi there" in result.stdout
    assert json.loads(run("share", "digest", "--week", "2026-W05", "--json").stdout)["version"] == 1

    out = tmp_path / "digests"
    dry = run(
        "share", "digest", "--week", "2026-W05", "--out", str(out), "-f", "md,json", "--dry-run"
    )
    assert "highlight 1: hi there" in dry.stdout and "archive (1):" in dry.stdout
    assert not out.exists()
    pkm = open_pkm(home, now=FIXED_NOW)
    assert pkm.store.get_archive_history(datetime(2030, 1, 1, tzinfo=UTC)) == {}
    pkm.close()

    result = run(
        "share", "digest", "--week", "2026-W05", "--format", "md,html,atom,json", "--out", str(out)
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2026-W05.atom", "2026-W05.html", "2026-W05.json", "2026-W05.md"]
    assert result.stdout.splitlines() == [
        str(out / n) for n in ("2026-W05.md", "2026-W05.html", "2026-W05.atom", "2026-W05.json")
    ]
    pkm = open_pkm(home, now=FIXED_NOW)
    assert set(pkm.store.get_archive_history(datetime(2030, 1, 1, tzinfo=UTC))) == {old}
    pkm.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W54"], "no week 54"),
        (["--week", "last"], "not an ISO week"),
        (["--since", "2026-01-01"], "go together"),
        (["--week", "2026-W05", "--since", "2026-01-01", "--until", "2026-01-02"], "not both"),
        (["--since", "2026-01-05", "--until", "2026-01-01"], "before"),
        (["--format", "pdf"], "unknown format"),
        (["--format", "md,html"], "one format at a time"),
    ],
)
def test_cli_bad_options_are_usage_errors(run: Any, args: list[str], message: str) -> None:
    result = run("share", "digest", *args, code=2)
    assert message in result.stderr


def test_the_default_author_is_the_os_user(pkm: Pkm) -> None:
    import getpass

    assert pkm.author == getpass.getuser()


def test_a_comment_s_html_and_script_links_leave_as_text(pkm: Pkm) -> None:
    item = add_item(pkm, "Public", url="https://p.example/1")
    add_annotation(
        pkm,
        item,
        "public quote",
        comment="<script>x()</script> [a](javascript:y()) [b](https://ok.example/)",
    )
    md = render_digest(pkm, build_digest(pkm, W05, author="ann"), "md")
    assert "<script>" not in md and "&lt;script>" in md
    assert "[a](javascript:" not in md and "\\[a\\](javascript:" in md
    assert "[b](https://ok.example/)" in md
