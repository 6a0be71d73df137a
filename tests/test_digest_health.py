"""Silence has one definition, in the warehouse (migration 007), shared by the
``source_health`` view (as of the clock) and the digest (as of its period's end)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from owingest.digest import parse_week, read_week
from owingest.store.connection import connect, migrations
from tests.test_digest_fixture import (
    FIXED_FETCHES,
    FIXED_ITEMS,
    SOURCES,
    WEEK,
    add_fetches,
    add_items,
    add_sources,
    build_fixed,
    item,
)

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")
LATEST = migrations()[-1][0]


def silent_in_digest(warehouse: Path, week: str) -> set[str]:
    return {h.source_id for h in read_week(warehouse, parse_week(week)).health if h.silent}


def view(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def mark_fetched(con: Any) -> None:
    """Every source fetched fine on 30 November, so the view judges them by their cadence."""
    con.execute(
        "UPDATE sources SET last_attempt_at = TIMESTAMPTZ '2026-11-30 06:00:00+00', "
        "last_success_at = TIMESTAMPTZ '2026-11-30 06:00:00+00'"
    )


def test_a_source_falls_silent_by_the_end_of_the_period_asked_for(tmp_path: Path) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb")
    # quiet-blog posted weekly until 1 September: 6 days later it is on time, 34 days later
    # (over 4 times its week) it is silent
    assert "quiet-blog" not in silent_in_digest(warehouse, "2026-W36")
    assert "quiet-blog" in silent_in_digest(warehouse, "2026-W40")
    assert silent_in_digest(warehouse, WEEK) == {"quiet-blog"}
    [(newest, usual)] = view(
        warehouse,
        "SELECT newest_item_at, usual_interval FROM source_cadence_at(TIMESTAMPTZ '2026-09-01') "
        "WHERE source_id = 'quiet-blog'",
    )
    assert (newest, usual) == (datetime(2026, 8, 25, tzinfo=UTC), timedelta(days=7))


def test_the_view_and_the_digest_follow_the_one_rule_in_the_warehouse(tmp_path: Path) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb")
    with connect(warehouse) as con:
        mark_fetched(con)
    health = "SELECT health FROM source_health WHERE source_id = 'quiet-blog'"
    assert view(warehouse, health) == [("silent",)]
    assert "quiet-blog" in silent_in_digest(warehouse, WEEK)
    with connect(warehouse) as con:  # an analyst loosens the rule: silent after 100 intervals
        con.execute(
            "CREATE OR REPLACE MACRO source_silent(newest_item_at, usual_interval, ts) AS "
            "usual_interval IS NOT NULL AND ts - newest_item_at > 100 * usual_interval"
        )
    assert view(warehouse, health) == [("ok",)]
    assert "quiet-blog" not in silent_in_digest(warehouse, WEEK)


def version_6_warehouse(path: Path) -> Path:
    """A warehouse as owingest left it before migration 007, holding the digest fixture and a
    source whose newest item is dated a few hours ahead of the clock."""
    now = datetime.now(UTC)
    ahead = [
        item(f"a{n}", f"Ahead note {n}", f"{now + timedelta(days=d):%Y-%m-%dT%H:%M:%S}", "ahead")
        for n, d in enumerate((-75, -65, -55, -45, 0.25))
    ]
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
            "applied_at TIMESTAMPTZ NOT NULL)"
        )
        for version, name, sql in migrations()[:6]:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        add_sources(con, [*SOURCES, ("ahead", "feed", "Ahead of the clock", None)])
        add_items(con, [*FIXED_ITEMS, *ahead])
        add_fetches(con, FIXED_FETCHES)
        mark_fetched(con)
    finally:
        con.close()
    return path


def test_an_older_warehouse_is_read_as_it_is_and_upgraded_by_the_next_write(tmp_path: Path) -> None:
    warehouse = version_6_warehouse(tmp_path / "w.duckdb")
    columns = "SELECT column_name, column_type FROM (DESCRIBE source_health)"
    everything = "SELECT * FROM source_health ORDER BY 1"
    before = view(warehouse, columns), view(warehouse, everything)
    assert view(warehouse, "SELECT max(version) FROM schema_migrations") == [(6,)]
    # the digest reads it while an analyst holds it open read-only, and writes nothing
    analyst = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert "quiet-blog" in silent_in_digest(warehouse, WEEK)
    finally:
        analyst.close()
    assert view(warehouse, "SELECT max(version) FROM schema_migrations") == [(6,)]
    with connect(warehouse):  # what any writing command does first: apply migration 007
        pass
    assert view(warehouse, "SELECT max(version) FROM schema_migrations") == [(LATEST,)]
    assert (view(warehouse, columns), view(warehouse, everything)) == before
    health = dict(view(warehouse, "SELECT source_id, health FROM source_health"))
    assert (health["quiet-blog"], health["ahead"]) == ("silent", "ok")  # it posted a moment ago


def test_an_analyst_asks_for_silence_at_any_date_in_the_duckdb_cli(tmp_path: Path) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb")
    query = (
        "SELECT source_id FROM source_cadence_at(TIMESTAMPTZ '2026-10-05 00:00:00+00') "
        "WHERE source_silent(newest_item_at, usual_interval, TIMESTAMPTZ '2026-10-05 00:00:00+00')"
    )
    done = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(warehouse), "-c", query],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["quiet-blog"]
