"""Reading a response body: content codings (gzip, deflate, br) under a cap on the decoded size.

The cap holds for the decoded bytes, and no decoder is ever asked for more than one byte past
it, so a decompression bomb (a few KiB that inflate to gigabytes) costs no more memory than an
honest body of the cap's size. Knows nothing about redirects, scheduling or sockets.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Final, Protocol

import brotli
from urllib3.response import BaseHTTPResponse

CHUNK: Final = 64 * 1024  # raw bytes per read: a typical feed arrives in one or two reads


class Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`; return at least everything decodable, or more than `limit` bytes."""

    def finish(self) -> bytes:
        """The rest of the output once the input has ended."""


class Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


class ZlibDecoder:
    """gzip (every member), or deflate: zlib-wrapped as the RFC says, or raw as some servers send."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._obj: zlib._Decompress | None = zlib.decompressobj(31) if gzip else None
        self._head = b""
        self._later_member = False
        self._done = False

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj is None:  # deflate: the first two bytes tell zlib from raw
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            zlib_header = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        out = b""
        while data and not self._done:
            if self._obj.eof:  # the stream ended: another gzip member follows, or junk
                if not self._gzip:
                    self._done = True
                    break
                self._obj = zlib.decompressobj(31)
                self._later_member = True
            try:
                # Never more output than asked for: limit - len(out) >= 1 here (0 = no limit).
                out += self._obj.decompress(data, limit - len(out))
            except zlib.error:
                if not self._later_member:
                    raise
                self._done = True  # junk after a complete member is ignored, as browsers do
                break
            if len(out) >= limit:
                break
            # Short of the limit, zlib consumed all input up to the end of a member, if any.
            data = self._obj.unused_data if self._obj.eof else b""
        return out

    def finish(self) -> bytes:
        return b"" if self._obj is None or self._done else self._obj.flush()


class BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj.is_finished():
            return b""
        out: bytes = self._obj.process(data, output_buffer_limit=limit)
        while len(out) < limit and not self._obj.can_accept_more_data():
            out += self._obj.process(b"", output_buffer_limit=limit - len(out))
        return out

    def finish(self) -> bytes:
        return b""


def decoder_for(coding: str) -> Decoder | None:
    """The decoder for a Content-Encoding value (lower-case), or None if we cannot decode it."""
    if coding in ("identity", ""):
        return Identity()
    if coding in ("gzip", "x-gzip"):
        return ZlibDecoder(gzip=True)
    if coding == "deflate":
        return ZlibDecoder(gzip=False)
    if coding == "br":
        return BrotliDecoder()
    return None


def read_body(
    resp: BaseHTTPResponse,
    headers: Mapping[str, str],
    cap: int,
    *,
    stopped: Callable[[], bool],
) -> bytes | str | None:
    """The decoded body; an error message; or None once `stopped()` says the work was dropped.

    On anything but a whole body, the response (and its connection) is closed.
    """
    coding = headers.get("content-encoding", "identity").strip().lower()
    decoder = decoder_for(coding)
    if decoder is None:
        resp.close()
        return f"unsupported content-encoding: {coding}"
    if isinstance(decoder, Identity):
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            resp.close()
            return f"body exceeds {cap} bytes"
    parts: list[bytes] = []
    size = 0
    while True:
        if stopped():
            resp.close()
            return None
        raw = resp.read(CHUNK, decode_content=False)
        try:
            # Ask for at most one byte more than the cap allows: enough to know it is
            # exceeded, never the whole of a bomb.
            data = decoder.feed(raw, cap - size + 1) if raw else decoder.finish()
        except (zlib.error, brotli.error):
            resp.close()
            return f"invalid {coding} body"
        size += len(data)
        if size > cap:
            resp.close()
            return f"body exceeds {cap} bytes"
        if data:
            parts.append(data)
        if not raw:
            return b"".join(parts)
