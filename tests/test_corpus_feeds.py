"""parse_feed over the shared feed corpus (../shared/corpus/feeds): 250 real and synthetic
feeds collected from other parsers' test suites.

Every file either parses or raises ParseError; real feeds with items parse, with ids and
mostly titles; where the origin project ships its parser's output, the entry count and
the first title match. Run with `pytest -m corpus tests/test_corpus_feeds.py`.
"""

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pkm.errors import ParseError
from pkm.models import ParsedFeed
from pkm.seek.feeds import parse_feed

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
if not (CORPUS / "manifest.json").is_file():
    pytest.skip(f"no feed corpus at {CORPUS}", allow_module_level=True)

MANIFEST: dict[str, dict[str, Any]] = {
    record["path"]: record for record in json.loads((CORPUS / "manifest.json").read_text())
}
# Files newer than the manifest sit in the folders of their role.
FOLDER_ROLES = {"opml": "opml", "autodiscovery": "autodiscovery-html"}
# Sniffed formats of files that are not feeds (or not usable ones) by design.
NOT_FEEDS = {
    "html",
    "empty-or-text",
    "json-invalid",
    "json-other",
    "other-xml:note",
    "other-xml:head",
}
# Feeds in form whose every entry is unusable, so ParseError is the right answer.
UNUSABLE = {"rss-parser/incomplete-fields.atom": "its one entry is empty: <entry><author/></entry>"}


def role(path: str) -> str:
    record = MANIFEST.get(path)
    return record["role"] if record else FOLDER_ROLES.get(path.split("/")[0], "feed")


FILES = sorted(
    str(p.relative_to(CORPUS))
    for p in CORPUS.rglob("*")
    if p.is_file()
    and "expected" not in p.relative_to(CORPUS).parts[:-1]
    and p.name not in ("manifest.json", "SOURCES.md")
)
FEED_FILES = [path for path in FILES if role(path) == "feed"]
PAGES = [path for path in FILES if role(path) == "autodiscovery-html"]
WITH_EXPECTED = [path for path in FEED_FILES if MANIFEST.get(path, {}).get("expected")]


def parse(path: str) -> ParsedFeed | ParseError:
    try:
        return parse_feed((CORPUS / path).read_bytes(), f"https://corpus.example/{path}")
    except ParseError as exc:
        return exc


@pytest.mark.parametrize("path", FEED_FILES)
def test_feed_parses_or_raises_parse_error(path: str) -> None:
    """Any other exception fails the test by itself; here we check which outcome it is."""
    record = MANIFEST.get(path, {})
    result = parse(path)
    should_parse = (
        record.get("format") not in NOT_FEEDS
        and (record.get("items") or 0) > 0
        and path not in UNUSABLE
    )
    if not should_parse:
        return  # either outcome is acceptable: an empty feed, or not a feed at all
    assert isinstance(result, ParsedFeed), f"{path}: {result}"
    assert result.entries, path
    ids = [entry.entry_id for entry in result.entries]
    assert all(ids) and len(set(ids)) == len(ids), path
    if record.get("capture", "").startswith("real-site"):  # synthetic ones test odd corners
        # Most entries of a real feed have a title (some blogs post title-less notes).
        usable = [entry for entry in result.entries if entry.title or entry.content_text]
        assert len(usable) >= len(result.entries) / 2, path


@pytest.mark.parametrize("path", FEED_FILES)
def test_parsing_again_with_every_entry_held_builds_only_what_cannot_be_matched(
    path: str,
) -> None:
    """What a changed feed's unchanged entries become: not built again, and the entries that
    are built (no id or link of their own, a repeated id, a teammate's) are the same."""
    first = parse(path)
    if not isinstance(first, ParsedFeed):
        return
    held = {e.entry_id: e.fingerprint for e in first.entries if e.fingerprint}
    url = f"https://corpus.example/{path}"
    again = parse_feed((CORPUS / path).read_bytes(), url, held=held)
    assert set(again.unchanged_entries) <= set(held), path
    built = {e.entry_id for e in again.entries}
    assert built.isdisjoint(again.unchanged_entries), path
    assert built | set(again.unchanged_entries) == {e.entry_id for e in first.entries}, path
    assert [e for e in first.entries if e.entry_id in built] == list(again.entries), path


@pytest.mark.parametrize("path", sorted(UNUSABLE))
def test_unusable_feeds_raise_parse_error(path: str) -> None:
    assert isinstance(parse(path), ParseError)


def test_files_that_are_not_feeds_raise_parse_error() -> None:
    not_feeds = [path for path in FEED_FILES if MANIFEST.get(path, {}).get("format") in NOT_FEEDS]
    assert not_feeds
    parsed = [path for path in not_feeds if not isinstance(parse(path), ParseError)]
    assert parsed == []


@pytest.mark.parametrize("path", PAGES)
def test_autodiscovery_pages_are_not_feeds(path: str) -> None:
    result = parse(path)
    assert isinstance(result, ParseError) and result.reason == "not a feed: looks like an HTML page"


def expected_titles(record: dict[str, Any]) -> list[str | None]:
    """Entry titles from the origin parser's output (three schemas, see SOURCES.md)."""
    raw = (CORPUS / record["expected"]["file"]).read_bytes().decode("utf-8", "replace")
    data = json.loads(raw)
    schema = record["expected"]["schema"]
    if schema.startswith("feed-rs"):
        return [(entry.get("title") or {}).get("content") for entry in data.get("entries") or []]
    if schema.startswith("rss-parser"):
        return [item.get("title") for item in data["feed"].get("items") or []]
    return [item.get("title") for item in data.get("items") or []]


def plain(title: str | None) -> str | None:
    """Titles as pkm gives them: other parsers keep tags and entities in titles."""
    if not title or not title.strip():
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", title)).split()) or None


@pytest.mark.parametrize("path", WITH_EXPECTED)
def test_matches_the_origin_parsers_output(path: str) -> None:
    titles = expected_titles(MANIFEST[path])
    result = parse(path)
    if not isinstance(result, ParsedFeed):
        # The origin parser found no usable entries either.
        assert all(plain(title) is None for title in titles), f"{path}: {result}"
        return
    assert len(result.entries) == len(titles), path
    if titles and "\ufffd" not in (titles[0] or ""):  # the origin parser's decoding failed
        assert result.entries[0].title == plain(titles[0]), path
