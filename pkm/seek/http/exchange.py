"""One hop of a request: send the conditional GET, then follow a redirect or take the body.

Runs in a scheduler worker. Redirects are followed here, by hand, one hop at a time (the next
hop goes back to the scheduler, to wait for its own origin's slot), and only to http(s)
targets. Each hop is armed with its request's deadline (`deadlines.Watchdog`). Failures of any
kind become responses with `error` set: an exception from here is a bug.

Logs what `pkm -v` shows of the network, on `pkm.seek.http`: each request's outcome at INFO,
in one line, and each redirect hop at DEBUG.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import time
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final
from urllib.parse import urljoin

from urllib3 import PoolManager
from urllib3.exceptions import HTTPError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Timeout

from pkm._util.text import has_controls, one_line
from pkm.seek.http.connections import Interruption, Watch, current_watch, watch_this_thread
from pkm.seek.http.deadlines import Watchdog
from pkm.seek.http.decoding import read_body
from pkm.seek.http.errors import closed_before_response, describe
from pkm.seek.http.messages import HttpResponse, failed
from pkm.seek.http.scheduler import Job
from pkm.seek.http.urls import origin_of

log = logging.getLogger("pkm.seek.http")

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES: Final = frozenset({301, 308})
# A non-2xx body this small is read and dropped to keep the connection.
DRAIN_MAX: Final = 64 * 1024


class Exchange:
    """Makes the hops of jobs over one pool of connections; see the module docstring."""

    def __init__(
        self,
        pool: PoolManager,
        watchdog: Watchdog,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
        max_redirects: int,
        total_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._watchdog = watchdog
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._total_timeout = total_timeout

    @contextlib.contextmanager
    def worker_scope(self) -> Iterator[None]:
        """The life of one worker thread: its Watch, known to the watchdog and its connections."""
        watch = Watch()
        self._watchdog.register(watch)
        watch_this_thread(watch)
        try:
            yield
        finally:
            watch_this_thread(None)
            self._watchdog.unregister(watch)

    def run(self, job: Job) -> HttpResponse | Job | None:
        """One request/response. Returns the final response, the next hop, or None if cancelled."""
        outcome = self._run(job)
        if isinstance(outcome, HttpResponse):
            log_outcome(outcome)
        return outcome

    def _run(self, job: Job) -> HttpResponse | Job | None:
        if job.batch.cancelled:
            return None
        now = time.monotonic()
        if not job.started:
            job.started = now
        deadline = None if self._total_timeout is None else job.started + self._total_timeout
        if deadline is not None and now >= deadline:
            return self._fail(job, self._timed_out())
        watch = current_watch()
        self._watchdog.arm(watch, deadline)
        try:
            outcome = self._hop(job, watch, deadline, now)
        finally:
            interruption = watch.end()
        if interruption is Interruption.CLOSED:
            return None
        if interruption is Interruption.DEADLINE or (
            # A connect cut short to the time left fails on its own, just before the watchdog.
            deadline is not None
            and isinstance(outcome, HttpResponse)
            and outcome.error is not None
            and time.monotonic() >= deadline
        ):
            return self._fail(job, self._timed_out())
        return outcome

    def _hop(
        self, job: Job, watch: Watch, deadline: float | None, now: float
    ) -> HttpResponse | Job | None:
        timeout: Timeout | None = None  # the pool's
        if deadline is not None and deadline - now < self._connect_timeout:
            # A connect has no socket to shut down until it succeeds: bound it by the time left.
            timeout = Timeout(connect=deadline - now, read=self._read_timeout)
        for attempt in (1, 2):
            try:
                resp = self._pool.urlopen(
                    "GET",
                    job.url,
                    headers=job.headers,
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                    **({} if timeout is None else {"timeout": timeout}),
                )
                break
            except (HTTPError, OSError, http.client.HTTPException, ValueError) as e:
                # A kept-alive connection the server closed just as we reused it fails this
                # way, before any response: try once more on a fresh one, as browsers do.
                if attempt == 1 and not watch.interrupted and closed_before_response(e):
                    continue
                return self._fail(job, describe(e))
        try:
            return self._handle(job, watch, resp)
        except (HTTPError, OSError, http.client.HTTPException) as e:
            resp.close()
            return self._fail(job, describe(e))
        finally:
            resp.release_conn()

    def _timed_out(self) -> str:
        return f"timed out after {self._total_timeout:g} s"

    def _handle(self, job: Job, watch: Watch, resp: BaseHTTPResponse) -> HttpResponse | Job | None:
        status = resp.status
        headers = MappingProxyType({k.lower(): v for k, v in resp.headers.itermerged()})
        location = headers.get("location")
        if status in REDIRECT_STATUSES and location:
            discard(resp)
            if has_controls(location):  # tab, CR, LF and ESC included: refused, never recorded
                return self._fail(job, "redirect location has control characters")
            try:
                target = urljoin(job.url, location.strip())
            except ValueError:  # e.g. a broken IPv6 literal
                target = location
            job.redirects.append((status, target))
            if len(job.redirects) > self._max_redirects:
                return self._fail(job, "too many redirects")
            origin = origin_of(target)
            if isinstance(origin, str):
                return self._fail(job, f"redirect to {origin}")
            if log.isEnabledFor(logging.DEBUG):
                log.debug("redirect %s %s -> %s", status, one_line(job.url), target)
            job.url, job.origin = target, origin
            return job
        if not 200 <= status < 300:
            discard(resp)
            return self._done(job, status, headers, None)
        body = read_body(
            resp, headers, self._max_bytes, stopped=lambda: job.batch.cancelled or watch.interrupted
        )
        if body is None:
            return None
        if isinstance(body, str):
            return self._fail(job, body)
        return self._done(job, status, headers, body)

    def _done(
        self, job: Job, status: int, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        elapsed = time.monotonic() - job.started
        permanent = bool(job.redirects) and all(s in PERMANENT_STATUSES for s, _ in job.redirects)
        return HttpResponse(
            request=job.request,
            url=job.url,
            status=status,
            headers=headers,
            body=body,
            redirects=tuple(job.redirects),
            permanent_url=job.url if permanent else None,
            error=None,
            elapsed=elapsed,
        )

    def _fail(self, job: Job, error: str) -> HttpResponse:
        elapsed = time.monotonic() - job.started
        return failed(job.request, job.url, job.redirects, error, elapsed)


def log_outcome(response: HttpResponse) -> None:
    """One INFO line: method, requested URL, status or error, body bytes, time, redirects."""
    if not log.isEnabledFor(logging.INFO):
        return
    n = len(response.redirects)
    log.info(
        "GET %s -> %s, %d bytes, %d ms, %d redirect%s",
        one_line(response.request.url),
        response.status if response.error is None else f"error: {response.error}",
        len(response.body or b""),
        round(response.elapsed * 1000),
        n,
        "" if n == 1 else "s",
    )


def discard(resp: BaseHTTPResponse) -> None:
    """Finish with a body we do not want: read a small one (keeps the connection), else close."""
    remaining = getattr(resp, "length_remaining", None)
    if remaining is not None and remaining <= DRAIN_MAX:
        try:
            resp.read(decode_content=False)
            return
        except (HTTPError, OSError, http.client.HTTPException):
            pass
    resp.close()
