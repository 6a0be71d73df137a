"""SIGKILL in the middle of an ingest: the warehouse still opens, holds whole runs only,
and the next run completes.

Each kill hits a real ``python -c`` subprocess running ``run_ingest`` against the loopback
server, where two sources answer slowly so that there is a fetching phase to land in. The
subprocess prints a line per collected source, so the kill can also be aimed at the commit.
One test replaces SIGKILL by SIGXFSZ (the file-size limit) to die at an exact byte of the
warehouse's creation, a window too short to hit reliably from outside.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import yaml

from owingest.config import load_sources
from owingest.errors import OwingestError
from owingest.pipeline import run_ingest
from owingest.store.connection import connect, migrations
from tests.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.integration

FAST, SLOW, ITEMS = 4, 2, 40        # sources answering at once / after SLOW_DELAY; items per source
SOURCES = FAST + SLOW
EXPECTED = SOURCES * ITEMS
SLOW_DELAY = 0.3
SCRIPT = """
import asyncio, os, resource, signal, sys
from pathlib import Path
from owingest.config import load_sources
from owingest.pipeline import run_ingest
if os.environ.get("OWINGEST_KILL_AT"):
    from tests.kill_points import arm_kill_point
    arm_kill_point(os.environ["OWINGEST_KILL_AT"])
config = load_sources(Path(sys.argv[1]))
if len(sys.argv) > 3:  # die (SIGXFSZ) when a file would grow past this many bytes
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
print("start", flush=True)
report = asyncio.run(run_ingest(config, Path(sys.argv[2]),
                                on_source=lambda run: print("collected", run.source_id, flush=True)))
print("done", report.run_id, flush=True)
"""


def _feed(source: int) -> bytes:
    items = "".join(f"<item><title>Model {source}-{n} released</title>"
                    f"<link>https://lab{source}.example/posts/{n}</link>"
                    f"<pubDate>Mon, 23 Nov 2026 09:{n % 60:02d}:00 GMT</pubDate>"
                    f"<description>Weights, a report and benchmarks for model {source}-{n}.</description></item>"
                    for n in range(ITEMS))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lab {source}</title>'
            f"<link>https://lab{source}.example/</link>{items}</channel></rss>").encode()


@dataclass
class Child:
    """An ingest subprocess and the lines it printed, with when they came."""

    proc: subprocess.Popen[str]
    started: float
    lines: list[tuple[float, str]] = field(default_factory=list)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.started, line.strip()))

    def collected(self) -> int:
        return sum(1 for _, line in self.lines if line.startswith("collected"))

    def phase(self) -> str:
        if any(line.startswith("done") for _, line in self.lines):
            return "done"
        return "committing" if self.collected() == SOURCES else "fetching" if self.lines else "starting"


@dataclass(frozen=True)
class Setup:
    server: LoopbackServer
    sources: Path
    warehouse: Path          # holds one whole run: copied where a test needs earlier runs
    tables: frozenset[str]   # every table of a migrated warehouse
    migrations: int          # and how many migrations made it
    run_time: float          # spawn to exit of an undisturbed run
    commit_time: float       # last "collected" line to "done"


def spawn(setup: Setup, warehouse: Path, *extra: str, kill_at: str | None = None) -> tuple[Child, threading.Thread]:
    env = dict(os.environ, OWINGEST_KILL_AT=kill_at or "")
    with open(warehouse.with_suffix(".stderr"), "w", encoding="utf-8") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(setup.sources), str(warehouse), *extra],
                                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
                                cwd=Path(__file__).resolve().parents[1])
    child = Child(proc, time.monotonic())
    reader = threading.Thread(target=child.read, daemon=True)
    reader.start()
    return child, reader


def kill(child: Child, reader: threading.Thread) -> str:
    """SIGKILL the child (if still running); returns the phase it had reported."""
    child.proc.kill()
    child.proc.wait(timeout=10)
    reader.join(timeout=5)  # every line printed before the kill is read
    return child.phase()


def _schema(con: duckdb.DuckDBPyConnection) -> tuple[frozenset[str], list[int]]:
    tables = frozenset(r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
    if "schema_migrations" not in tables:
        return tables, []
    return tables, [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]


def whole_runs_only(setup: Setup, warehouse: Path) -> tuple[int, int]:
    """Check what a killed run left behind; returns (runs, items)."""
    if not warehouse.exists():
        return 0, 0
    try:
        con = duckdb.connect(str(warehouse), read_only=True)  # the WAL, if any, is replayed
    except duckdb.Error as err:
        raise AssertionError(f"{warehouse.name} ({warehouse.stat().st_size} bytes) does not open: {err}") from err
    try:
        tables, versions = _schema(con)
        assert versions == list(range(1, len(versions) + 1)), versions  # whole migrations, in order
        # exactly the tables of the migrations applied (a kill can land after the bookkeeping
        # table is created and before migration 1 commits), or an empty file
        assert tables == TABLES_BY_VERSION[len(versions)] or tables == set(), (versions, sorted(tables))
        if "runs" not in tables:
            return 0, 0
        runs = con.execute("SELECT run_id, sources_total FROM runs").fetchall()
        for run_id, total in runs:  # a run and all of its sources' batches, or nothing
            [(fetches,)] = con.execute("SELECT count(*) FROM fetches WHERE run_id = ?", [run_id]).fetchall()
            assert (run_id, fetches) == (run_id, total)
        counts = con.execute("SELECT (SELECT count(*) FROM fetches WHERE run_id NOT IN (SELECT run_id FROM runs)),"
                             " (SELECT count(*) FROM items), (SELECT count(*) FROM item_sources),"
                             " (SELECT count(*) FROM documents), (SELECT count(*) FROM raw_documents)").fetchone()
    finally:
        con.close()
    whole = (0, EXPECTED, EXPECTED, SOURCES * len(runs), SOURCES) if runs else (0, 0, 0, 0, 0)
    assert counts == whole  # (orphan fetches, items, item_sources, documents, raw_documents)
    return len(runs), EXPECTED if runs else 0


def _tables_by_version() -> tuple[frozenset[str], ...]:
    """The tables (and views) after 0, 1, 2... migrations, from the bundled migrations."""
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL)")
        found = [_schema(con)[0]]
        for version, name, sql in migrations():
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
            found.append(_schema(con)[0])
    finally:
        con.close()
    return tuple(found)


TABLES_BY_VERSION = _tables_by_version()


def complete_run(setup: Setup, warehouse: Path) -> None:
    """A normal run after the kill completes and leaves the full item count."""
    runs_before, _ = whole_runs_only(setup, warehouse)
    report = asyncio.run(run_ingest(load_sources(setup.sources), warehouse))
    assert report.failed == ()
    assert whole_runs_only(setup, warehouse) == (runs_before + 1, EXPECTED)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """The server, a sources.yaml, and the timings of one undisturbed run."""
    root = tmp_path_factory.mktemp("crash")
    with LoopbackServer() as server:
        entries = []
        for n in range(SOURCES):
            delay = SLOW_DELAY if n >= FAST else 0.0
            url = server.route(f"/lab{n}.xml", Reply(200, _feed(n), {"Content-Type": "application/rss+xml"},
                                                     delay=delay))
            entries.append({"id": f"lab{n}", "kind": "feed", "url": url})
        sources = root / "sources.yaml"
        sources.write_text(yaml.safe_dump({
            "allow_private_hosts": True, "sources": entries,
            "fetch": {"per_host": 10, "read_timeout": 5.0, "max_attempts": 1}}), encoding="utf-8")
        warehouse = root / "calibration.duckdb"
        child, reader = spawn(Setup(server, sources, warehouse, frozenset(), 0, 0, 0), warehouse)
        returncode = child.proc.wait(timeout=30)
        run_time = time.monotonic() - child.started
        assert returncode == 0, warehouse.with_suffix(".stderr").read_text(encoding="utf-8")
        kill(child, reader)  # nothing left to kill: collects the output
        collected = [t for t, line in child.lines if line.startswith("collected")]
        done = [t for t, line in child.lines if line.startswith("done")]
        assert (len(collected), len(done)) == (SOURCES, 1), child.lines
        con = duckdb.connect(str(warehouse), read_only=True)
        tables, versions = _schema(con)
        con.close()
        assert (tables, len(versions)) == (TABLES_BY_VERSION[-1], len(migrations()))
        ready = Setup(server, sources, warehouse, tables, len(versions), run_time, done[0] - max(collected))
        assert whole_runs_only(ready, warehouse) == (1, EXPECTED)
        yield ready


def test_a_kill_while_fetching_leaves_the_previous_runs_intact(setup: Setup, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(setup.warehouse, warehouse)
    slow = {f"/lab{n}.xml" for n in range(FAST, SOURCES)}
    for attempt in range(2):
        before = len(setup.server.log)
        child, reader = spawn(setup, warehouse)
        deadline = time.monotonic() + 15
        # both slow sources have asked and are waiting for their answer: the run is mid-fetch
        while sum(1 for r in setup.server.log[before:] if r.path in slow) < SLOW:
            assert time.monotonic() < deadline and child.proc.poll() is None, child.lines
            time.sleep(0.005)
        assert kill(child, reader) == "fetching"
        assert child.proc.returncode == -9
        assert whole_runs_only(setup, warehouse) == (1 + attempt, EXPECTED)
        complete_run(setup, warehouse)


def test_kills_at_random_times_leave_whole_batches(setup: Setup, tmp_path: Path) -> None:
    rng = random.Random(20261130)
    phases = []
    for n in range(6):
        warehouse = tmp_path / f"w{n}.duckdb"
        child, reader = spawn(setup, warehouse)
        time.sleep(rng.uniform(0.2, setup.run_time))
        phases.append(kill(child, reader))
        left = whole_runs_only(setup, warehouse)
        if phases[-1] == "done":
            assert left == (1, EXPECTED)
        complete_run(setup, warehouse)
    print("phases at kill time:", phases)


def test_kills_around_the_commit_leave_whole_batches(setup: Setup, tmp_path: Path) -> None:
    rng = random.Random(7)
    outcomes = []
    for n in range(4):
        warehouse = tmp_path / f"w{n}.duckdb"
        shutil.copy(setup.warehouse, warehouse)  # the usual case: a warehouse with earlier runs
        child, reader = spawn(setup, warehouse)
        deadline = time.monotonic() + 15
        while child.collected() < SOURCES:  # every source is in: what remains is the commit
            assert time.monotonic() < deadline and child.proc.poll() is None, child.lines
            time.sleep(0.002)
        time.sleep(rng.uniform(0, setup.commit_time * 1.5))  # some land after the COMMIT
        phase = kill(child, reader)
        left = whole_runs_only(setup, warehouse)
        outcomes.append((phase, left))
        assert phase in ("committing", "done")
        assert left == (2, EXPECTED) if phase == "done" else left in ((1, EXPECTED), (2, EXPECTED))
        complete_run(setup, warehouse)
    print("kills around the commit (phase, (runs, items)):", outcomes)


def test_a_death_while_the_warehouse_is_created_leaves_it_usable(setup: Setup, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    child, reader = spawn(setup, warehouse, "4096")  # dies once 4 KiB of the new file are written
    assert child.proc.wait(timeout=30) == -signal.SIGXFSZ
    assert kill(child, reader) == "committing"
    problems = []
    try:
        whole_runs_only(setup, warehouse)
    except AssertionError as err:
        problems.append(str(err).splitlines()[0])
    try:
        report = asyncio.run(run_ingest(load_sources(setup.sources), warehouse))
    except OwingestError as err:
        problems.append(f"the next run fails: {err}")
    else:
        assert report.failed == ()
    assert not problems, "\n".join(problems)
    assert whole_runs_only(setup, warehouse) == (1, EXPECTED)


# ---- kills at named points: every stage of a run, and every step of the commit and migrations -

N_MIGRATIONS = len(migrations())
FETCH = "call|owingest.fetch.fetcher:Fetcher.fetch"
PARSE = "call|owingest.parse.pool:ParserPool.run"
#: name -> (kill point, the warehouse it starts from: none (migrations run), empty (migrated)
#: or one run (the usual case: every item already known), whether the run is committed)
KILL_POINTS: dict[str, tuple[str, str, bool]] = {
    "fetch: before the first request": (f"{FETCH}|1|before", "one run", False),
    "fetch: after the third response": (f"{FETCH}|3|after", "one run", False),
    "fetch: after the last response": (f"{FETCH}|{SOURCES}|after", "one run", False),
    "fetch: reading the sources' state": ("sql|SELECT source_id, etag|1|after", "one run", False),
    "parse: before the first document": (f"{PARSE}|1|before", "one run", False),
    "parse: after the first document": (f"{PARSE}|1|after", "one run", False),
    "parse: after the last document": (f"{PARSE}|{SOURCES}|after", "one run", False),
    "classify: before labelling the batch": ("call|owingest.pipeline:classify_runs|1|before", "one run", False),
    "write: opening the warehouse": ("call|owingest.store.writer:connect|1|before", "empty", False),
    "write: after BEGIN": ("sql|BEGIN|1|after", "empty", False),
    "write: before the items upsert": (r"sql|INSERT INTO items\b|1|before", "empty", False),
    "write: after the items upsert": (r"sql|INSERT INTO items\b|1|after", "empty", False),
    "write: after item_sources": ("sql|INSERT INTO item_sources|1|after", "empty", False),
    "write: after the raw documents": ("sql|INSERT INTO raw_documents|1|after", "empty", False),
    "write: after documents": (r"sql|INSERT INTO documents\b|1|after", "empty", False),
    "write: after the sources' state": (r"sql|INSERT INTO sources\b|1|after", "empty", False),
    "write: after fetches": ("sql|INSERT INTO fetches|1|after", "empty", False),
    "write: after the runs row, before COMMIT": ("sql|INSERT INTO runs|1|after", "empty", False),
    "write: after COMMIT, before CHECKPOINT": ("sql|COMMIT|1|after", "empty", True),
    "write: after CHECKPOINT": ("sql|CHECKPOINT|1|after", "empty", True),
    "migrate: after the bookkeeping table": ("sql|CREATE TABLE IF NOT EXISTS schema_migrations|1|after", "none", False),
    "migrate: inside migration 1": ("sql|INSERT INTO schema_migrations|1|before", "none", False),
    "migrate: between migrations 2 and 3": ("sql|COMMIT|2|after", "none", False),
    "migrate: inside the last migration": (f"sql|INSERT INTO schema_migrations|{N_MIGRATIONS}|before", "none", False),
    "migrate: before the migrations' CHECKPOINT": ("sql|CHECKPOINT|1|before", "none", False),
}




@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_kill_at_a_named_point_leaves_whole_batches(setup: Setup, tmp_path: Path, point: str) -> None:
    spec, start, committed = KILL_POINTS[point]
    warehouse = tmp_path / "w.duckdb"
    if start == "one run":
        shutil.copy(setup.warehouse, warehouse)
    elif start == "empty":
        with connect(warehouse):
            pass  # created and migrated: this run's items are all new
    child, reader = spawn(setup, warehouse, kill_at=spec)
    assert child.proc.wait(timeout=60) == -signal.SIGKILL, (  # the point was reached, and killed
        child.lines, warehouse.with_suffix(".stderr").read_text(encoding="utf-8")[-2000:])
    kill(child, reader)
    before = 1 if start == "one run" else 0
    runs = before + 1 if committed else before
    assert whole_runs_only(setup, warehouse) == (runs, EXPECTED if runs else 0)
    complete_run(setup, warehouse)
