"""The benchmarks' document server: asyncio HTTP/1.1 on loopback addresses, run as a subprocess.

Why not ``tests/loopback.py``? That server runs threads inside the process that imports it,
so its work would be counted as (and compete with) the client's CPU, and it listens on
127.0.0.1 only, so every source would share one host and the fetcher's per-host limit
(2 by default) would bind everything. This one runs in its own process and listens on
127.0.0.1 … 127.0.0.N (all of 127.0.0.0/8 is loopback on Linux), one host per source.

    GET /doc/{kind}/{seed}?lat=MS&v=VERSION&items=N   a fixtures document, after MS ms
    GET /_prepare?kind=rss&seeds=0-199&v=0&items=50   build documents ahead (not timed)
    GET /_stats  /  GET /_reset                        counters (JSON) / zero them

Documents carry an ETag; ``If-None-Match`` with it gets ``304`` (no body). The server
prints ``{"port": P}`` when ready and stops when its stdin closes or after ``--ttl`` s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import threading
from collections import Counter
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures

_DOCS: dict[tuple[str, int, int, int], tuple[bytes, str]] = {}
LAST_MODIFIED = "Sun, 01 Nov 2026 09:00:00 GMT"


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = self.bodies = self.body_bytes = self.not_modified = 0
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self.total_inflight = self.max_total_inflight = 0

    def begin(self, host: str) -> None:
        self.requests += 1
        self.inflight[host] += 1
        self.max_inflight[host] = max(self.max_inflight[host], self.inflight[host])
        self.total_inflight += 1
        self.max_total_inflight = max(self.max_total_inflight, self.total_inflight)

    def end(self, host: str) -> None:
        self.inflight[host] -= 1
        self.total_inflight -= 1

    def as_dict(self) -> dict[str, object]:
        return {"requests": self.requests, "bodies": self.bodies, "body_bytes": self.body_bytes,
                "not_modified": self.not_modified, "max_total_inflight": self.max_total_inflight,
                "max_inflight_per_host": max(self.max_inflight.values(), default=0),
                "hosts_seen": len(self.max_inflight)}


STATS = Stats()


def _doc(kind: str, seed: int, version: int, items: int) -> tuple[bytes, str]:
    key = (kind, seed, version, items)
    if key not in _DOCS:
        body = fixtures.document(kind, seed, version, items or None)
        _DOCS[key] = (body, '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"')
    return _DOCS[key]


def _seeds(spec: str) -> range:
    first, _, last = spec.partition("-")
    return range(int(first), int(last or first) + 1)


async def _route(target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(target)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.path == "/_stats":
        return 200, {"Content-Type": "application/json"}, json.dumps(STATS.as_dict()).encode()
    if parts.path == "/_reset":
        STATS.reset()
        return 200, {}, b"ok"
    if parts.path == "/_prepare":
        for seed in _seeds(query["seeds"]):
            _doc(query["kind"], seed, int(query.get("v", 0)), int(query.get("items", 0)))
        return 200, {}, b"ok"
    segments = parts.path.strip("/").split("/")
    if len(segments) != 3 or segments[0] != "doc":
        return 404, {}, b"no such document"
    body, etag = _doc(segments[1], int(segments[2]), int(query.get("v", 0)), int(query.get("items", 0)))
    await asyncio.sleep(int(query.get("lat", 0)) / 1000)
    if headers.get("if-none-match") == etag:
        STATS.not_modified += 1
        return 304, {"ETag": etag}, b""
    STATS.bodies += 1
    STATS.body_bytes += len(body)
    return 200, {"Content-Type": fixtures.CONTENT_TYPES[segments[1]], "ETag": etag,
                 "Last-Modified": LAST_MODIFIED}, body


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    host = writer.get_extra_info("sockname")[0]
    try:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            target = head[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
            counted = target.startswith("/doc/")
            if counted:
                STATS.begin(host)
            try:
                status, extra, body = await _route(target, headers)
                lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                         *(f"{k}: {v}" for k, v in extra.items())]
                if status != 304:
                    lines.append(f"Content-Length: {len(body)}")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
            finally:
                if counted:
                    STATS.end(host)
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
        pass
    finally:
        writer.close()


async def serve(hosts: int, ttl: float) -> None:
    loop = asyncio.get_running_loop()
    first = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
    port = first.sockets[0].getsockname()[1]
    servers = [first] + [await asyncio.start_server(_handle, f"127.0.0.{k + 1}", port, backlog=256)
                         for k in range(1, hosts)]
    stop = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)),
                     daemon=True).start()
    print(json.dumps({"port": port, "hosts": hosts}), flush=True)
    try:
        await asyncio.wait_for(stop.wait(), ttl)
    except TimeoutError:
        pass
    for server in servers:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200, help="listen on 127.0.0.1 … 127.0.0.N")
    parser.add_argument("--ttl", type=float, default=900.0, help="stop after this many seconds anyway")
    args = parser.parse_args()
    asyncio.run(serve(min(max(args.hosts, 1), 254), args.ttl))
