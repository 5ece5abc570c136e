"""feedparser, adjusted to read a feed the way the lxml path does.

Owns the few class-level changes made to feedparser's two parser classes, once, at import
(feedparser has no hooks for them). Each one removes a case where feedparser reads an
element into a field pkm takes as something else, so that a feed keeps its entries' ids,
links and text on the day it turns malformed and goes to the fallback:

* ids are not resolved as URLs (`t3_abc` is a name, not a path);
* an author's text is kept as written (`pkm_text`), since feedparser's split of
  "jo@example.industries (Jo)" into name and email cuts the address after four letters;
* `itunes:author` names the show: it becomes `itunes_author`, not one of the authors;
* `media:description` is a picture's or video's caption: it becomes `media_description`,
  never the summary or the content;
* a later description-like element (`itunes:summary` after `description` and
  `content:encoded`) no longer overwrites the summary: the first one stays;
* a description-like element feedparser takes as content for want of a real one is
  marked `pkm_demoted`, so a real `content:encoded` after it wins;
* whether content was seen is reset at each entry: a channel's second description no
  longer counts as content of its first item;
* `<link href=""/>` is no link, where feedparser resolves it to the document's own URL.

These classes exist only for `feedparser.parse`; nothing else in pkm uses feedparser's
parsers.
"""

from typing import Any

import feedparser
from feedparser.mixin import _FeedParserMixin

_LATER_SUMMARY = "pkm_later_summary"  # a summary-like element after the first: not kept
_HAS_SUMMARY = "pkm_has_summary"  # set on an entry once a summary-like element gave text
DEMOTED = "pkm_demoted"  # set on a `content` item that came from a summary-like element


def _start_summary_like(original: Any) -> Any:
    def start(self: Any, attrs_d: dict[str, str]) -> None:
        context = self._get_context()
        if self.inentry and self.hasContent and context.get(_HAS_SUMMARY):
            self._summaryKey = _LATER_SUMMARY
            self.push_content(_LATER_SUMMARY, attrs_d, "text/plain", 1)
            return
        original(self, attrs_d)
        if self._summaryKey == "content":  # feedparser took it as the content
            self.contentparams[DEMOTED] = True

    return start


def _end_summary_like(original: Any) -> Any:
    def end(self: Any) -> None:
        if self._summaryKey == _LATER_SUMMARY:
            self.pop_content(_LATER_SUMMARY)
            self._summaryKey = None
            return
        demoted = self._summaryKey == "content"
        original(self)
        context = self._get_context()
        if self.inentry and not demoted and (context.get("summary") or "").strip():
            context[_HAS_SUMMARY] = True

    return end


def _end_author(self: Any) -> None:
    value = self.pop("author")  # _FeedParserMixin._end_author, keeping the text
    self.inauthor = 0
    self._sync_author_detail()
    authors = self._get_context().get("authors")
    if value and value.strip() and authors:
        authors[-1]["pkm_text"] = value.strip()


def _start_entry(original: Any) -> Any:
    def start(self: Any, attrs_d: dict[str, str]) -> None:
        self.hasContent = 0
        original(self, attrs_d)

    return start


def _start_itunes_author(self: Any, attrs_d: dict[str, str]) -> None:
    self.push("itunes_author", 1)


def _end_itunes_author(self: Any) -> None:
    self.pop("itunes_author")


def _start_media_description(self: Any, attrs_d: dict[str, str]) -> None:
    self.push_content("media_description", attrs_d, "text/plain", 1)


def _end_media_description(self: Any) -> None:
    self.pop_content("media_description")


def _start_link_with_href(original: Any) -> Any:
    def start(self: Any, attrs_d: dict[str, str]) -> None:
        if "href" in attrs_d and not attrs_d["href"].strip():
            del attrs_d["href"]
        original(self, attrs_d)

    return start


_METHODS = {
    "_start_description": _start_summary_like(_FeedParserMixin._start_description),
    "_start_summary": _start_summary_like(_FeedParserMixin._start_summary),
    "_end_description": _end_summary_like(_FeedParserMixin._end_description),
    "_end_summary": _end_summary_like(_FeedParserMixin._end_summary),
    "_end_author": _end_author,
    "_start_item": _start_entry(_FeedParserMixin._start_item),
    "_start_entry": _start_entry(_FeedParserMixin._start_entry),
    "_start_itunes_author": _start_itunes_author,
    "_end_itunes_author": _end_itunes_author,
    "_start_media_description": _start_media_description,
    "_end_media_description": _end_media_description,
    "_start_link": _start_link_with_href(_FeedParserMixin._start_link),
}

for _parser_class in (feedparser.api.StrictFeedParser, feedparser.api.LooseFeedParser):
    _parser_class.can_be_relative_uri = frozenset(_parser_class.can_be_relative_uri) - {"id"}
    for _name, _method in _METHODS.items():
        setattr(_parser_class, _name, _method)
