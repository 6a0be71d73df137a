"""Fetch: the real ``Fetcher`` against the loopback document server with injected latency.

Every source is a ~155 KB RSS feed on its own loopback host (127.0.0.k), answering after
100 ms. The physical limit is the latency times the number of waves, ``L * ceil(N / C)``;
the long-tail limit is ``max(slowest latency, sum of latencies / C)``; on one host the
per-host bound replaces C. Client CPU is this process's CPU (the server is another process).

Two references run on the same server in the same run: a minimal HTTP/1.1 client on bare
asyncio streams (no pool, no guard, no caps: the floor any Python client reaches on this
machine and server under the current load), and httpx's own ``AsyncClient`` with its default
transport (the fetcher's path before it moved to its own asyncio transport).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import common

LATENCY = 0.1


async def _fetch_all(urls: list[str], concurrency: int, per_host: int = 2) -> list[str | None]:
    from owingest.fetch import Fetcher

    settings = common.sources_config([], concurrency=concurrency, per_host=per_host).fetch
    async with Fetcher(settings) as fetcher:
        return [o.error if o.document is None else None
                for o in await asyncio.gather(*(fetcher.fetch(u) for u in urls))]


async def _raw_get(url: str, slots: asyncio.Semaphore) -> str | None:
    """GET on a fresh connection, body read by Content-Length; nothing else."""
    async with slots:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            writer.write(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                         f"Connection: close\r\n\r\n".encode())
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        finally:
            writer.close()
    return None


async def _raw_all(urls: list[str], concurrency: int, per_host: int = 2) -> list[str | None]:
    slots = asyncio.Semaphore(concurrency)
    return list(await asyncio.gather(*(_raw_get(u, slots) for u in urls)))


async def _httpx_all(urls: list[str], concurrency: int, per_host: int = 2) -> list[str | None]:
    import httpx

    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def one(client: httpx.AsyncClient, url: str) -> str | None:
        async with slots, client.stream("GET", url) as response:
            async for _chunk in response.aiter_raw():
                pass
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
        return list(await asyncio.gather(*(one(client, u) for u in urls)))


Client = Callable[[list[str], int, int], Awaitable[list[str | None]]]


def _measure(server: common.DocServer, urls: list[str], concurrency: int, limit_s: float | None, repeats: int,
             per_host: int = 2, client: Client = _fetch_all) -> dict[str, Any]:
    walls, cpus, stats = [], [], {}
    for _ in range(repeats):
        server.reset()
        start, cpu = time.perf_counter(), time.process_time()
        errors = asyncio.run(client(urls, concurrency, per_host))
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        stats = server.stats()
        failed = [e for e in errors if e is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} fetches failed, e.g. {failed[0]}")
    wall = common.summary(walls)
    return {"n": len(urls), "concurrency": concurrency, "per_host": per_host, "limit_s": limit_s,
            "wall_s": wall, "ratio_to_limit": round(wall["median"] / limit_s, 3) if limit_s else None,
            "client_cpu_ms_per_request": round(1000 * sorted(cpus)[len(cpus) // 2] / len(urls), 2),
            "server_max_inflight": stats["max_total_inflight"],
            "server_max_inflight_per_host": stats["max_inflight_per_host"],
            "mib_downloaded": round(stats["body_bytes"] / 2**20, 1)}


def run(quick: bool) -> dict[str, Any]:
    """Wall time of fetching 200 feeds (100 with --quick) at 100 ms latency vs L * ceil(N / C), at
    C = 10 (the shipped default), 20 and 30 (the most FetchSettings allows); C = 20 with
    connections reused (20 hosts); a sequential client; a long tail (5% of sources at 2 s, 1 s
    with --quick), in
    the given order and with the slow ones first (what ``pipeline.slowest_first`` does from the
    previous run's fetch times); many sources on one host (per-host bound); a zero-latency pass
    (client CPU per request); and, at C = 20, a bare asyncio client (the floor on this machine)
    and httpx's own client (the old path). Target: within 1.2x of the limit at C >= 20."""
    n, repeats = (100, 2) if quick else (200, 3)
    n_seq = 10 if quick else 30
    n_one_host = 20 if quick else 40
    with common.DocServer(hosts=200) as server:
        server.prepare("rss", range(n))
        urls = [server.url("rss", i, latency=LATENCY) for i in range(n)]
        _measure(server, urls, 10, 1.0, 1)  # warm-up: imports, sockets, documents
        out: dict[str, Any] = {"latency_s": LATENCY, "variants": {}}
        variants = out["variants"]
        variants["zero_latency_c20"] = _measure(
            server, [server.url("rss", i) for i in range(n)], 20, None, repeats)
        for c in ((10, 20) if quick else (10, 20, 30)):
            variants[f"c{c}"] = _measure(server, urls, c, round(LATENCY * math.ceil(n / c), 3), repeats)
        limit20 = round(LATENCY * math.ceil(n / 20), 3)
        variants["c20_floor_bare_asyncio"] = _measure(server, urls, 20, limit20, repeats, client=_raw_all)
        variants["c20_floor_bare_asyncio"]["note"] = "a bare asyncio HTTP/1.1 client: the machine's floor"
        variants["c20_httpx_default_client"] = _measure(server, urls, 20, limit20, repeats, client=_httpx_all)
        variants["c20_httpx_default_client"]["note"] = "httpx.AsyncClient, default transport (the old path)"
        variants["zero_latency_c20_httpx_default_client"] = _measure(
            server, [server.url("rss", i) for i in range(n)], 20, None, repeats, client=_httpx_all)
        if not quick:
            reused = [server.url("rss", i, host=i % 20, latency=LATENCY) for i in range(n)]
            variants["c20_reused_connections"] = _measure(server, reused, 20, round(LATENCY * math.ceil(n / 20), 3),
                                                          repeats)
            variants["c20_reused_connections"]["note"] = "200 sources on 20 hosts: keep-alive connections reused"
        seq = _measure(server, urls[:n_seq], 1, round(LATENCY * n_seq, 3), max(1, repeats - 1))
        seq[f"extrapolated_{n}_s"] = round(seq["wall_s"]["median"] * n / n_seq, 2)
        variants["sequential"] = seq
        slow = 1.0 if quick else 2.0  # 5% of sources this slow
        tail = [server.url("rss", i, latency=slow if i % 20 == 7 else LATENCY) for i in range(n)]
        lat_sum = sum(slow if i % 20 == 7 else LATENCY for i in range(n))
        variants["long_tail_c20"] = _measure(server, tail, 20, round(max(slow, lat_sum / 20), 3), repeats)
        slow_first = sorted(tail, key=lambda u: f"lat={round(slow * 1000)}&" not in u)  # slowest first
        variants["long_tail_c20_slow_first"] = _measure(server, slow_first, 20, round(max(slow, lat_sum / 20), 3),
                                                        repeats)
        out["long_tail_slow_s"] = slow
        one_host = [server.url("rss", i, host=0, latency=LATENCY) for i in range(n_one_host)]
        variants["one_host_c20_per_host2"] = _measure(
            server, one_host, 20, round(LATENCY * math.ceil(n_one_host / 2), 3), repeats)
    c20, c10 = variants["c20"], variants["c10"]
    out.update({
        "ratio_to_limit": c20["ratio_to_limit"],
        "ratio_to_limit_floor_c20": variants["c20_floor_bare_asyncio"]["ratio_to_limit"],
        "ratio_to_limit_httpx_default_c20": variants["c20_httpx_default_client"]["ratio_to_limit"],
        "ratio_to_limit_shipped_c10": c10["ratio_to_limit"],
        "speedup_vs_sequential_c20": round(seq[f"extrapolated_{n}_s"] / c20["wall_s"]["median"], 1),
        "target": "ratio_to_limit <= 1.2 at C >= 20",
        "target_met": c20["ratio_to_limit"] <= 1.2,
    })
    return out


if __name__ == "__main__":
    common.main(run)
