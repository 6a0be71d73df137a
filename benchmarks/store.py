"""Store: ``store.commit_run`` with 100,000 items, against DuckDB's own bulk path.

Items are built directly (1 KB summaries, labels, three categories, one date candidate),
100 sources x 1,000 items, so this measures the writer, not parsing. Three measurements
in the same run, each on a fresh warehouse created and migrated by owingest:

* the limit: the same rows converted to Arrow (the writer's own schema and row function)
  and inserted with one ``INSERT INTO items SELECT ... FROM arrow``;
* row at a time: ``INSERT INTO items VALUES (?, ...)`` per row, in one transaction, on a
  sample (its rate is what matters);
* DuckDB's cheapest "update only what changed": ``INSERT ... ON CONFLICT DO UPDATE`` of just
  the changed 10% from Arrow.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import common
import fixtures

N_SOURCES = 100


def make_items(n: int, version: int = 0, changed_every: int = 10) -> list[Any]:
    """``n`` items; with ``version`` > 0, every ``changed_every``-th item has a new summary."""
    from owingest.models import Classification, DateCandidate, Item
    from owingest.normalize import content_hash, fingerprint, item_id

    texts = fixtures.texts()
    label = Classification(("release",), "frontier", True, {"release": 0.81, "infra": 0.2, "safety": 0.05},
                           {"baseline": 0.02, "scaling": 0.1, "frontier": 0.88}, "mbench")
    base = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for i in range(n):
        title, summary = texts[i % len(texts)]
        summary = (summary + " " + texts[(i * 7 + 3) % len(texts)][1])[:1000].ljust(1000, ".")
        if version and i % changed_every == 0:
            summary = f"[rev {version}] " + summary[:990]
        source = f"src{i % N_SOURCES:03d}"
        url = f"https://lab{i % N_SOURCES}.example/posts/{i}"
        when = base - timedelta(minutes=17 * i)
        items.append(Item(
            item_id=item_id(url, None, source, title, summary), source_id=source, kind="feed", url=url,
            guid=f"https://lab{i % N_SOURCES}.example/?p={i}", title=f"{title} #{i}", summary=summary,
            author=f"Author {i % 40}", published_at=when, published_origin="feed:published",
            date_candidates=(DateCandidate(when, "feed:published"),),
            categories=("Research", "Open Source", "Models"), flags=(), meta={},
            fingerprint=fingerprint(f"{title} #{i}", summary, when),
            content_hash=content_hash({"t": title, "s": summary, "i": i}), classification=label))
    return items


def _runs(items: list[Any], now: datetime) -> tuple[list[Any], list[Any]]:
    from owingest.config import FeedSource
    from owingest.models import SourceRun

    by_source: dict[str, list[Any]] = {}
    for item in items:
        by_source.setdefault(item.source_id, []).append(item)
    sources = [FeedSource(id=s, kind="feed", url=f"https://lab{int(s[3:])}.example/feed") for s in by_source]
    runs = [SourceRun(source_id=s.id, url=s.url, started_at=now, finished_at=now, status=200,
                      not_modified=False, attempts=1, etag='"e"', last_modified=None,
                      items=tuple(by_source[s.id]), entries_seen=len(by_source[s.id])) for s in sources]
    return sources, runs


def _commit(path: Path, items: list[Any], run_id: str, now: datetime) -> tuple[float, Any]:
    from owingest.store import commit_run

    sources, runs = _runs(items, now)
    start = time.perf_counter()
    report = commit_run(path, run_id=run_id, mode="live", started_at=now, finished_at=now,
                        sources=sources, runs=runs)
    return time.perf_counter() - start, report


def _fresh(path: Path) -> None:
    from owingest.store.connection import connect

    with connect(path):
        pass


def _bulk(path: Path, items: list[Any], now: datetime) -> tuple[float, float]:
    """The limit: rows -> Arrow -> one INSERT ... SELECT. Returns (total s, insert-only s)."""
    import pyarrow as pa

    from owingest.store import writer
    from owingest.store.connection import connect

    _fresh(path)
    with connect(path) as con:
        start = time.perf_counter()
        table = pa.Table.from_pylist([writer._item_row(i.item_id, i, now) for i in items],
                                     schema=writer._ITEM_SCHEMA)
        converted = time.perf_counter()
        con.register("bulk", table)
        cols = ", ".join(writer._ITEM_COLUMNS)
        con.execute(f"INSERT INTO items ({cols}) SELECT {cols} FROM bulk")
        con.execute("CHECKPOINT")
        end = time.perf_counter()
    return end - start, end - converted


def _update_changed(path: Path, changed: list[Any], now: datetime) -> float:
    """DuckDB's cheapest update of the changed rows only (on the warehouse ``_bulk`` filled)."""
    import pyarrow as pa

    from owingest.store import writer
    from owingest.store.connection import connect

    with connect(path) as con:
        start = time.perf_counter()
        table = pa.Table.from_pylist([writer._item_row(i.item_id, i, now) for i in changed],
                                     schema=writer._ITEM_SCHEMA)
        con.register("changed", table)
        cols = ", ".join(writer._ITEM_COLUMNS)
        sets = ", ".join(f"{c} = excluded.{c}" for c in writer._UPDATABLE)
        con.execute(f"INSERT INTO items ({cols}) SELECT {cols} FROM changed "
                    f"ON CONFLICT (item_id) DO UPDATE SET {sets}")
        con.execute("CHECKPOINT")
        return time.perf_counter() - start


def _row_at_a_time(path: Path, items: list[Any], now: datetime) -> float:
    from owingest.store import writer
    from owingest.store.connection import connect

    _fresh(path)
    cols = writer._ITEM_COLUMNS
    sql = f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    with connect(path) as con:
        start = time.perf_counter()
        con.execute("BEGIN")
        for item in items:
            row = writer._item_row(item.item_id, item, now)
            con.execute(sql, [row[c] for c in cols])
        con.execute("COMMIT")
        return time.perf_counter() - start


def _mib(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1)


def run(quick: bool) -> dict[str, Any]:
    """First upsert of N = 100,000 items and a second upsert of the same items with 10% changed,
    through store.commit_run, vs an Arrow bulk insert of the same rows (the limit), row-at-a-time
    inserts, and an ON CONFLICT update of only the changed rows. Target: both within 2x of the
    bulk limit."""
    n, repeats, n_rows = (10_000, 2, 300) if quick else (100_000, 2, 1_000)
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    start = time.perf_counter()
    first_items = make_items(n)
    second_items = make_items(n, version=1)
    build_s = time.perf_counter() - start
    changed = [it for i, it in enumerate(second_items) if i % 10 == 0]
    t_first, t_second, t_bulk, t_insert, t_row, t_upd, sizes, counts = [], [], [], [], [], [], {}, {}
    with common.workdir("store") as tmp:
        for r in range(repeats):
            wh = tmp / f"w{r}.duckdb"
            secs, report = _commit(wh, first_items, f"r{r}a", now)
            t_first.append(secs)
            sizes["after_first_mib"] = _mib(wh)
            counts["first"] = (report.items_new, report.items_updated)
            secs, report = _commit(wh, second_items, f"r{r}b", now + timedelta(hours=1))
            t_second.append(secs)
            sizes["after_second_mib"] = _mib(wh)
            counts["second"] = (report.items_new, report.items_updated)
            wh.unlink()
            bulk_path = tmp / f"b{r}.duckdb"
            total, insert = _bulk(bulk_path, first_items, now)
            t_bulk.append(total)
            t_insert.append(insert)
            sizes["bulk_mib"] = _mib(bulk_path)
            t_upd.append(_update_changed(bulk_path, changed, now))
            bulk_path.unlink()
            t_row.append(_row_at_a_time(tmp / f"row{r}.duckdb", first_items[:n_rows], now))
            (tmp / f"row{r}.duckdb").unlink()
    first, second, bulk = common.summary(t_first), common.summary(t_second), common.summary(t_bulk)
    rate = lambda s, k=n: round(k / s["median"])
    row_rate = round(n_rows / common.summary(t_row)["median"])
    ratios = {k: round(s["median"] / bulk["median"], 2) for k, s in (("first", first), ("second", second))}
    return {
        "n": n, "changed": len(changed), "build_items_s": round(build_s, 2),
        "first_upsert_s": first, "second_upsert_s": second, "bulk_limit_s": bulk,
        "bulk_insert_only_s": common.summary(t_insert), "update_changed_only_s": common.summary(t_upd),
        "row_at_a_time_rows_per_s": row_rate, "row_at_a_time_sample": n_rows,
        "rows_per_s": {"first_upsert": rate(first), "second_upsert": rate(second), "bulk_limit": rate(bulk),
                       "row_at_a_time": row_rate},
        "new_and_updated": counts, "file_sizes": sizes,
        "ratio_to_bulk_limit": max(ratios.values()), "ratios_to_bulk_limit": ratios,
        "speedup_vs_row_at_a_time": round(rate(first) / row_rate, 1),
        "target": "first and second upsert within 2x of the bulk limit",
        "target_met": max(ratios.values()) <= 2.0,
    }


if __name__ == "__main__":
    common.main(run)
