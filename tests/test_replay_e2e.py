"""The quickstart's main job, end to end on the bundled snapshot: the real CLI, the real
replay transport, a real DuckDB file, and the example queries in the real duckdb CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import REPO, owingest
from tests.warehouse import query as sql

QUERIES = sorted((REPO / "warehouse" / "queries").glob("*.sql"))
DUCKDB_CLI = Path(sys.executable).with_name("duckdb")



@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "owingest.duckdb"
    done = owingest("ingest", "--replay", "snapshot", "--warehouse", str(path))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return path


def test_the_first_run_fills_the_warehouse_from_all_three_kinds(warehouse: Path) -> None:
    [(items,)] = sql(warehouse, "SELECT count(*) FROM items")
    assert items >= 300
    kinds = dict(sql(warehouse, "SELECT kind, count(DISTINCT source_id) FROM items GROUP BY kind"))
    assert set(kinds) == {"feed", "hf_models", "html"}
    assert sum(kinds.values()) >= 20
    [(sources, fetches)] = sql(warehouse, "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM fetches)")
    assert sources == fetches == 40


def test_broken_documents_are_recorded_and_do_not_stop_the_run(warehouse: Path) -> None:
    failed = dict(sql(warehouse, "SELECT source_id, last_error FROM sources WHERE consecutive_failures > 0"))
    assert failed == {
        "google-research-blog": "parse: not a feed: the server sent an HTML page (text/html)",
        "hf-ibm-granite": failed["hf-ibm-granite"],
    }
    assert failed["hf-ibm-granite"].startswith("parse: Hub listing is not valid JSON")
    [(problems,)] = sql(warehouse, "SELECT list(DISTINCT source_id ORDER BY source_id) FROM "
                                   "(SELECT source_id, unnest(problems) AS p FROM fetches) WHERE p LIKE 'ill-formed%'")
    assert problems == ["ai2-blog", "peft-releases"]


def test_missing_dates_stay_missing_and_none_is_now(warehouse: Path) -> None:
    [(undated, recent)] = sql(warehouse, "SELECT count(*) FILTER (WHERE published_at IS NULL), "
                                         "count(*) FILTER (WHERE published_at > now() - INTERVAL 1 DAY) FROM items")
    assert undated >= 5 and recent == 0
    origins = {r[0] for r in sql(warehouse, "SELECT DISTINCT published_origin FROM items WHERE kind = 'html'")}
    assert {"listing:text", "meta:article:published_time"} <= origins


def test_stories_carried_by_two_sources_are_one_item(warehouse: Path) -> None:
    rows = dict(sql(warehouse, "SELECT url, sources FROM items WHERE len(sources) > 1"))
    assert rows["https://blog.google/technology/developers/gemma-3/"] == ["deepmind-blog", "google-developers-blog"]
    gemma4 = "https://deepmind.google/blog/gemma-4-byte-for-byte-the-most-capable-open-models/"
    assert sorted(rows[gemma4]) == ["deepmind-blog", "google-developers-blog"]
    assert len(rows) >= 7


def test_paginated_hub_listings_are_read_whole_without_duplicates(warehouse: Path) -> None:
    [(seen, stored)] = sql(warehouse, "SELECT items_seen, items_new FROM fetches WHERE source_id = 'hf-deepseek-ai'")
    assert (seen, stored) == (17, 15)
    [(pages,)] = sql(warehouse, "SELECT count(*) FROM documents WHERE source_id = 'hf-deepseek-ai'")
    assert pages == 2


def test_github_prereleases_and_nightlies_are_flagged(warehouse: Path) -> None:
    flags = dict(sql(warehouse, "SELECT meta->>'$.tag', flags FROM items WHERE meta->>'$.repo' IS NOT NULL"))
    assert flags["v1.0.0rc3"] == ["prerelease"]
    assert all(f == ["nightly"] for tag, f in flags.items() if tag.startswith("b") and tag[1:].isdigit())


def test_release_facts_are_stored_for_items_that_name_a_model(warehouse: Path) -> None:
    facts = dict(sql(warehouse, "SELECT i.url, [f.family, f.license, f.open_weights] FROM item_facts f "
                                "JOIN items i USING (item_id) WHERE i.url LIKE 'https://huggingface.co/openai/gpt-oss%'"))
    assert facts["https://huggingface.co/openai/gpt-oss-120b"] == ["gpt-oss", "apache-2.0", "open"]
    [(with_facts, hub, hub_with_facts)] = sql(warehouse, """
        SELECT count(f.item_id), count(*) FILTER (WHERE i.kind = 'hf_models'),
               count(f.item_id) FILTER (WHERE i.kind = 'hf_models')
        FROM items i LEFT JOIN item_facts f USING (item_id)""")
    assert hub_with_facts == hub and with_facts > hub


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_every_example_query_runs_in_the_duckdb_cli(warehouse: Path, query: Path) -> None:
    done = subprocess.run([str(DUCKDB_CLI), "-readonly", str(warehouse), "-f", str(query)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr
    assert "│" in done.stdout  # a result table was printed


def test_the_duckdb_cli_reads_the_warehouse(warehouse: Path) -> None:
    done = subprocess.run([str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(warehouse),
                           "-c", "SELECT count(*) FROM items"], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == sql(warehouse, "SELECT count(*) FROM items")[0][0]


def test_a_second_run_adds_nothing_and_every_source_is_not_modified_or_backing_off(warehouse: Path) -> None:
    before = sql(warehouse, "SELECT * FROM items ORDER BY item_id")
    done = owingest("ingest", "--replay", "snapshot", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    after = sql(warehouse, "SELECT * FROM items ORDER BY item_id")
    assert after == before
    last = sql(warehouse, "SELECT source_id, not_modified, items_new, items_updated, error FROM fetches "
                          "WHERE run_id = (SELECT max(run_id) FROM runs)")
    broken = {"google-research-blog", "hf-ibm-granite"}
    assert len(last) == 38 and not broken & {row[0] for row in last}
    assert all(nm and new == 0 and upd == 0 and err is None for _, nm, new, upd, err in last)
    assert "hf-ibm-granite: failing, backing off until" in done.stdout.replace("\n", " ")
    health = dict(sql(warehouse, "SELECT source_id, health FROM source_health WHERE source_id IN "
                                 "('google-research-blog', 'hf-ibm-granite')"))
    assert health == dict.fromkeys(broken, "backing off")


def test_naming_a_backing_off_source_tries_it_now(warehouse: Path) -> None:
    done = owingest("ingest", "--replay", "snapshot", "--only", "hf-ibm-granite", "--warehouse", str(warehouse))
    assert done.returncode == 1  # it was tried, and failed again
    [(failures, later)] = sql(warehouse, "SELECT consecutive_failures, next_attempt_at > now() + INTERVAL 20 MINUTE "
                                         "FROM sources WHERE source_id = 'hf-ibm-granite'")
    assert failures == 2 and later


def test_reparse_rebuilds_the_same_items_without_the_network(warehouse: Path) -> None:
    before = sql(warehouse, "SELECT item_id, content_hash FROM items ORDER BY item_id")
    done = owingest("reparse", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert "0 new items, 0 updated." in done.stdout
    assert sql(warehouse, "SELECT item_id, content_hash FROM items ORDER BY item_id") == before
