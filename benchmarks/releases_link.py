"""Release linking at 1k, 4k and 16k synthetic items: the time of ``link_events`` (the pure
step the warehouse runs inside its write transaction on every rebuild) and of the whole
``rebuild_releases`` on a real DuckDB file of the same items.

The items come from ``tests/test_releases_scaling.synthetic_items``, in two shapes: more
families (their number grows with the items over a fixed three years) and longer history (the
same ten families released again and again over a span that grows with the items). Each time
is the best of ``--repeats`` runs in this process (the machine's noise only ever adds time);
the exponent is the least-squares slope on log-log (1.0 is linear).

    .venv/bin/python benchmarks/releases_link.py [--sizes 1000 4000 16000] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_releases_scaling import synthetic_items

from owingest.releases.events import LinkItem
from owingest.releases.link import link_events
from owingest.store import connect
from owingest.store.releases import rebuild_releases

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _best_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _warehouse(path: Path, items: list[LinkItem]) -> None:
    """The items as stored rows: a source per role, an item and its facts each."""
    with connect(path) as con:
        con.execute("BEGIN")
        for role in ("announcement", "weights", "coverage", "engine-support", "derivative"):
            kind = "hf_models" if role in ("weights", "derivative") else "feed"
            tags = ["github-releases", "engine"] if role == "engine-support" else ["news"]
            con.execute("INSERT INTO sources (source_id, kind, url, name, tags, enabled) "
                        "VALUES (?, ?, ?, ?, ?, true)", [role, kind, f"https://example.org/{role}", role, tags])
        rows = pa.Table.from_pylist([{
            "item_id": i.item_id, "source_id": i.role, "sources": [i.role],
            "kind": "hf_models" if i.role in ("weights", "derivative") else "feed", "url": i.url,
            "title": i.repo or i.family, "published_at": i.day,
            "meta": json.dumps({"repo_id": i.repo, "base_models": [{"repo": b} for b in i.bases]}
                               if i.repo else {}),
            "lab": i.family_lab, "family": i.family, "models": list(i.models)} for i in items],
            schema=pa.schema([("item_id", pa.string()), ("source_id", pa.string()),
                              ("sources", pa.list_(pa.string())), ("kind", pa.string()), ("url", pa.string()),
                              ("title", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")),
                              ("meta", pa.string()), ("lab", pa.string()), ("family", pa.string()),
                              ("models", pa.list_(pa.string()))]))
        con.register("synthetic", rows)
        con.execute("INSERT INTO items (item_id, source_id, sources, kind, url, title, summary, published_at, "
                    "meta, first_seen_at, updated_at, content_hash) SELECT item_id, source_id, sources, kind, "
                    "url, title, '', published_at, meta, $now, $now, item_id FROM synthetic", {"now": NOW})
        con.execute("INSERT INTO item_facts (item_id, lab, family, models, extracted_at) "
                    "SELECT item_id, lab, family, models, $now FROM synthetic", {"now": NOW})
        con.unregister("synthetic")
        con.execute("COMMIT")


def _rebuild(path: Path) -> None:
    with connect(path) as con:
        con.execute("BEGIN")
        rebuild_releases(con, NOW)
        con.execute("ROLLBACK")


def _slope(xs: list[int], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def run(sizes: list[int], repeats: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for history in (False, True):
            shape = "longer-history" if history else "more-families"
            rows = []
            for n in sizes:
                items, family_of = synthetic_items(n, history=history)
                link_s = _best_time(partial(link_events, items, family_of), repeats)
                path = Path(tmp) / f"{shape}-{n}.duckdb"
                _warehouse(path, items)
                rebuild_s = _best_time(partial(_rebuild, path), repeats)
                rows.append({"items": n, "events": len(link_events(items, family_of)),
                             "link_s": round(link_s, 4), "rebuild_s": round(rebuild_s, 4)})
            result[shape] = {"sizes": rows,
                             "link_exponent": round(_slope(sizes, [r["link_s"] for r in rows]), 2),
                             "rebuild_exponent": round(_slope(sizes, [r["rebuild_s"] for r in rows]), 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.sizes, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for shape, found in result.items():
        print(f"{shape}: link exponent {found['link_exponent']}, rebuild exponent {found['rebuild_exponent']}")
        for row in found["sizes"]:
            print(f"  {row['items']:>6} items  {row['events']:>5} releases  link_events {row['link_s']:.3f} s"
                  f"  rebuild_releases {row['rebuild_s']:.3f} s")


if __name__ == "__main__":
    main()
