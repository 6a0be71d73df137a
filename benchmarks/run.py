"""owingest's benchmark suite: measure every stage against its physical limit, on this machine.

    python benchmarks/run.py [--quick] [--only NAME ...]

Each benchmark (fetch, warm, parse, store, classify, e2e, growth) runs in its own process,
so its peak memory is its own. The suite prints a table, writes ``benchmarks/results.json``
(the headline keys flat at the top, every detail under ``benchmarks``) and
``benchmarks/results.md`` (the table, for the README). With ``--only``, the named benchmarks
are measured again and merged into the existing results. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import report

BENCHMARKS = ("fetch", "warm", "parse", "store", "classify", "e2e", "growth")
RESULTS = common.HERE / "results.json"


def _cpu_sample() -> tuple[float, float]:
    """(total, busy) CPU seconds of the whole machine so far, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return sum(values) / tick, (sum(values) - values[3] - values[4]) / tick


def _busy_share(seconds: float = 0.5) -> float:
    """Share of all cores busy over ``seconds`` while the suite itself is idle (other load)."""
    total0, busy0 = _cpu_sample()
    time.sleep(seconds)
    total1, busy1 = _cpu_sample()
    return round((busy1 - busy0) / max(1e-9, total1 - total0), 3)


def measure(name: str, quick: bool, tmp: Path, commit: str | None) -> dict[str, Any]:
    """Run ``benchmarks/NAME.py`` in a child process; its result plus the process's own figures."""
    out = tmp / f"{name}.json"
    background = _busy_share()
    argv = [common.PYTHON, str(common.HERE / f"{name}.py"), "--out", str(out), *(["--quick"] if quick else [])]
    total0, busy0 = _cpu_sample()
    child = common.run_child(argv, timeout=900)
    total1, busy1 = _cpu_sample()
    # machine CPU not accounted to the benchmark's process tree (approximate: descendants that
    # nobody waited for, such as parser workers, are counted as "other")
    other = max(0.0, (busy1 - busy0) - child["cpu_s"]) / max(1e-9, total1 - total0)
    if child["rc"] != 0 or not out.exists():
        return {"error": f"exit {child['rc']}: {child['stderr'][-3000:]}", "measured_at": _now()}
    result = json.loads(out.read_text())
    result["process"] = {"wall_s": child["wall_s"], "peak_rss_mib": child["peak_rss_mib"],
                         "cpu_s": child["cpu_s"], "other_load_before": background,
                         "other_load_during_approx": round(other, 3)}
    result["measured_at"] = _now()
    result["owingest_commit"] = commit
    result["quick"] = quick
    return result


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (~1.5 min)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)}) and merge into results.json")
    args = parser.parse_args()
    names = [b for b in BENCHMARKS if not args.only or b in args.only]
    start = time.perf_counter()
    machine = common.machine()
    machine["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    stamp = machine.get("owingest_commit")
    if stamp and machine.get("src_uncommitted_changes"):
        stamp += "+dirty"   # uncommitted changes in src/ or flows/
    previous = json.loads(RESULTS.read_text()) if args.only and RESULTS.exists() else {}
    results: dict[str, Any] = dict(previous.get("benchmarks", {}))
    with common.workdir("suite") as tmp:
        for name in names:
            print(f"[{time.perf_counter() - start:6.1f} s] {name} ...", flush=True)
            results[name] = measure(name, args.quick, tmp, stamp)
            if "error" in results[name]:
                print(f"    failed: {results[name]['error'][-800:]}", flush=True)
    total = round(time.perf_counter() - start, 1)
    output = {
        **report.headline(results), "machine": machine, "quick": args.quick, "finished_at": _now(),
        "suite_wall_s": total if not args.only else previous.get("suite_wall_s"),
        "last_invocation": {"only": args.only, "wall_s": total},
        "targets": report.targets(results), "benchmarks": results,
    }
    RESULTS.write_text(json.dumps(output, indent=1, default=str) + "\n")
    rows = report.rows(results)
    print()
    print(report.text_table(rows))
    markdown = report.markdown(rows, machine, output["suite_wall_s"], results)
    (common.HERE / "results.md").write_text(markdown + "\n")
    print(f"\n{len(names)} benchmark(s) in {total} s; wrote {RESULTS.relative_to(common.ROOT)} "
          f"and benchmarks/results.md", flush=True)


if __name__ == "__main__":
    main()
