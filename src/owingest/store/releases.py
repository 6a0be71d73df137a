"""The release tables, rebuilt whole from ``item_facts`` inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from owingest.releases import releases_of
from owingest.store.connection import connect

__all__ = ["rebuild_releases", "release_memberships", "releases_missing"]

_TS = pa.timestamp("us", tz="UTC")
_ITEMS = """
    SELECT f.item_id, f.lab, f.family, f.models, f.total_params_b, f.active_params_b,
           f.context_tokens, f.license, f.open_weights, f.modalities, f.reasoning,
           i.kind, i.title, i.url, i.published_at, i.meta, s.lab AS source_lab, s.tags AS source_tags
    FROM item_facts f JOIN items i USING (item_id) LEFT JOIN sources s ON s.source_id = i.source_id
    WHERE f.family IS NOT NULL
    ORDER BY f.item_id"""
_RELEASE_SCHEMA = pa.schema([
    ("release_id", pa.string()), ("lab", pa.string()), ("family", pa.string()),
    ("models", pa.list_(pa.string())), ("announced_at", _TS), ("total_params_b", pa.float64()),
    ("active_params_b", pa.float64()), ("context_tokens", pa.int64()), ("license", pa.string()),
    ("open_weights", pa.string()), ("modalities", pa.list_(pa.string())), ("reasoning", pa.bool_()),
    ("n_sources", pa.int32()), ("first_source_url", pa.string()), ("first_item_id", pa.string()),
    ("n_conflicts", pa.int32()), ("built_at", _TS)])


def releases_missing(con: duckdb.DuckDBPyConnection) -> bool:
    """No release rows although items name a family: the tables were just created by the
    migration that added them (a warehouse from before release events), or emptied. Also
    true, harmlessly, when every such item is a derivative (its rebuild is small)."""
    [(missing,)] = con.execute("SELECT NOT EXISTS (SELECT 1 FROM releases) "
                               "AND EXISTS (SELECT 1 FROM item_facts WHERE family IS NOT NULL)").fetchall()
    return bool(missing)


def rebuild_releases(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Replace the release tables with the events of every stored item; the number of releases."""
    cursor = con.execute(_ITEMS)
    names = [d[0] for d in cursor.description or ()]
    found = releases_of(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    rows = [{"release_id": r.release_id, "lab": r.lab, "family": r.family, "models": list(r.models),
             "announced_at": r.announced_at, "total_params_b": r.total_params_b,
             "active_params_b": r.active_params_b, "context_tokens": r.context_tokens,
             "license": r.license, "open_weights": r.open_weights, "modalities": list(r.modalities),
             "reasoning": r.reasoning, "n_sources": r.n_sources, "first_source_url": r.first_source_url,
             "first_item_id": r.first_item_id, "n_conflicts": r.n_conflicts, "built_at": now}
            for r in found]
    links = [(r.release_id, item_id, role) for r in found for item_id, role in r.sources]
    values = [(r.release_id, v.field, v.value, v.item_id, v.role, v.chosen) for r in found for v in r.values]
    for table in ("release_field_values", "release_sources", "releases"):
        con.execute(f"DELETE FROM {table}")
    _insert(con, "releases", pa.Table.from_pylist(rows, schema=_RELEASE_SCHEMA))
    _insert(con, "release_sources", pa.table(
        {k: [x[n] for x in links] for n, k in enumerate(("release_id", "item_id", "role"))},
        schema=pa.schema([(k, pa.string()) for k in ("release_id", "item_id", "role")])))
    _insert(con, "release_field_values", pa.table(
        {k: [x[n] for x in values] for n, k in enumerate(
            ("release_id", "field", "value", "item_id", "role", "chosen"))},
        schema=pa.schema([*[(k, pa.string()) for k in ("release_id", "field", "value", "item_id", "role")],
                          ("chosen", pa.bool_())])))
    return len(found)


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    if data.num_rows == 0:
        return
    con.register("batch_release_rows", data)
    con.execute(f"INSERT INTO {table} SELECT * FROM batch_release_rows")
    con.unregister("batch_release_rows")


def release_memberships(path: Path) -> dict[str, str]:
    """Item URL -> release id, for every item linked to a release other than as a derivative."""
    with connect(path, read_only=True) as con:
        rows = con.execute("SELECT i.url, min(s.release_id) FROM release_sources s JOIN items i USING (item_id) "
                           "WHERE s.role <> 'derivative' AND i.url IS NOT NULL GROUP BY i.url").fetchall()
    return {str(url): str(rid) for url, rid in rows}
