"""Read a warehouse file as an analyst would: a read-only connection, closed after the query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
