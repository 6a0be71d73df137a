"""One process doing what ``owingest ingest`` does: import, load the shipped classifier, then
``run_ingest`` once per ``--run SOURCES_YAML`` against one warehouse (or a fresh one per run),
each run profiled, with its own peak RSS (VmHWM, reset before each run).

    python benchmarks/ingest_child.py --warehouse W --run a.yaml [--run b.yaml ...]
        [--replay DIR] [--server-port P] [--fresh-warehouse-per-run]

Prints one JSON line: import and model-load seconds, RSS after setup, and per run its wall
time, stage breakdown, report totals and (with ``--server-port``) the document server's
counters (bodies and bytes sent, 304s). The parent reads this process's peak RSS itself.

Module-level imports mirror the ``owingest`` console script's. On Python < 3.13 a fork-server
child re-executes the main script (CPython gh-126631 / gh-137996); ``ParserPool`` now tells its
fork server to skip that, so a heavy ``__main__`` must no longer slow the parser start-up: this
process keeps the heavy imports to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import instrument

import owingest.cli  # noqa: F401  (what the `owingest` script imports: parser workers re-run it)


def _server(port: int | None, path: str) -> dict[str, Any] | None:
    if port is None:
        return None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
        return json.loads(resp.read()) if path == "/_stats" else None


def _fetched_bytes(warehouse: Path, run_id: str) -> int:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT coalesce(sum(bytes), 0) FROM fetches WHERE run_id = ?", [run_id]).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) so that the next run's own peak can be read."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak() -> float:
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return round(kib / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--run", type=Path, action="append", required=True, help="a sources.yaml per run")
    parser.add_argument("--replay", type=Path, default=None)
    parser.add_argument("--server-port", type=int, default=None)
    parser.add_argument("--fresh-warehouse-per-run", action="store_true",
                        help="run k uses WAREHOUSE with -k appended (every run is cold)")
    args = parser.parse_args()

    from owingest.classify.classifier import load_classifier
    from owingest.classify.labeler import Labeler
    from owingest.config import load_sources
    from owingest.pipeline import run_ingest

    imported = time.perf_counter()
    classifier = Labeler(classifier=load_classifier())   # loaded up front, timed apart
    loaded = time.perf_counter()
    out: dict[str, Any] = {"import_s": round(imported - T0, 3), "model_load_s": round(loaded - imported, 3),
                           "rss_after_setup_mib": common.rss_mib(), "runs": []}
    for k, sources in enumerate(args.run):
        config = load_sources(sources)
        warehouse = args.warehouse
        if args.fresh_warehouse_per_run:
            warehouse = warehouse.with_name(f"{warehouse.stem}-{k}{warehouse.suffix}")
        _server(args.server_port, "/_reset")
        profile = instrument.Profile()
        rss_before = common.rss_mib()
        reset = _reset_peak()
        start = time.perf_counter()
        with profile.recording():
            report = asyncio.run(run_ingest(config, warehouse, replay=args.replay, classifier=classifier))
        wall = time.perf_counter() - start
        out["runs"].append({
            "sources": len(report.sources), "failed": len(report.failed),
            "not_modified": sum(s.not_modified for s in report.sources),
            "items_seen": sum(s.items_seen for s in report.sources),
            "items_new": report.items_new, "items_updated": report.items_updated,
            "fetched_bytes_recorded": _fetched_bytes(warehouse, report.run_id),
            "rss_before_mib": rss_before, "run_peak_rss_mib": _peak() if reset else None,
            "server": _server(args.server_port, "/_stats"),
            "stages": profile.breakdown(wall), "rss_after_mib": common.rss_mib(),
        })
    out["child_wall_s"] = round(time.perf_counter() - T0, 3)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
