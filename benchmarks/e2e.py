"""End to end: whole ingest runs, cold and warm, each in a fresh process.

* synthetic: 100 sources (20 with --quick) x 50 items (RSS and Atom in turn) on the document server at 100 ms
  latency, shipped fetch settings, the shipped classifier; ``ingest_child.py`` profiles the
  run (prepare, fetch, parse, classify, store) and the parent times the whole process;
* snapshot: ``owingest ingest --replay snapshot`` (the CLI), cold then warm, plus one
  profiled process doing the same;
* Prefect (full run only): the ``ingest`` flow on the synthetic sources, its temporary
  server's start reported separately; Prefect's overhead is the flow's run time minus the
  plain run's.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import common
import scenarios

LATENCY = 0.1
N_SOURCES = 100


def _synthetic(server: common.DocServer, tmp: Path, repeats: int, n: int) -> tuple[dict[str, Any], Path]:
    entries = scenarios.served(server, ["rss", "atom"], n, latency=LATENCY)
    sources = scenarios.write_sources(tmp / "synthetic.yaml", entries)
    cold, warm = [], []
    for r in range(repeats):
        warehouse = tmp / f"synthetic{r}.duckdb"
        cold.append(scenarios.ingest(warehouse, [sources], port=server.port))
        warm.append(scenarios.ingest(warehouse, [sources], port=server.port))
    last = cold[-1]
    return {
        "sources": n, "items": last["runs"][0]["items_new"],
        "network_limit_s": LATENCY * math.ceil(n / 10),
        "cold_process_s": common.summary([c["process_wall_s"] for c in cold]),
        "warm_process_s": common.summary([w["process_wall_s"] for w in warm]),
        "cold_run_s": common.summary([c["runs"][0]["stages"]["wall_s"] for c in cold]),
        "warm_run_s": common.summary([w["runs"][0]["stages"]["wall_s"] for w in warm]),
        "import_s": last["import_s"], "model_load_s": last["model_load_s"],
        "cold_peak_rss_mib": max(c["process_peak_rss_mib"] for c in cold),
        "warm_peak_rss_mib": max(w["process_peak_rss_mib"] for w in warm),
        "cold_stages": last["runs"][0]["stages"], "warm_stages": warm[-1]["runs"][0]["stages"],
        "warm_body_bytes": warm[-1]["runs"][0]["server"]["body_bytes"],
    }, sources


def _snapshot(tmp: Path, repeats: int, profile: bool) -> dict[str, Any]:
    cli = str(Path(common.PYTHON).with_name("owingest"))
    cold, warm = [], []
    for r in range(repeats):
        warehouse = tmp / f"snapshot{r}.duckdb"
        argv = [cli, "ingest", "--replay", "snapshot", "--warehouse", str(warehouse)]
        cold.append(common.run_child(argv))
        warm.append(common.run_child(argv))
    failed = [c for c in cold + warm if c["rc"] != 0]
    if failed:
        raise RuntimeError(f"owingest ingest failed:\n{failed[0]['stderr'][-2000:]}")
    new = re.search(r"(\d+) new items", cold[-1]["stdout"])
    out = {
        "items": int(new.group(1)) if new else None,
        "cold_process_s": common.summary([c["wall_s"] for c in cold]),
        "warm_process_s": common.summary([w["wall_s"] for w in warm]),
        "cold_peak_rss_mib": max(c["peak_rss_mib"] for c in cold),
    }
    if profile:
        profiled = scenarios.ingest(tmp / "snapshot-profiled.duckdb", [common.ROOT / "sources.yaml"] * 2,
                                    replay=common.ROOT / "snapshot")
        out.update(cold_stages=profiled["runs"][0]["stages"], warm_stages=profiled["runs"][1]["stages"],
                   import_s=profiled["import_s"], model_load_s=profiled["model_load_s"])
    return out


def _prefect(tmp: Path, sources: Path, plain_cold_run_s: float) -> dict[str, Any]:
    home = common.HERE / ".cache" / "prefect-home"
    fresh = not (home / "prefect.db").exists()
    home.mkdir(parents=True, exist_ok=True)
    child = common.run_child(
        [common.PYTHON, str(common.HERE / "prefect_child.py"), "--sources", str(sources),
         "--warehouse", str(tmp / "prefect.duckdb")], timeout=200,
        env={"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
             "PREFECT_LOGGING_LEVEL": "WARNING"})
    if child["rc"] != 0:
        return {"error": child["stderr"][-1500:]}
    out = common.last_json(child["stdout"])
    errors = [line for line in child["stderr"].splitlines() if "ERROR" in line or "Traceback" in line]
    out.update(mode="server at PREFECT_API_URL" if os.environ.get("PREFECT_API_URL") else "ephemeral",
               process_wall_s=child["wall_s"], peak_rss_mib=child["peak_rss_mib"], fresh_prefect_home=fresh,
               error_lines=len(errors), first_error=errors[0][:200] if errors else None,
               overhead_vs_plain_cold_s=round(out["cold_flow_s"] - plain_cold_run_s, 2),
               overhead_per_task_ms=round(1000 * (out["cold_flow_s"] - plain_cold_run_s) / (N_SOURCES + 1), 1))
    return out


def run(quick: bool) -> dict[str, Any]:
    """Whole-process cold and warm ingest runs: 100 loopback sources x 50 items at 100 ms, and
    the bundled snapshot through the CLI; a stage profile of each; and (full run) the Prefect
    flow with its temporary-server start reported separately."""
    repeats, n = (1, 20) if quick else (2, N_SOURCES)
    with common.DocServer(hosts=n) as server, common.workdir("e2e") as tmp:
        synthetic, sources = _synthetic(server, tmp, repeats, n)
        snapshot = _snapshot(tmp, repeats, profile=not quick)
        prefect = None if quick else _prefect(tmp, sources, synthetic["cold_run_s"]["median"])
    return {
        "synthetic": synthetic, "snapshot": snapshot, "prefect": prefect,
        "cold_s": synthetic["cold_process_s"]["median"], "warm_s": synthetic["warm_process_s"]["median"],
        "cold_run_s": synthetic["cold_run_s"]["median"], "warm_run_s": synthetic["warm_run_s"]["median"],
    }


if __name__ == "__main__":
    common.main(run)
