"""Small feed documents built in tests, so each test shows the entries it is about."""

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


def rss(
    *entries: tuple[str, str] | tuple[str, str, str],
    title: str = "Test feed",
    ttl: int | None = None,
) -> bytes:
    """An RSS 2.0 feed of (guid, title[, link]) entries."""
    items = []
    for n, entry in enumerate(entries):
        guid, item_title = entry[0], entry[1]
        link = entry[2] if len(entry) > 2 else f"https://example.com/posts/{guid}"  # type: ignore[misc]
        date = format_datetime(datetime(2026, 1, 1 + n % 28, 12, tzinfo=UTC), usegmt=True)
        items.append(
            f"<item><guid isPermaLink='false'>{escape(guid)}</guid><title>{escape(item_title)}</title>"
            f"<link>{escape(link)}</link><pubDate>{date}</pubDate>"
            f"<description>Text of {escape(item_title)}</description></item>"
        )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://example.com/</link>{ttl_tag}"
        + "".join(items)
        + "</channel></rss>"
    ).encode()
