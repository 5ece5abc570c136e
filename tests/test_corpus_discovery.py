"""parse_opml and find_feed_links over the real files in ../shared/corpus/feeds.

Deselected by default; run with `.venv/bin/pytest -m corpus tests/test_corpus_discovery.py`.
The corpus is third-party content and is read in place, never copied into the repository.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pkm.errors import InvalidInputError
from pkm.seek.discover import find_feed_links, looks_like_html
from pkm.seek.opml import parse_opml, render_opml

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
if not CORPUS.is_dir():
    pytest.skip(f"feed corpus not present at {CORPUS}", allow_module_level=True)

OPML_FILES = sorted((CORPUS / "opml").glob("*.opml"))
PAGES = sorted((CORPUS / "autodiscovery").glob("*.html"))
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
FEED_RECORDS = [record for record in MANIFEST if record["role"] == "feed"]

# Where each captured page lived, so relative hrefs resolve as they did on the site, and
# the feed a reader should pick (the first link), checked by hand against the page.
PAGE_SITES = {
    "feeder-cowboyprogrammer.html": (
        "https://cowboyprogrammer.org/",
        "https://cowboyprogrammer.org/atom.xml",
    ),
    "feeder-fz.html": ("https://www.fz.se/", "https://www.fz.se/feeds/nyheter"),
    "feeder-gb2312.html": ("http://www.qqyewu.com/article/ds/2025/20250209201916.html", None),
    "feeder-nixos.html": ("https://nixos.org/", "https://nixos.org/news-rss.xml"),
    "feeder-slashdot.html": (
        "https://slashdot.org/",
        "http://rss.slashdot.org/Slashdot/slashdotMain",
    ),
    "rsparser-DaringFireball.html": (
        "https://daringfireball.net/",
        "https://daringfireball.net/feeds/main",
    ),
    "rsparser-YouTubeTheVolvoRocks.html": (
        "https://www.youtube.com/user/TheVolvorocks",
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCct7QF2jcWRY6dhXWMSq9LQ",
    ),
    "rsparser-coco.html": ("https://www.theatlantic.com/", "https://www.theatlantic.com/feed/all/"),
    "rsparser-furbo.html": ("http://furbo.org/", "http://furbo.org/feed/"),
    "rsparser-inessential.html": ("http://inessential.com/", "http://inessential.com/xml/rss.xml"),
    "rsparser-sixcolors.html": ("https://sixcolors.com/", "http://feedpress.me/sixcolors"),
}
_COMMENT_RE = re.compile(rb"<!--.*?-->", re.DOTALL)
_XMLURL_RE = re.compile(rb"""\bxmlurl\s*=\s*["']\s*([^"'\s][^"']*?)\s*["']""", re.IGNORECASE)


def test_corpus_has_the_files() -> None:
    assert OPML_FILES
    assert PAGES


@pytest.mark.parametrize("path", OPML_FILES, ids=lambda p: p.name)
def test_opml(path: Path) -> None:
    data = path.read_bytes()
    try:
        sources = parse_opml(data)
    except InvalidInputError as error:
        pytest.fail(f"a real export was refused: {error}")
    # An independent count: distinct xmlUrl values outside comments.
    expected = dict.fromkeys(
        m.decode("utf-8").replace("&amp;", "&")
        for m in _XMLURL_RE.findall(_COMMENT_RE.sub(b"", data))
    )
    assert [s.url for s in sources] == list(expected)
    assert all(s.title for s in sources), "every corpus subscription has a title or text"
    for source in sources:
        assert all(tag and tag == tag.strip() for tag in source.tags)
        assert len(set(source.tags)) == len(source.tags)
    again = parse_opml(render_opml(sources).encode())
    assert sorted(again, key=lambda s: s.url) == sorted(sources, key=lambda s: s.url)


def test_opml_folders_become_tags() -> None:
    flym = parse_opml((CORPUS / "opml" / "feeder-Flym_auto_backup.opml").read_bytes())
    assert {s.tags for s in flym} >= {("comics",), ("Tech",)}
    subs = parse_opml((CORPUS / "opml" / "rsparser-Subs.opml").read_bytes())
    assert len(subs) == 207
    assert {tag for s in subs for tag in s.tags} == {
        "Macintosh",
        "Programming",
        "Weblogs",
        "Writers",
    }


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_autodiscovery_page(path: Path) -> None:
    data = path.read_bytes()
    site, best = PAGE_SITES.get(path.name, ("https://example.com/", None))
    assert looks_like_html(data, None)
    assert looks_like_html(data, "text/html")
    links = find_feed_links(data, site)
    assert len({link.url for link in links}) == len(links)
    for link in links:
        assert link.url.startswith(("http://", "https://")), link
        assert "#" not in link.url
    if path.name in PAGE_SITES:
        assert (links[0].url if links else None) == best


@pytest.mark.parametrize("record", FEED_RECORDS, ids=lambda r: r["path"])
def test_feeds_are_not_html(record: dict[str, Any]) -> None:
    data = (CORPUS / record["path"]).read_bytes()
    if record["format"].startswith(("rss", "atom", "jsonfeed")):
        assert not looks_like_html(data, None)
        assert not looks_like_html(data, "text/html")  # a mislabelled feed is still a feed
    # Discovery on a feed (or anything else) must not blow up.
    assert isinstance(find_feed_links(data, "https://example.com/"), list)
