"""Source lists for the whole-pipeline benchmarks: ``sources.yaml`` files pointing at the
document server, replay snapshots on disk, and a runner for ``ingest_child.py``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common
import fixtures
import yaml

KIND_OF = {"rss": "feed", "atom": "feed", "github": "feed", "hub": "hf_models", "html": "html"}
HTML_SELECTORS = {"item": "article", "link": "a", "title": "h3", "date": "time", "summary": "p"}


def entry(sid: str, kind: str, url: str) -> dict[str, Any]:
    """One ``sources.yaml`` entry for a fixtures document of ``kind`` at ``url``."""
    found: dict[str, Any] = {"id": sid, "kind": KIND_OF[kind], "url": url}
    if kind == "github":
        found["tags"] = ["github-releases"]
    if kind == "html":
        found.update(selectors=HTML_SELECTORS, max_articles=0)
    return found


def write_sources(path: Path, entries: Sequence[dict[str, Any]], **fetch: Any) -> Path:
    """A ``sources.yaml`` allowing private hosts (loopback), with ``fetch`` overrides."""
    doc: dict[str, Any] = {"allow_private_hosts": True, "sources": list(entries)}
    if fetch:
        doc["fetch"] = fetch
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def served(server: common.DocServer, kinds: Sequence[str], n: int, *, latency: float) -> list[dict[str, Any]]:
    """``n`` sources on the document server, kinds taken in turn, one loopback host each."""
    entries = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        entries.append(entry(f"s{i:04d}", kind, server.url(kind, i, latency=latency)))
    for kind in set(kinds):
        seeds = [i for i in range(n) if kinds[i % len(kinds)] == kind]
        if seeds:
            server.prepare(kind, range(min(seeds), max(seeds) + 1))
    return entries


def replay_snapshot(folder: Path, kinds: Sequence[str], n: int) -> list[dict[str, Any]]:
    """A replay snapshot of ``n`` fixtures documents (``index.yaml`` + files) and its sources."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, entries = [], []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        url = f"https://lab{i}.example/{kind}/feed"
        name = f"doc{i:04d}.{'json' if kind == 'hub' else 'xml'}"
        (folder / name).write_bytes(fixtures.document(kind, i))
        docs.append({"url": url, "file": name, "content_type": fixtures.CONTENT_TYPES[kind]})
        entries.append(entry(f"s{i:04d}", kind, url))
    (folder / "index.yaml").write_text(yaml.safe_dump({"documents": docs}, sort_keys=False), encoding="utf-8")
    return entries


def ingest(warehouse: Path, runs: Sequence[Path], *, replay: Path | None = None, port: int | None = None,
           fresh: bool = False, timeout: float = 240) -> dict[str, Any]:
    """Run ``ingest_child.py``; its JSON, plus this process's view (whole-process wall, peak RSS)."""
    argv = [common.PYTHON, str(common.HERE / "ingest_child.py"), "--warehouse", str(warehouse)]
    for sources in runs:
        argv += ["--run", str(sources)]
    if replay is not None:
        argv += ["--replay", str(replay)]
    if port is not None:
        argv += ["--server-port", str(port)]
    if fresh:
        argv.append("--fresh-warehouse-per-run")
    child = common.run_child(argv, timeout=timeout)
    if child["rc"] != 0:
        raise RuntimeError(f"ingest_child failed ({child['rc']}):\n{child['stderr'][-3000:]}")
    result = common.last_json(child["stdout"])
    result.update(process_wall_s=child["wall_s"], process_peak_rss_mib=child["peak_rss_mib"],
                  process_cpu_s=child["cpu_s"])
    return result
