"""Growth: the same cold ingest at 1x, 4x and 16x the items.

Sources are RSS and Atom feeds of 50 items (~150 KB) replayed from a snapshot folder through
the ``ReplayTransport`` (no latency: this measures how CPU and memory grow, not the network).
Scaling adds sources, as a growing sources.yaml or a re-parse of a growing archive would.
One process (``ingest_child.py``) per scale runs a one-source warm-up (imports, the parser
pool's fork server), then the scale's run repeatedly, each into a fresh warehouse. Time is the
median ``run_ingest`` wall time; memory is the first run's own peak RSS (VmHWM, reset before
the run) minus the RSS before it (later runs in the same process reuse the heap the first one
grew, so they would under-report); parser workers are separate processes and not included.
Exponents are least-squares slopes on log-log; 1.0 is linear.
"""

from __future__ import annotations

from typing import Any

import common
import scenarios

SCALES = (1, 4, 16)


def run(quick: bool) -> dict[str, Any]:
    """Fitted exponents of run time and run memory against the number of items, over 1x, 4x
    and 16x a base run. Target: both <= 1.15."""
    base, repeats = (1, 2) if quick else (3, 2)
    walls: dict[int, list[float]] = {s: [] for s in SCALES}
    mems: dict[int, list[float]] = {s: [] for s in SCALES}
    items: dict[int, int] = {}
    stages: dict[int, Any] = {}
    with common.workdir("growth") as tmp:
        entries = scenarios.replay_snapshot(tmp / "snapshot", ["rss", "atom"], base * SCALES[-1])
        warmup = scenarios.write_sources(tmp / "warmup.yaml", entries[-1:])
        files = [scenarios.write_sources(tmp / f"x{s}.yaml", entries[: base * s]) for s in SCALES]
        for scale, sources in zip(SCALES, files, strict=True):
            result = scenarios.ingest(tmp / f"g{scale}.duckdb", [warmup, *[sources] * repeats],
                                      replay=tmp / "snapshot", fresh=True, timeout=400)
            first = result["runs"][1]
            mems[scale].append(first["run_peak_rss_mib"] - first["rss_before_mib"])
            for run_ in result["runs"][1:]:
                walls[scale].append(run_["stages"]["wall_s"])
                items[scale] = run_["items_new"]
                stages[scale] = run_["stages"]
    n = [items[s] for s in SCALES]
    wall = [common.summary(walls[s])["median"] for s in SCALES]
    mem = [common.summary(mems[s])["median"] for s in SCALES]
    t_exp, m_exp = common.fit_exponent(n, wall), common.fit_exponent(n, mem)
    return {
        "base_sources": base, "scales": list(SCALES), "items": n,
        "run_s": {s: common.summary(walls[s]) for s in SCALES},
        "run_mem_mib": {s: common.summary(mems[s]) for s in SCALES},  # one sample per scale (see above)
        "items_per_s": [round(i / w) for i, w in zip(n, wall, strict=True)],
        "time_exponent": t_exp, "memory_exponent": m_exp,
        "time_exponent_4x_16x": common.fit_exponent(n[1:], wall[1:]),
        "memory_exponent_4x_16x": common.fit_exponent(n[1:], mem[1:]),
        "stages_1x": stages[SCALES[0]], "stages_16x": stages[SCALES[-1]],
        "target": "time and memory exponents <= 1.15",
        "target_met": t_exp is not None and m_exp is not None and t_exp <= 1.15 and m_exp <= 1.15,
    }


if __name__ == "__main__":
    common.main(run)
