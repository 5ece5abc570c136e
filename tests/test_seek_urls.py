import pytest

from pkm._util.urls import is_http_url, normalize_feed_url, url_key, url_scheme


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://example.com/post/", "http://example.com/post"),
        ("https://Example.COM/post#comments", "https://example.com/post"),
        ("https://example.com/post?utm_source=rss&utm_medium=feed", "https://example.com/post"),
        ("https://example.com/p?id=3&fbclid=x&gclid=y", "https://example.com/p?id=3"),
        ("https://example.com:443/p?b=2&a=1", "https://example.com/p?a=1&b=2"),
    ],
)
def test_same_article_same_key(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://example.com/p?id=3", "https://example.com/p?id=4"),
        ("https://example.com:8080/p", "https://example.com/p"),
        ("https://example.com/a", "https://example.org/a"),
    ],
)
def test_different_articles_different_keys(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_is_http_url() -> None:
    assert is_http_url("https://example.com/feed")
    assert not is_http_url("file:///etc/passwd")
    assert not is_http_url("/tmp/feed.xml")
    assert not is_http_url("http://")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("feed://example.com/rss.xml", "http://example.com/rss.xml"),
        ("FEED://example.com/rss.xml", "http://example.com/rss.xml"),
        ("feed:https://example.com/rss.xml", "https://example.com/rss.xml"),
        ("itpc://pod.example/show.rss", "http://pod.example/show.rss"),
        ("example.com/feed.xml", "https://example.com/feed.xml"),
        ("  example.com  ", "https://example.com"),
        ("blog.example.org:8080/atom", "https://blog.example.org:8080/atom"),
        ("localhost:8000/feed", "https://localhost:8000/feed"),
        ("https://example.com/x", "https://example.com/x"),
        ("feed.xml", "feed.xml"),  # a file name, not a host
        ("news", "news"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("./feeds/a.xml", "./feeds/a.xml"),
    ],
)
def test_feed_urls_as_people_type_them(typed: str, meant: str) -> None:
    assert normalize_feed_url(typed) == meant


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("java\tscript:alert(1)", "javascript"),
        ("\x01 javascript:alert(1)", "javascript"),
        ("JAVASCRIPT:x", "javascript"),
        ("java\nscript:x", "javascript"),
        ("/relative", None),
        ("relative:no/it:is", "relative"),
        ("a/b:c", None),
        ("https://x", "https"),
    ],
)
def test_the_scheme_a_browser_would_see(url: str, scheme: str | None) -> None:
    assert url_scheme(url) == scheme
