"""Release events end to end: the bundled snapshot replayed by the real CLI leaves a `releases`
table whose every shown field traces to a linked item; the example queries run in the real
duckdb CLI; `owingest evaluate-releases` prints the documented shape and holds the floors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.test_cli import REPO, owingest
from tests.warehouse import query as sql

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")
NEW_QUERIES = ["open_releases_per_lab_per_quarter", "median_days_to_vllm_support", "moe_share_by_year"]
FLOOR = 0.9
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("releases") / "owingest.duckdb"
    done = owingest("ingest", "--replay", "snapshot", "--warehouse", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_the_snapshot_leaves_release_events_with_their_sources(warehouse: Path) -> None:
    [(releases, linked)] = sql(warehouse, "SELECT count(*), sum(n_sources) FROM releases")
    assert releases >= 100 and linked > releases
    roles = dict(sql(warehouse, "SELECT s.role || ':' || i.source_id, count(*) FROM release_sources s "
                                "JOIN items i USING (item_id) WHERE s.release_id LIKE 'gpt-oss@%' GROUP BY 1"))
    assert {"weights:hf-openai", "announcement:openai-news", "engine-support:vllm-releases",
            "engine-support:llama-cpp-releases", "coverage:huggingface-blog"} <= set(roles)


def test_every_shown_field_traces_to_a_linked_item(warehouse: Path) -> None:
    untraced = sql(warehouse, """
        WITH shown AS (
            UNPIVOT (SELECT release_id, to_json(total_params_b)::VARCHAR AS total_params_b,
                            to_json(active_params_b)::VARCHAR AS active_params_b,
                            to_json(context_tokens)::VARCHAR AS context_tokens,
                            to_json(license)::VARCHAR AS license,
                            to_json(open_weights)::VARCHAR AS open_weights FROM releases)
            ON total_params_b, active_params_b, context_tokens, license, open_weights
            INTO NAME field VALUE value)
        SELECT s.release_id, s.field, s.value FROM shown s
        WHERE s.value <> 'null' AND NOT EXISTS (
            SELECT 1 FROM release_field_values v JOIN release_sources l USING (release_id, item_id)
            WHERE v.release_id = s.release_id AND v.field = s.field AND v.chosen
              AND v.value::JSON = s.value::JSON)""")
    assert untraced == []
    assert sql(warehouse, "SELECT count(*) FROM releases r WHERE NOT EXISTS (SELECT 1 FROM release_sources s "
                          "WHERE s.release_id = r.release_id AND s.item_id = r.first_item_id)") == [(0,)]


def test_a_reparse_rebuilds_the_same_releases(warehouse: Path, tmp_path: Path) -> None:
    before = sql(warehouse, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id")
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    done = owingest("reparse", "--warehouse", str(copy))
    assert done.returncode == 0, done.stderr
    assert sql(copy, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id") == before


def test_a_warehouse_from_before_release_events_gets_them_on_a_run_that_changes_nothing(
        warehouse: Path, tmp_path: Path) -> None:
    before = sql(warehouse, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id")
    old = tmp_path / "v4.duckdb"
    old.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(old))          # back to version 4: items and facts, no release tables
    con.execute("DROP VIEW release_conflicts")
    for table in ("release_field_values", "release_sources", "releases"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM schema_migrations WHERE version = 5")
    con.close()
    done = owingest("ingest", "--replay", "snapshot", "--warehouse", str(old))
    assert done.returncode == 0, done.stderr
    [(new, updated, unchanged)] = sql(old, "SELECT items_new, items_updated, sources_not_modified "
                                           "FROM runs ORDER BY started_at DESC LIMIT 1")
    assert (new, updated) == (0, 0) and unchanged > 0     # every source answered 304
    assert sql(old, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id") == before


@pytest.mark.parametrize("name", NEW_QUERIES)
def test_each_release_query_runs_in_the_duckdb_cli(warehouse: Path, name: str) -> None:
    done = subprocess.run([str(DUCKDB_CLI), "-readonly", "-csv", str(warehouse), "-f",
                           str(REPO / "warehouse" / "queries" / f"{name}.sql")],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 2, done.stdout              # a header and at least one row


def test_evaluate_releases_prints_the_documented_json_and_holds_the_floors() -> None:
    done = owingest("evaluate-releases", "--gold", "data/releases/gold.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n"] >= 80
    assert {"lab", "total_params_b", "active_params_b", "context_tokens", "license"} <= set(result["fields"])
    for name, figures in result["fields"].items():
        assert set(figures) == {"precision", "recall", "f1", "support"}
        assert figures["f1"] >= FLOOR, (name, figures)
    linking = result["linking"]
    assert linking["items"] >= 300
    assert linking["precision"] >= FLOOR and linking["recall"] >= FLOOR, linking


def test_evaluate_releases_refuses_a_bad_gold_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"title": "Qwen3", "published": "2025-04-29"}\n{"summary": "no title"}\n')
    done = owingest("evaluate-releases", "--gold", str(bad), "--no-linking")
    assert done.returncode == 2
    assert done.stderr.strip() == f"owingest: {bad}: line 2: missing field 'title'"
