"""Opening the warehouse: create with a widely readable storage version, migrate, fail clearly.

DuckDB allows one writing process *or* many readers, so connections are held
only as long as one operation takes; analysts can open the file between them.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from owingest.errors import WarehouseError

__all__ = ["STORAGE_VERSION", "connect", "migrations", "quote_path", "waiting_for_lock"]

T = TypeVar("T")

#: Files are created in this storage format so that duckdb 1.4+ clients
#: (the duckdb CLI among them) can read them, even after later writes.
STORAGE_VERSION = "v1.4.0"
_MIGRATION = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every bundled migration, in order."""
    found = []
    for entry in resources.files("owingest.store.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _create(path: Path) -> None:
    """Create an empty warehouse under a temporary name, then rename it into place, so a
    process that dies while creating it never leaves a half-written file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.creating")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{quote_path(tmp)}' AS wh (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("DETACH wh")
    finally:
        con.close()
    os.replace(tmp, path)


def quote_path(path: Path) -> str:
    """A path as a SQL string literal's content."""
    return str(path).replace("'", "''")


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    pending = [m for m in migrations() if m[0] not in done]
    for version, name, sql in pending:
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, name, datetime.now(UTC)])
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
    if pending:
        con.execute("CHECKPOINT")  # schema changes never wait in the WAL


def _lock_wait() -> float:
    """Seconds to keep retrying a warehouse another process holds ($OWINGEST_LOCK_WAIT, default 120)."""
    try:
        return max(0.0, float(os.environ.get("OWINGEST_LOCK_WAIT", "120")))
    except ValueError:
        return 120.0


def waiting_for_lock(path: Path, opener: Callable[[], T]) -> T:
    """Run ``opener``, retrying with bounded exponential backoff while another process holds
    the file (an analyst's session, an overlapping run); never two writers at once."""
    deadline = time.monotonic() + _lock_wait()
    delay = 0.05
    while True:
        try:
            return opener()
        except duckdb.IOException as err:
            if "lock" not in str(err).lower() or time.monotonic() + delay > deadline:
                raise WarehouseError(f"warehouse: cannot open {path}: {_first_line(err)}") from err
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        except duckdb.Error as err:
            raise WarehouseError(f"warehouse: {path} is not a usable DuckDB file: {_first_line(err)}") from err


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    return waiting_for_lock(path, lambda: duckdb.connect(str(path), read_only=read_only))


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open ``path`` (creating and migrating it when writable), yield, close."""
    if not read_only and not path.exists():
        try:
            _create(path)
        except duckdb.Error as err:
            raise WarehouseError(f"warehouse: cannot create {path}: {_first_line(err)}") from err
    con = _open(path, read_only)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            _migrate(con)
        yield con
    except duckdb.Error as err:
        raise WarehouseError(f"warehouse: {path}: {_first_line(err)}") from err
    finally:
        con.close()


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
