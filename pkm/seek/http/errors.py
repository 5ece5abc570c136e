"""Network failures turned into short, lower-case reasons ("connection refused", "timed out").

A reason is what a user reads in `pkm seek list` and what the store keeps, so it names the
failure in the OS's or the protocol's own terms and never carries a traceback. urllib3 wraps
the interesting exception several layers deep; this module digs it out.
"""

from __future__ import annotations

import http.client
import socket
import ssl

from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)


def causes(e: BaseException) -> list[BaseException]:
    """`e` and what it wraps, outermost first (urllib3 wraps in args as well as __cause__)."""
    chain: list[BaseException] = []
    seen: BaseException | None = e
    while seen is not None and seen not in chain:
        chain.append(seen)
        nested = next((a for a in seen.args if isinstance(a, BaseException)), None)
        seen = seen.__cause__ or nested or seen.__context__
    return chain


def closed_before_response(e: BaseException) -> bool:
    """The server hung up before sending any response (as on a stale kept-alive connection)."""
    return isinstance(e, ProtocolError) and any(
        isinstance(c, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError)
        for c in causes(e)
    )


def describe(e: BaseException) -> str:
    """A short, lower-case reason for a network failure."""
    chain = causes(e)
    for err in reversed(chain):  # innermost first: the OS's or the parser's own words
        if isinstance(err, NameResolutionError | socket.gaierror):
            return "name not resolved"
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, http.client.RemoteDisconnected):  # before its base class below
            return "connection closed without a response"
        if isinstance(err, ConnectionResetError):
            return "connection reset"
        if isinstance(err, ssl.SSLCertVerificationError):
            return f"tls error: certificate verify failed: {err.verify_message}".lower()
        if isinstance(err, ssl.SSLError):
            return f"tls error: {err.reason or 'handshake failed'}".lower().replace("_", " ")
        # NewConnectionError subclasses ConnectTimeoutError, for history's sake.
        if isinstance(err, TimeoutError | ReadTimeoutError) or (
            isinstance(err, ConnectTimeoutError) and not isinstance(err, NewConnectionError)
        ):
            return "timed out"
        if isinstance(err, http.client.IncompleteRead):
            return "connection closed before the end of the body"
        if isinstance(err, http.client.LineTooLong):
            return "bad response: line too long"
        if isinstance(err, http.client.BadStatusLine):
            return "bad response: invalid status line"
        if isinstance(err, LocationValueError | LocationParseError):
            return "invalid url"
    for err in reversed(chain):
        if isinstance(err, SSLError):
            return "tls error"
        if isinstance(err, http.client.HTTPException):
            return f"bad response: {type(err).__name__.lower()}"
        if isinstance(err, OSError) and err.strerror:
            return f"connection failed: {err.strerror.lower()}"
        if isinstance(err, ValueError):  # http.client refuses e.g. a header with a newline
            return f"invalid request: {err}".lower().splitlines()[0]
    return f"connection failed: {type(e).__name__.lower()}"
