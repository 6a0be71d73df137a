"""A fault-injecting HTTP/1.1 server on 127.0.0.1 (real sockets), for tests and by hand.

Routes are data: a path gets ``Reply`` values served in order, the last one repeating.
Faults are ``Reply`` fields (slow or trickled headers, slow body, reset mid-body, a lying or
missing Content-Length), so a new scenario is a table entry, not code. Every request is
logged (method, target, headers, time, how much of the reply went out)::

    url = server.route("/feed", [Reply(200, FEED, {"ETag": '"v1"'}), Reply(304)])
    ...  # fetch url twice, then
    assert server.requests("/feed")[1].headers["if-none-match"] == '"v1"'

By hand, serving ``SCENARIOS`` until Ctrl-C: ``python -m tests.loopback [port]``.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["SAMPLE_FEED", "SCENARIOS", "LoopbackServer", "Reply", "Request", "deflate_body", "gzip_body"]

#: A header value, or a function giving it when the reply is sent (an HTTP-date "in 2 s").
Value = str | Callable[[], str]


@dataclass(frozen=True)
class Reply:
    """One scripted response. The defaults give an honest, prompt answer; each field is a fault."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, Value] | Sequence[tuple[str, Value]] = ()  # pairs can repeat a header
    repeat: int = 1                     # the body goes out this many times (big, cheap)
    content_length: int | str | None = "auto"  # "auto": true; None: omitted; an int: sent as is
    delay: float = 0.0                  # seconds before the status line (read timeouts)
    header_gap: float = 0.0             # seconds between header lines (trickled headers)
    chunk: int = 65536                  # bytes per body write
    chunk_gap: float = 0.0              # seconds between body writes (slow body)
    reset_after: int | None = None      # body bytes sent before the connection is reset (RST)
    close: bool = False                 # close the connection after this reply

    @property
    def size(self) -> int:
        return len(self.body) * self.repeat


@dataclass
class Request:
    """One request as the server saw it, and how far its reply got."""

    method: str
    path: str                           # the request target, query included
    headers: dict[str, str]             # lower-case names; repeated headers joined with ", "
    time: float                         # time.monotonic() when the request head was read
    reply: int                          # index of the Reply served (-1: no such route, 404)
    sent: int = 0                       # body bytes written
    completed: bool = False             # the whole reply was written
    done: threading.Event = field(default_factory=threading.Event, repr=False)


def gzip_body(data: bytes, *, repeat: int = 1, layers: int = 1) -> bytes:
    """``data`` repeated ``repeat`` times, gzip-compressed ``layers`` times. Streamed, so a
    bomb (``gzip_body(bytes(2**20), repeat=1024)``: 1 GiB in ~1 MB) costs no memory to build."""
    out = data
    for layer in range(layers):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        out = b"".join(z.compress(out) for _ in range(repeat if layer == 0 else 1)) + z.flush()
    return out


def deflate_body(data: bytes, *, repeat: int = 1) -> bytes:
    """``data`` repeated ``repeat`` times as HTTP ``deflate`` (a zlib stream), streamed like
    ``gzip_body``."""
    z = zlib.compressobj(9, zlib.DEFLATED, 15)
    return b"".join(z.compress(data) for _ in range(repeat)) + z.flush()


def _pieces(body: bytes, repeat: int, chunk: int, limit: int) -> Iterator[bytes]:
    """The body, ``repeat`` times, in writes of ``chunk`` bytes, cut after ``limit`` bytes."""
    for _ in range(repeat):
        for start in range(0, len(body), chunk):
            if limit <= 0:
                return
            piece = body[start:start + min(chunk, limit)]
            limit -= len(piece)
            yield piece


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end on their own
    owner: LoopbackServer  # set by a per-server subclass

    def handle(self) -> None:
        with suppress(OSError):  # a client hanging up is not news
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    def do_GET(self) -> None:
        owner = self.owner
        reply, index = owner._next(self.path)
        headers = {n.lower(): ", ".join(self.headers.get_all(n) or []) for n in self.headers}
        entry = Request(self.command, self.path, headers, time.monotonic(), index)
        with owner._lock:
            owner.log.append(entry)
            owner.active += 1
            owner.peak_active = max(owner.peak_active, owner.active)
        try:
            self._write(reply, entry)
            entry.completed = reply.reset_after is None
        except OSError:  # the client left, or the server stops: not ``completed``
            self.close_connection = True
        finally:
            with owner._lock:
                owner.active -= 1
            entry.done.set()

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.connections += 1
            self.owner.peak_connections = max(self.owner.peak_connections, self.owner.connections)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner.connections -= 1
        with suppress(OSError):
            super().finish()

    def _pause(self, seconds: float) -> None:
        if seconds and self.owner._stopping.wait(seconds):
            raise ConnectionAbortedError("loopback: stopping")

    def _write(self, reply: Reply, entry: Request) -> None:
        self._pause(reply.delay)
        pairs = [(k, v() if callable(v) else v) for k, v in
                 (reply.headers.items() if isinstance(reply.headers, Mapping) else reply.headers)]
        length = reply.size if reply.content_length == "auto" else reply.content_length
        if length is not None and reply.status not in (204, 304):
            pairs.append(("Content-Length", str(length)))
        if reply.close or length != reply.size or reply.reset_after is not None:
            pairs.append(("Connection", "close"))
            self.close_connection = True
        reason = responses.get(reply.status, "Unknown")
        for line in [f"HTTP/1.1 {reply.status} {reason}", *(f"{k}: {v}" for k, v in pairs)]:
            self.wfile.write(line.encode("latin-1") + b"\r\n")
            self._pause(reply.header_gap)
        self.wfile.write(b"\r\n")
        if reply.status >= 200 and reply.status not in (204, 304):
            limit = reply.size if reply.reset_after is None else reply.reset_after
            for piece in _pieces(reply.body, reply.repeat, reply.chunk, limit):
                self._pause(reply.chunk_gap if entry.sent else 0)
                self.wfile.write(piece)
                entry.sent += len(piece)
        if reply.reset_after is not None:  # linger 0: close() sends RST, not FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class LoopbackServer:
    """The server; use as a context manager (or ``start()`` / ``stop()``)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.log: list[Request] = []
        self.active = self.peak_active = 0            # requests being answered, now and at most
        self.connections = self.peak_connections = 0  # open connections, now and at most
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)  # daemon threads
        self.host = host  # any 127.x.y.z is loopback: a second address is a second host
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="loopback-server", daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, replies: Reply | Sequence[Reply]) -> str:
        """Script ``path`` (matched with its query first, then without); returns its URL."""
        script = [replies] if isinstance(replies, Reply) else list(replies)
        with self._lock:
            self._routes[path] = script
            self._served[path] = 0
        return self.url(path)

    def routes(self, table: Mapping[str, Reply | Sequence[Reply]]) -> None:
        """Script several paths at once, e.g. ``server.routes(SCENARIOS)``."""
        for path, replies in table.items():
            self.route(path, replies)

    def requests(self, path: str | None = None) -> list[Request]:
        """The logged requests, all or those whose target (with or without query) is ``path``."""
        with self._lock:
            return [r for r in self.log if path in (None, r.path, r.path.split("?", 1)[0])]

    def wait(self, count: int, *, path: str | None = None, timeout: float = 5.0) -> list[Request]:
        """Wait until ``count`` requests (to ``path``) were logged and their replies ended."""
        deadline = time.monotonic() + timeout
        while len(found := self.requests(path)) < count or not all(r.done.is_set() for r in found):
            if time.monotonic() > deadline:
                raise TimeoutError(f"loopback: {len(found)} of {count} requests to {path or '*'}")
            time.sleep(0.01)
        return found

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # sleeping replies give up at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    __enter__ = start

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, target: str) -> tuple[Reply, int]:
        with self._lock:
            key = target if target in self._routes else target.split("?", 1)[0]
            if key not in self._routes:
                return Reply(404, f"loopback: no route for {target}\n".encode(), close=True), -1
            index, script = self._served[key], self._routes[key]
            self._served[key] = index + 1
            return script[min(index, len(script) - 1)], index


SAMPLE_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback lab</title><link>https://lab.example/</link>
<item><title>Loopback-7B released under Apache-2.0</title><link>https://lab.example/posts/7b</link>
<pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate><description>Weights, report.</description></item>
</channel></rss>
"""
_RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}

#: Named fault scenarios (the demo serves them; tests pair each with its expected outcome).
SCENARIOS: dict[str, tuple[Reply, ...]] = {
    "/ok": (Reply(200, SAMPLE_FEED, {**_RSS, "ETag": '"v1"'}), Reply(304, b"", {"ETag": '"v1"'})),
    "/not-found": (Reply(404, b"gone\n"),),
    "/flaky": (Reply(503, headers={"Retry-After": "1"}), Reply(500), Reply(200, SAMPLE_FEED, _RSS)),
    "/slow-headers": (Reply(200, SAMPLE_FEED, _RSS, delay=5.0),),
    "/trickled-headers": (Reply(200, SAMPLE_FEED, [("X-Pad", "x")] * 20, header_gap=0.5),),
    "/slow-body": (Reply(200, SAMPLE_FEED, _RSS, chunk=32, chunk_gap=0.5),),
    "/reset-mid-body": (Reply(200, SAMPLE_FEED, _RSS, reset_after=100),),
    "/short-body": (Reply(200, SAMPLE_FEED, _RSS, content_length=len(SAMPLE_FEED) + 500),),
    "/no-length": (Reply(200, SAMPLE_FEED, _RSS, content_length=None),),
    "/gzip": (Reply(200, gzip_body(SAMPLE_FEED), {**_RSS, "Content-Encoding": "gzip"}),),
    "/gzip-bomb": (Reply(200, gzip_body(bytes(2**20), repeat=16), {"Content-Encoding": "gzip"}),),
    "/gzip2": (Reply(200, gzip_body(SAMPLE_FEED, layers=2), {"Content-Encoding": "gzip, gzip"}),),
    "/redirect-loop": (Reply(302, headers={"Location": "/redirect-loop"}),),
    "/redirect-file": (Reply(302, headers={"Location": "file:///etc/passwd"}),),
}


if __name__ == "__main__":
    with LoopbackServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0) as demo:
        demo.routes(SCENARIOS)
        print(*map(demo.url, SCENARIOS), "serving; Ctrl-C to stop", sep="\n", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
