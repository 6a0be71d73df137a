"""Warm re-run: 200 unchanged sources answering ``304 Not Modified`` to the real conditional GET.

One process (``ingest_child.py``) runs ``run_ingest`` cold on a fresh warehouse (once: it is
the expensive run), then warm with the ETags the warehouse kept, twice at the shipped
concurrency (10) and twice at 20, in turn. The server
counts the bodies and bytes it sent; the report counts the items parsed. The warm run's
physical limit is the network alone: ``L * ceil(N / C)``.
"""

from __future__ import annotations

import math
from typing import Any

import common
import scenarios

LATENCY = 0.1


def run(quick: bool) -> dict[str, Any]:
    """Cold vs warm (all 304) run_ingest over 200 RSS sources at 100 ms latency, shipped
    settings (C=10); warm also at C=20. Reports body bytes and items parsed in the warm run
    (target 0) and the speedup (target >= 10x)."""
    n = 40 if quick else 200
    colds, warms, warms20, seen, body, recorded, not_modified = [], [], [], [], [], [], []
    cold_stages, peaks = [], []
    with common.DocServer(hosts=200) as server, common.workdir("warm") as tmp:
        entries = scenarios.served(server, ["rss"], n, latency=LATENCY)
        shipped = scenarios.write_sources(tmp / "c10.yaml", entries)
        c20 = scenarios.write_sources(tmp / "c20.yaml", entries, concurrency=20)
        # one cold run (the expensive one), then warm runs at C=10 and C=20 in turn
        result = scenarios.ingest(tmp / "w.duckdb", [shipped, shipped, c20, shipped, c20],
                                  port=server.port, timeout=300)
        cold, *warm_runs = result["runs"]
        peaks.append(result["process_peak_rss_mib"])
        colds.append(cold["stages"]["wall_s"])
        cold_stages.append(cold["stages"])
        for k, w in enumerate(warm_runs):
            (warms20 if k % 2 else warms).append(w["stages"]["wall_s"])
            seen.append(w["items_seen"] + w["stages"]["parse_calls"])  # items and documents parsed
            body.append(w["server"]["body_bytes"])
            recorded.append(w["fetched_bytes_recorded"])
            not_modified.append(w["not_modified"] / w["sources"])
    cold_s, warm_s, warm20_s = common.summary(colds), common.summary(warms), common.summary(warms20)
    floor, floor20 = LATENCY * math.ceil(n / 10), LATENCY * math.ceil(n / 20)
    speedup = round(cold_s["median"] / warm_s["median"], 1)
    return {
        "n": n, "latency_s": LATENCY, "cold_s": cold_s, "warm_s": warm_s, "warm_c20_s": warm20_s,
        "speedup_vs_cold": speedup, "speedup_vs_cold_c20": round(cold_s["median"] / warm20_s["median"], 1),
        "warm_network_limit_s": floor, "warm_ratio_to_limit": round(warm_s["median"] / floor, 3),
        "warm_c20_ratio_to_limit": round(warm20_s["median"] / floor20, 3),
        "body_bytes": max(body), "fetched_bytes_recorded": max(recorded),
        "items_parsed": max(seen),  # entries seen + documents sent to the parser, in any warm run
        "share_304": min(not_modified), "cold_stages": cold_stages[-1], "ingest_peak_rss_mib": max(peaks),
        "target": ">= 10x faster than cold with 0 body bytes",
        "target_met": speedup >= 10 and max(body) == 0,
    }


if __name__ == "__main__":
    common.main(run)
