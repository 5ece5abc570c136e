#!/usr/bin/env python3
"""Hostile-input benchmark: what one entry or one page built to be expensive costs pkm.

Each case is parsed (and sanitized) in this process and timed; the bound is about a second
for any single entry, whatever it holds. Cases: 100,000 nested <div> as escaped HTML and as
XHTML, 300 x 300-deep subtrees (a megabyte of depth), a 50 MB entry, a feed of 100,000
entries, a page of 100,000 nested <div> for `seek save`, and attribute and entity floods
in entries, pages, feed links and OPML outlines.
Run: `.venv/bin/python benchmarks/hostile.py`.
"""

import time
from collections.abc import Callable
from html import escape

from pkm.seek.discover import find_feed_links
from pkm.seek.extract import extract_article
from pkm.seek.feeds import parse_feed
from pkm.seek.opml import parse_opml

URL = "https://hostile.example/feed"


def rss(items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    ).encode()


def item(description: str, n: int = 0) -> str:
    return (
        f"<item><guid>{n}</guid><title>T{n}</title><description>{description}</description></item>"
    )


def deep(n: int, tag: str = "div") -> str:
    return f"<{tag}>" * n + "text" + f"</{tag}>" * n


CASES: dict[str, Callable[[], object]] = {
    "100,000 nested <div>, escaped in an RSS description": lambda: parse_feed(
        rss(item(escape(deep(100_000)))), URL
    ),
    "100,000 nested <div>, XHTML in an Atom entry": lambda: parse_feed(
        (
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id>'
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            + deep(100_000)
            + "</div></content></entry></feed>"
        ).encode(),
        URL,
    ),
    "300 subtrees 300 deep (1 MB)": lambda: parse_feed(
        rss(item(escape(deep(300, "section") * 300))), URL
    ),
    "a 50 MB entry": lambda: parse_feed(rss(item("word " * 10_000_000)), URL),
    "100,000 entries in one feed": lambda: parse_feed(
        rss("".join(item("x", n) for n in range(100_000))), URL
    ),
    "100,000 attributes on one element": lambda: parse_feed(
        rss(item(escape("<p " + " ".join(f'a{n}="x"' for n in range(100_000)) + ">x</p>"))),
        URL,
    ),
    "1,000,000 entity references": lambda: parse_feed(rss(item("&amp;lt;" * 1_000_000)), URL),
    "a page of 100,000 nested <div> (seek save)": lambda: _page(deep(100_000)),
    "a page with 100,000 attributes on one element (seek save)": lambda: _page(
        "<p " + _attributes(100_000) + ">" + "words " * 100 + "</p>"
    ),
    "a page whose feed link has 100,000 attributes (seek add)": lambda: find_feed_links(
        f'<html><head><link rel="alternate" href="/f" {_attributes(100_000)}></head></html>',
        "https://hostile.example/",
    ),
    "an OPML outline with 100,000 attributes (seek import)": lambda: parse_opml(
        f'<opml version="2.0"><body><outline xmlUrl="https://h.example/f" {_attributes(100_000)}/>'
        "</body></opml>".encode()
    ),
}


def _attributes(n: int) -> str:
    return " ".join(f'a{i}="x"' for i in range(n))


def _page(body: str) -> object:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    try:
        return extract_article(html.encode(), "https://hostile.example/page")
    except Exception as e:  # a ParseError is a fine answer: what is timed is the cost
        return e


def main() -> None:
    print("hostile input: seconds to parse and sanitize one case (bound: about 1 s)")
    for name, case in CASES.items():
        started = time.perf_counter()
        case()
        print(f"  {time.perf_counter() - started:6.2f} s  {name}")


if __name__ == "__main__":
    main()
