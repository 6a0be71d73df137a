"""Turn the benchmarks' results into the headline keys, the target verdicts and the table."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str, str, str, str]
HEADER: Row = ("benchmark", "figure", "median", "range/median", "vs limit or baseline (same run)",
               "peak MiB", "target", "status")


def _get(results: dict[str, Any], path: str) -> Any:
    node: Any = results
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The flat keys of results.json (``fetch.ratio_to_limit`` ...)."""
    keys = ("fetch.ratio_to_limit", "fetch.ratio_to_limit_shipped_c10", "fetch.ratio_to_limit_floor_c20",
            "fetch.ratio_to_limit_httpx_default_c20", "fetch.speedup_vs_sequential_c20",
            "warm.speedup_vs_cold", "warm.speedup_vs_cold_c20", "warm.body_bytes", "warm.items_parsed",
            "parse.items_per_s", "parse.ratio_to_floor", "parse.feed_items_per_s",
            "store.ratio_to_bulk_limit", "store.ratios_to_bulk_limit", "store.rows_per_s",
            "classify.items_per_s", "classify.items_per_s_1proc", "classify.quality",
            "e2e.cold_s", "e2e.warm_s", "e2e.cold_run_s", "e2e.warm_run_s",
            "growth.time_exponent", "growth.memory_exponent")
    return {k: _get(results, k) for k in keys}


def _le(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= limit else f"missed by {value / limit - 1:.0%}"


def _ge(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value >= target else f"missed by {1 - value / target:.0%}"


def targets(results: dict[str, Any]) -> dict[str, str]:
    """Each target of issue 7 and where it stands."""
    warm_bytes = _get(results, "warm.body_bytes")
    warm = _ge(_get(results, "warm.speedup_vs_cold"), 10)
    if warm_bytes not in (None, 0):
        warm = f"missed: {warm_bytes} body bytes"
    t, m = _get(results, "growth.time_exponent"), _get(results, "growth.memory_exponent")
    return {
        "fetch <= 1.2x latency limit at C >= 20": _le(_get(results, "fetch.ratio_to_limit"), 1.2),
        "warm >= 10x faster than cold, 0 body bytes": warm,
        "parse >= 1,500 feed items/s on 2 cores": _ge(_get(results, "parse.feed_items_per_s"), 1500),
        "store within 2x of the bulk limit": _le(_get(results, "store.ratio_to_bulk_limit"), 2.0),
        "classify >= 5,000 items/s": _ge(_get(results, "classify.items_per_s"), 5000),
        "growth exponents <= 1.15": _le(max(t, m) if t is not None and m is not None else None, 1.15),
    }


def _s(summary: dict[str, Any] | None, unit: str = "s") -> tuple[str, str]:
    if not summary or summary.get("median") is None:
        return "n/a", ""
    spread = f"{summary['spread']:.0%}" if summary["spread"] is not None else ""
    return f"{summary['median']:.3g} {unit}".strip(), spread


def _rate(count: float, summary: dict[str, Any] | None) -> tuple[str, str]:
    if not summary or not summary.get("median"):
        return "n/a", ""
    return f"{count / summary['median']:,.0f}/s", f"{summary['spread']:.0%}"


def _peak(result: dict[str, Any], key: str | None = None) -> str:
    value = result.get(key) if key else _get(result, "process.peak_rss_mib")
    return f"{value:.0f}" if isinstance(value, (int, float)) else ""


def _fetch(r: dict[str, Any]) -> list[Row]:
    v, rows = r["variants"], []
    names = {"c20": f"{v['c20']['n']} feeds @100 ms, C=20", "c10": "same, C=10 (shipped default)",
             "c30": "same, C=30 (max allowed)", "c20_reused_connections": "same, C=20, connections reused (20 hosts)",
             "c20_floor_bare_asyncio": "same, C=20, bare asyncio client (the floor here)",
             "c20_httpx_default_client": "same, C=20, httpx.AsyncClient (the old path)",
             "long_tail_c20": f"long tail (5% at {r.get('long_tail_slow_s', 2.0):g} s), C=20",
             "long_tail_c20_slow_first": "same, slow sources requested first",
             "one_host_c20_per_host2": f"{v['one_host_c20_per_host2']['n']} feeds on one host (per-host 2)",
             "sequential": f"sequential (C=1), {v['sequential']['n']} feeds",
             "zero_latency_c20": "no latency, C=20 (CPU floor)",
             "zero_latency_c20_httpx_default_client": "same, httpx.AsyncClient (the old path)"}
    for key, label in names.items():
        if key not in v:
            continue
        x = v[key]
        med, spread = _s(x["wall_s"])
        if x["ratio_to_limit"] is None:
            cmp = f"{x['client_cpu_ms_per_request']} ms client CPU/request"
        else:
            cmp = f"{x['ratio_to_limit']}x limit {x['limit_s']:g} s"
        if key == "one_host_c20_per_host2":
            cmp += f"; server saw <= {x['server_max_inflight_per_host']} at once"
        if key == "sequential":
            cmp += f"; C=20 is {r['speedup_vs_sequential_c20']}x faster (extrapolated)"
        target = "<= 1.2x limit" if key == "c20" else ""
        rows.append(("fetch", label, med, spread, cmp, _peak(r) if key == "c20" else "", target,
                     _le(x["ratio_to_limit"], 1.2) if key == "c20" else ""))
    return rows


def _warm(r: dict[str, Any]) -> list[Row]:
    med, spread = _s(r["warm_s"])
    cmed, cspread = _s(r["cold_s"])
    w20, s20 = _s(r["warm_c20_s"])
    status = _ge(r["speedup_vs_cold"], 10) if r["body_bytes"] == 0 else f"missed: {r['body_bytes']} bytes"
    return [
        ("warm", f"cold run, {r['n']} feeds x 50 items", cmed, cspread,
         f"network limit alone {r['warm_network_limit_s']:g} s", _peak(r, "ingest_peak_rss_mib"), "", ""),
        ("warm", "warm run (all 304), C=10", med, spread,
         (f"{r['speedup_vs_cold']}x faster than cold; {r['warm_ratio_to_limit']}x network limit; "
          f"{r['body_bytes']} body bytes, {r['items_parsed']} items parsed"), "", ">= 10x, 0 bytes", status),
        ("warm", "warm run (all 304), C=20", w20, s20,
         f"{r['speedup_vs_cold_c20']}x faster than cold; {r['warm_c20_ratio_to_limit']}x network limit", "", "", ""),
    ]


def _parse(r: dict[str, Any]) -> list[Row]:
    names = {"rss": "RSS 2.0, 50 items/150 KB", "atom": "Atom, 50 items/150 KB", "github": "GitHub releases.atom, 10",
             "hub": "Hub JSON page, 100 models", "html": "HTML listing (bs4), 50 cards"}
    rows = []
    for kind, x in r["formats"].items():
        wall = x.get("wall_pool_s") or x["wall_1core_s"]
        med, spread = _rate(x["items"], wall)
        cmp = (f"lxml floor {x['floor_items_per_s_1core']:,}/s on 1 core ({r['ratio_to_floor'][kind]}x); "
               f"1 core {x['items_per_s_1core']:,}/s")
        feed = kind in ("rss", "atom")
        rows.append(("parse", names.get(kind, kind), med, spread, cmp, _peak(r) if kind == "rss" else "",
                     ">= 1,500/s" if feed else "", _ge(r["items_per_s"][kind], 1500) if feed else ""))
    return rows


def _store(r: dict[str, Any]) -> list[Row]:
    rows = []
    for key, label in (("first", f"first upsert, {r['n']:,} new"),
                       ("second", f"second upsert, {r['changed']:,} changed")):
        med, spread = _rate(r["n"], r[f"{key}_upsert_s"])
        cmp = f"{r['ratios_to_bulk_limit'][key]}x the Arrow bulk insert ({r['bulk_limit_s']['median']:.2f} s)"
        if key == "first":
            cmp += f"; {r['speedup_vs_row_at_a_time']}x row at a time ({r['row_at_a_time_rows_per_s']}/s)"
        else:
            cmp += f"; changed rows alone: {r['update_changed_only_s']['median']:.2f} s"
        rows.append(("store", label, med, spread, cmp, _peak(r) if key == "first" else "", "<= 2x bulk",
                     _le(r["ratios_to_bulk_limit"][key], 2.0)))
    return rows


def _classify(r: dict[str, Any]) -> list[Row]:
    med, spread = _rate(r["n"], r["batch_2proc_s"])
    one, ospread = _rate(r["n"], r["batch_1proc_s"])
    q = r.get("quality") or {}
    quality = f"; topic micro-F1 {q['topic_micro_f1']}, relevance F1 {q['relevance_f1']}" if q else ""
    load, lspread = _s(r["load_cold_process_s"])
    return [
        ("classify", "batch, 2 processes", med, spread, f"{r['two_process_speedup']}x one process{quality}",
         _peak(r), ">= 5,000/s", _ge(r["items_per_s"], 5000)),
        ("classify", "batch, 1 process (as the pipeline)", one, ospread,
         (f"char n-grams {r['breakdown_s']['char_ngrams_s'] / r['breakdown_s']['features_s']:.0%} of the "
          f"feature step; one item per call {r['items_per_s_one_per_call']}/s"), "", "", ""),
        *_extract(r.get("extract")),
        ("classify", "model load, fresh process", load, lspread,
         f"warm reload {r['load_warm_s']['median']:.2f} s", "",
         "", ""),
    ]


def _extract(x: dict[str, Any] | None) -> list[Row]:
    if not x:
        return []
    per = "; ".join(f"{k} {v['items_per_s']:,}/s ({v['mean_summary_chars']} chars)"
                    for k, v in x.items() if isinstance(v, dict))
    return [("classify", "release-fact extraction, same items", f"{x['all']:,}/s", "", per, "", "", "")]


def _stages(st: dict[str, Any]) -> str:
    parts = [f"{k} {st[k + '_s']:.2f}" for k in ("fetch", "parse", "classify", "extract", "store")
             if st.get(k + "_s")]
    return "run " + f"{st['wall_s']:.2f} s: " + ", ".join(parts)


def _e2e(r: dict[str, Any]) -> list[Row]:
    syn, snap, pf = r["synthetic"], r["snapshot"], r.get("prefect")
    rows = []
    for key, label in (("cold", f"{syn['sources']} feeds x 50 @100 ms, cold"), ("warm", "same, warm (all 304)")):
        med, spread = _s(syn[f"{key}_process_s"])
        rows.append(("e2e", label + " (process)", med, spread,
                     f"{_stages(syn[f'{key}_stages'])}; imports {syn['import_s']:.1f} s",
                     _peak(syn, f"{key}_peak_rss_mib"), "", ""))
    for key in ("cold", "warm"):
        med, spread = _s(snap[f"{key}_process_s"])
        stages = _stages(snap[f"{key}_stages"]) if f"{key}_stages" in snap else "(profiled in the full run)"
        rows.append(("e2e", f"`ingest --replay snapshot`, {key}", med, spread, stages,
                     _peak(snap, "cold_peak_rss_mib") if key == "cold" else "", "", ""))
    if pf and "error" not in pf:
        rows.append(("e2e", "Prefect flow, cold (temporary server)", f"{pf['cold_flow_s']:.3g} s", "",
                     (f"+{pf['overhead_vs_plain_cold_s']} s vs plain run ({pf['overhead_per_task_ms']} ms/task); "
                      f"server start {pf['server_start_s']:.1f} s, import {pf['import_s']:.1f} s; "
                      f"{pf['error_lines']} ERROR lines"), _peak(pf, "peak_rss_mib"), "", ""))
        rows.append(("e2e", "Prefect flow, warm", f"{pf['warm_flow_s']:.3g} s", "",
                     f"settle wait {pf['warm_settle_s']:.1f} s; whole process {pf['process_wall_s']:.1f} s",
                     "", "", ""))
    elif pf:
        rows.append(("e2e", "Prefect flow", "error", "", pf["error"][-120:], "", "", ""))
    return rows


def _growth(r: dict[str, Any]) -> list[Row]:
    walls = ", ".join(f"{r['run_s'][str(s)]['median']:.2f}" for s in r["scales"])  # JSON keys are strings
    mems = ", ".join(f"{r['run_mem_mib'][str(s)]['median']:.0f}" for s in r["scales"])
    items = "/".join(str(i) for i in r["items"])
    return [
        ("growth", f"time exponent ({items} items)", f"{r['time_exponent']}", "", f"run s: {walls}", "",
         "<= 1.15", _le(r["time_exponent"], 1.15)),
        ("growth", "memory exponent (run's own peak)", f"{r['memory_exponent']}", "", f"MiB: {mems}", "",
         "<= 1.15", _le(r["memory_exponent"], 1.15)),
    ]


def rows(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for name, fn in (("fetch", _fetch), ("warm", _warm), ("parse", _parse), ("store", _store),
                     ("classify", _classify), ("e2e", _e2e), ("growth", _growth)):
        result = results.get(name)
        if result is None:
            continue
        if "error" in result:
            out.append((name, "failed", "", "", result["error"].strip().splitlines()[-1][:100], "", "", ""))
            continue
        try:
            out += fn(result)
        except (KeyError, TypeError) as err:
            out.append((name, "unreadable result", "", "", repr(err)[:100], "", "", ""))
    return out


def text_table(table: list[Row]) -> str:
    widths = [min(max(len(r[i]) for r in [HEADER, *table]), 70) for i in range(len(HEADER))]
    lines = []
    for row in [HEADER, *table]:
        lines.append("  ".join(cell[:70].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if row is HEADER:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(table: list[Row], machine: dict[str, Any], suite_wall_s: float | None,
             results: dict[str, Any]) -> str:
    """The results table, under a line naming the machine, the libraries and the commit each
    benchmark was measured at, "+dirty" when src/ or flows/ had uncommitted changes, and
    whether with --quick (a benchmark re-run alone with --only keeps its own)."""
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items() if v)
    load = ", ".join(f"{name} {_get(r, 'process.other_load_during_approx')}" for name, r in results.items()
                     if _get(r, "process.other_load_during_approx") is not None)
    by_run: dict[str, list[str]] = {}
    for name, r in results.items():
        at = r.get("owingest_commit") or "commit not recorded"
        by_run.setdefault(at + (" with --quick" if r.get("quick") else ""), []).append(name)
    at = (f"owingest {next(iter(by_run))}" if len(by_run) == 1 else
          "owingest " + "; ".join(f"{', '.join(names)} at {c}" for c, names in by_run.items()))
    wall = f"Wall time of the last full suite run {suite_wall_s} s. " if suite_wall_s is not None else ""
    head = (f"Measured on {machine['cores']} cores ({machine['cpu']}), "
            f"{machine['memory_gib']} GiB, Python {machine['python']}; {libs}; {at}. "
            f"{wall}Other load on the machine "
            f"while each benchmark ran (share of all cores, approximate): {load}.\n\n")
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table]
    return head + "\n".join(lines)
