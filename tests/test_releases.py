"""Release events on small hand-built warehouses (real DuckDB files): roles, splitting a family
into releases, derivatives through base_models, conflicts kept visible, each field traced to
the item that states it, and a rebuild that is whole and deterministic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from owingest.store import connect
from owingest.store.releases import rebuild_releases
from tests.warehouse import query as sql

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SOURCES = [("qwen-blog", "feed", "Qwen", ["blog", "lab"]),
           ("hf-qwen", "hf_models", "Qwen", ["hub"]),
           ("hf-unsloth", "hf_models", "Unsloth", ["hub"]),
           ("vllm-releases", "feed", "vLLM", ["github-releases", "engine"]),
           ("llama-cpp-releases", "feed", "ggml", ["github-releases", "engine"]),
           ("news", "feed", "Some News", ["news"])]


def _item(item_id: str, source: str, title: str, day: str | None, family: str, **facts: Any) -> dict[str, Any]:
    kind = next(k for s, k, _, _ in SOURCES if s == source)
    meta = {"repo_id": title, "base_models": [{"repo": b, "relation": "finetune"}
                                              for b in facts.pop("bases", [])]} if kind == "hf_models" else {}
    return {"item_id": item_id, "source": source, "kind": kind, "title": title, "day": day,
            "url": f"https://example.org/{item_id}", "meta": meta, "family": family,
            "lab": facts.pop("lab", "alibaba"), "facts": facts}


def _build(path: Path, items: list[dict[str, Any]]) -> None:
    with connect(path) as con:
        con.execute("BEGIN")
        for sid, kind, lab, tags in SOURCES:
            con.execute("INSERT INTO sources (source_id, kind, url, name, lab, tags, enabled) "
                        "VALUES (?, ?, ?, ?, ?, ?, true) ON CONFLICT DO NOTHING",
                        [sid, kind, f"https://example.org/{sid}", sid, lab, tags])
        con.execute("DELETE FROM item_facts")
        con.execute("DELETE FROM items")
        for it in items:
            f = it["facts"]
            con.execute("INSERT INTO items (item_id, source_id, sources, kind, url, title, summary, "
                        "published_at, meta, first_seen_at, updated_at, content_hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
                        [it["item_id"], it["source"], [it["source"]], it["kind"], it["url"], it["title"],
                         it["day"], json.dumps(it["meta"]), NOW, NOW, it["item_id"]])
            con.execute("INSERT INTO item_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [it["item_id"], it["lab"], it["family"], f.get("models", []), f.get("total"),
                         f.get("active"), f.get("context"), f.get("license"), f.get("weights", "open"),
                         f.get("modalities", ["text"]), f.get("reasoning"), NOW])
        rebuild_releases(con, NOW)
        con.execute("COMMIT")


def _roles(path: Path) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for rid, item_id, role in sql(path, "SELECT release_id, item_id, role FROM release_sources"):
        found.setdefault(rid, {})[item_id] = role
    return found


QWEN3 = [
    _item("pre", "llama-cpp-releases", "b5092", "2025-04-09", "Qwen3"),
    _item("w235", "hf-qwen", "Qwen/Qwen3-235B-A22B", "2025-04-27", "Qwen3", total=235.0, active=22.0,
          license="apache-2.0", models=["Qwen3-235B-A22B"]),
    _item("w8", "hf-qwen", "Qwen/Qwen3-8B", "2025-04-27", "Qwen3", total=8.0, license="apache-2.0"),
    _item("post", "qwen-blog", "Qwen3: think deeper, act faster", "2025-04-28", "Qwen3", total=235.0,
          active=22.0, context=131072, license="apache-2.0", reasoning=True),
    _item("vllm", "vllm-releases", "v0.8.5", "2025-04-28", "Qwen3"),
    _item("gguf", "hf-unsloth", "unsloth/Qwen3-8B-GGUF", "2025-04-29", "Qwen3", total=8.0,
          bases=["Qwen/Qwen3-8B"]),
    _item("news", "news", "Alibaba's Qwen3 takes on DeepSeek-R1", "2025-04-30", "Qwen3",
          license="mit", total=235.0),
]


def test_the_items_of_one_release_are_one_row_with_their_roles(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, QWEN3)
    assert _roles(path) == {"qwen3@2025-04-27": {
        "pre": "engine-support", "w235": "weights", "w8": "weights", "post": "announcement",
        "vllm": "engine-support", "gguf": "derivative", "news": "coverage"}}
    [row] = sql(path, "SELECT lab, family, total_params_b, active_params_b, context_tokens, license, "
                      "reasoning, n_sources, first_item_id, announced_at::DATE::VARCHAR FROM releases")
    assert row == ("alibaba", "Qwen3", 235.0, 22.0, 131072, "apache-2.0", True, 7, "w235", "2025-04-27")


def test_every_shown_field_names_the_item_that_states_it(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, QWEN3)
    chosen = {(f, v): i for f, v, i in sql(path, "SELECT field, value, item_id FROM release_field_values "
                                                  "WHERE chosen AND field IN ('total_params_b', "
                                                  "'context_tokens', 'license')")}
    assert chosen == {("total_params_b", "235.0"): "post", ("context_tokens", "131072"): "post",
                      ("license", '"apache-2.0"'): "post"}
    derived = sql(path, "SELECT count(*) FROM release_field_values WHERE item_id = 'gguf'")
    assert derived == [(0,)]                 # a derivative states nothing about its base release


def test_disagreeing_sources_stay_visible_as_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, QWEN3)
    rows = sql(path, "SELECT field, n_values, \"values\", chosen_value, "
                     "list(s.item_id ORDER BY s.item_id) FROM release_conflicts, unnest(stated_by) AS t(s) "
                     "GROUP BY ALL")
    assert rows == [("license", 2, ['"apache-2.0"', '"mit"'], '"apache-2.0"', ["news", "post", "w235", "w8"])]
    assert sql(path, "SELECT n_conflicts FROM releases") == [(1,)]


def test_a_family_released_twice_is_two_releases_and_later_items_join_the_latest(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, [
        *QWEN3[1:4],
        _item("w2507", "hf-qwen", "Qwen/Qwen3-235B-A22B-Instruct-2507", "2025-07-21", "Qwen3", total=235.0),
        _item("t2507", "hf-qwen", "Qwen/Qwen3-235B-A22B-Thinking-2507", "2025-07-25", "Qwen3", total=235.0),
        _item("late", "vllm-releases", "v0.10.0", "2025-08-01", "Qwen3"),
    ])
    assert _roles(path) == {
        "qwen3@2025-04-27": {"w235": "weights", "w8": "weights", "post": "announcement"},
        "qwen3@2025-07-21": {"w2507": "weights", "t2507": "weights", "late": "engine-support"}}


def test_a_repository_built_on_another_release_is_also_its_derivative(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, [*QWEN3[1:4], _item("qwq", "hf-qwen", "Qwen/QwQ-32B", "2025-06-01", "QwQ", total=32.0,
                                     bases=["Qwen/Qwen3-8B"])])
    roles = _roles(path)
    assert roles["qwq@2025-06-01"] == {"qwq": "weights"}
    assert roles["qwen3@2025-04-27"]["qwq"] == "derivative"


def test_the_tables_are_rebuilt_whole_and_the_same_each_time(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, QWEN3)
    first = sql(path, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id")
    values = sql(path, "SELECT * FROM release_field_values ORDER BY ALL")
    _build(path, QWEN3)
    assert sql(path, "SELECT * EXCLUDE (built_at) FROM releases ORDER BY release_id") == first
    assert sql(path, "SELECT * FROM release_field_values ORDER BY ALL") == values
    _build(path, [])
    assert sql(path, "SELECT (SELECT count(*) FROM releases) + (SELECT count(*) FROM release_sources) "
                     "+ (SELECT count(*) FROM release_field_values)") == [(0,)]


@pytest.mark.parametrize("column", ["release_id", "lab", "family", "models", "announced_at", "total_params_b",
                                    "active_params_b", "context_tokens", "license", "open_weights",
                                    "modalities", "reasoning", "n_sources", "first_source_url"])
def test_the_releases_table_has_the_documented_columns(tmp_path: Path, column: str) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, [])
    names = [r[0] for r in sql(path, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'releases'")]
    assert column in names
