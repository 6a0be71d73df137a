"""Copies of the warehouse for long analyst sessions, so they never hold the live file.

DuckDB lets one process write *or* many read; a notebook left open on the live
file would make the next scheduled run wait. ``snapshot`` writes a consistent
copy (a DuckDB file, or Parquet files) under a temporary name and renames it into
place, so a reader never sees a half-written copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from owingest.errors import WarehouseError
from owingest.store.connection import STORAGE_VERSION, connect, quote_path, waiting_for_lock

__all__ = ["snapshot_duckdb", "snapshot_parquet"]


def snapshot_duckdb(warehouse: Path, out: Path) -> Path:
    """A copy of the whole warehouse at ``out`` (readable by duckdb 1.4+ clients)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        waiting_for_lock(warehouse, lambda: con.execute(
            f"ATTACH '{quote_path(warehouse)}' AS live (READ_ONLY)"))
        con.execute(f"ATTACH '{quote_path(tmp)}' AS copy (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("COPY FROM DATABASE live TO copy")
        con.execute("DETACH copy")
    except duckdb.Error as err:
        raise WarehouseError(f"warehouse: cannot copy {warehouse}: {str(err).splitlines()[0]}") from err
    finally:
        con.close()
    os.replace(tmp, out)
    return out


def snapshot_parquet(warehouse: Path, out: Path) -> Path:
    """Every table as Parquet (plus ``schema.sql`` and ``load.sql``) in the folder ``out``."""
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with connect(warehouse, read_only=True) as con:
        con.execute(f"EXPORT DATABASE '{quote_path(tmp)}' (FORMAT parquet)")
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out
