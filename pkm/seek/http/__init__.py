"""HTTP retrieval for seek. The only package of pkm that touches the network. Contains no parsing.

`HttpClient.fetch_all` retrieves many URLs at once and yields an `HttpResponse` for each as it
completes. The package owns everything about being a polite, safe HTTP client:

- at most `concurrency` requests in flight, and at most `per_host` to any one origin (scheme,
  host, port), redirect hops included; a busy origin never holds up requests to other origins
  (`scheduler`);
- pooled keep-alive connections whose blocked reads can be interrupted (`connections`): by
  `close()`, which returns within about half a second whatever the workers are doing, and by
  a hard deadline on each whole request, `total_timeout`, however slowly a server trickles
  its bytes (`deadlines`);
- conditional GET (the stored validators are sent back verbatim), and redirects followed here,
  hop by hop, to http(s) targets only: content from the network can never make pkm read a
  local file; a URL or a redirect holding control characters is refused (`exchange`, `urls`);
- content decoding (gzip, deflate, br) under a cap on the decoded size, so a decompression
  bomb costs no memory (`decoding`);
- errors as values: one URL's failure (DNS, refused, timeout, TLS, garbage, oversized body) is
  a response with `error` set to a short lower-case reason without control characters, never
  an exception (`errors`, `messages`). An exception from here is a bug;
- logging on `pkm.seek.http`: each request's outcome at INFO, each redirect hop at DEBUG.

It does not own what the bytes mean (feeds, pages: `pkm.seek.feeds` and friends), which URLs
to fetch or when (`pkm.seek.update`, `pkm.seek.schedule`), the settings (`pkm.config`, wired
in `pkm.core`), the database or the CLI: bytes in, bytes out.
"""

from pkm.seek.http.client import HttpClient, default_user_agent
from pkm.seek.http.messages import HttpRequest, HttpResponse

__all__ = ["HttpClient", "HttpRequest", "HttpResponse", "default_user_agent"]
