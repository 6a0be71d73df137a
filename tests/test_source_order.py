"""Sources are fetched slowest first, by their previous fetch: a run is then bounded by its
slowest source instead of by where that source sits in sources.yaml."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from owingest.config import FeedSource, SourcesConfig, load_sources
from owingest.pipeline import prepare, run_ingest, slowest_first
from owingest.store import last_fetch_seconds
from tests.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.integration

DATE = "Mon, 23 Nov 2026 09:00:00 GMT"


def rss(name: str) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
            f"<item><title>{name} post</title><link>https://{name}.example/p</link>"
            f"<pubDate>{DATE}</pubDate><description>{name}</description></item></channel></rss>").encode()


def configure(tmp_path: Path, server: LoopbackServer, delays: dict[str, float]) -> SourcesConfig:
    sources = []
    for sid, delay in delays.items():
        url = server.route(f"/{sid}.xml", Reply(200, rss(sid), {"Content-Type": "application/rss+xml"},
                                                 delay=delay))
        sources.append({"id": sid, "kind": "feed", "url": url})
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({
        "allow_private_hosts": True,
        "fetch": {"concurrency": 1, "connect_timeout": 1.0, "read_timeout": 3.0, "total_timeout": 4.0,
                  "max_attempts": 1},
        "sources": sources}), encoding="utf-8")
    return load_sources(path)


def asked(server: LoopbackServer) -> list[str]:
    return [r.path.strip("/").removesuffix(".xml") for r in server.requests()]


def test_the_slow_source_goes_first_on_the_next_run(tmp_path: Path, server: LoopbackServer) -> None:
    warehouse = tmp_path / "w.duckdb"
    config = configure(tmp_path, server, {"quick-a": 0.0, "slow": 1.5, "quick-b": 0.0, "quick-c": 0.0})

    asyncio.run(run_ingest(config, warehouse))
    assert asked(server) == ["quick-a", "slow", "quick-b", "quick-c"]  # no history: config order
    seconds = last_fetch_seconds(warehouse)
    # quick-b and quick-c waited 1.5 s for the one connection (concurrency 1): not their own time
    assert seconds["slow"] >= 1.4 and max(seconds["quick-b"], seconds["quick-c"]) < 1.0

    assert prepare(config, warehouse).sources[0].id == "slow"
    asyncio.run(run_ingest(config, warehouse))
    assert asked(server)[4] == "slow"  # one connection: the order of the requests is the order of the run


def test_never_fetched_sources_count_as_slow_and_ties_keep_the_config_order() -> None:
    sources = [FeedSource(id=sid, kind="feed", url=f"https://{sid}.example/feed") for sid in "abcde"]
    seconds: dict[str, Any] = {"a": 0.2, "b": 1.5, "d": 0.2, "e": 0.9}
    assert [s.id for s in slowest_first(sources, seconds)] == ["c", "b", "e", "a", "d"]
