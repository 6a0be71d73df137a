"""The label commands as a user runs them: classify, evaluate, reclassify, label import/review."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import OWINGEST, REPO, owingest
from tests.warehouse import query as sql

GOLD = [
    {"id": "g1", "source": "vllm-releases", "url": "https://github.com/vllm-project/vllm/releases/tag/v0.8.5",
     "title": "v0.8.5", "summary": "Qwen3 and Qwen3MoE support, FP8 kernels for MoE layers.",
     "published": "2025-04-28", "topics": ["infra"], "phase": "frontier"},
    {"id": "g2", "source": "hf-qwen", "url": "https://huggingface.co/Qwen/Qwen3-8B", "title": "Qwen/Qwen3-8B",
     "summary": "text-generation · transformers · license: apache-2.0", "published": "2025-04-27",
     "topics": ["release"], "phase": "frontier"},
    {"id": "g3", "source": "example.org", "url": None, "title": "Our office moves to a new building",
     "summary": "", "published": None, "topics": [], "phase": "frontier"},
]



@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "w.duckdb"
    done = owingest("ingest", "--replay", "snapshot", "--warehouse", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_classify_prints_labels_and_probabilities() -> None:
    done = owingest("classify", "Introducing gpt-oss-120b and gpt-oss-20b", "--summary",
                    "Two open-weight reasoning models under Apache 2.0.", "--published", "2025-08-05", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"topics", "phase", "relevant", "topic_probs", "phase_probs", "model_version"}
    assert "release" in result["topics"] and result["phase"] == "frontier" and result["relevant"]


def test_classify_prints_one_line_for_the_topics_and_one_for_the_phase() -> None:
    done = owingest("classify", "vLLM v0.8.5: Qwen3 support", "--source-kind", "feed", "--published", "2025-04-29")
    assert done.returncode == 0, done.stderr
    topics, phase, model = done.stdout.splitlines()
    assert topics.startswith("topics: infra   (release 0.") and "safety 0." in topics
    assert phase.startswith("phase:  frontier   (baseline 0.") and "frontier " in phase.split("(")[1]
    assert model.startswith("model m")


def test_classify_refuses_a_bad_date_in_one_line() -> None:
    done = owingest("classify", "x", "--published", "yesterday")
    assert done.returncode == 2
    assert done.stderr.strip() == "owingest: --published: not a date (YYYY-MM-DD): 'yesterday'"


def test_evaluate_prints_the_documented_json_and_writes_a_report(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD))
    done = owingest("evaluate", "--gold", str(gold), "--json", "--report", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n"] == 3
    assert set(result["topics"]) == {"micro_f1", "macro_f1", "per_label"}
    assert set(result["topics"]["per_label"]) == {"release", "infra", "safety"}
    assert set(result["topics"]["per_label"]["infra"]) == {"precision", "recall", "f1", "support"}
    assert set(result["relevance"]) == {"precision", "recall", "f1"}
    assert set(result["phase"]) == {"accuracy", "macro_f1", "accuracy_no_date"}
    assert result["topics"]["per_label"]["release"]["support"] == 1
    names = {p.name for p in (tmp_path / "report").iterdir()}
    assert names == {"report.md", "confusion-release.png", "confusion-infra.png", "confusion-safety.png",
                     "confusion-phase.png"}
    assert (tmp_path / "report" / "confusion-phase.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| figure | value | 95% interval (bootstrap) |" in report
    assert "| relevance F1 | " in report and "## The " in report


def test_evaluate_prints_a_table_with_intervals(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD))
    done = owingest("evaluate", "--gold", str(gold))
    assert done.returncode == 0, done.stderr
    assert "95% interval" in done.stdout
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if line.count("│") == 4}
    assert {"topic micro-F1", "relevance F1", "phase accuracy, dates hidden", "safety F1"} <= set(rows)
    assert "–" in rows["topic micro-F1"] and "–" not in rows["safety F1"]


def test_evaluate_runs_the_keyword_baseline_too(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD))
    done = owingest("evaluate", "--gold", str(gold), "--model", "keyword", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n"] == 3


def test_every_ingested_item_is_labeled_with_the_shipped_model(warehouse: Path) -> None:
    [(unlabeled, versions, sources)] = sql(warehouse, "SELECT count(*) FILTER (WHERE model_version IS NULL), "
                                                      "count(DISTINCT model_version), list(DISTINCT label_source) "
                                                      "FROM items")
    assert unlabeled == 0 and versions == 1 and sources == ["model"]
    [(consistent,)] = sql(warehouse, "SELECT bool_and(relevant = (len(topics) > 0)) FROM items")
    assert consistent


def test_human_labels_override_and_survive_reclassification(warehouse: Path, tmp_path: Path) -> None:
    [(url, topics)] = sql(warehouse, "SELECT url, topics FROM items WHERE url LIKE '%gemma-3/' LIMIT 1")
    wanted = ["infra"] if topics != ["infra"] else ["safety"]
    labels = tmp_path / "mine.jsonl"
    labels.write_text(json.dumps({"id": "mine-1", "source": "x", "url": url + "?utm_source=feed",
                                  "title": "Gemma 3", "summary": "", "published": None,
                                  "topics": wanted, "phase": "frontier"}) + "\n"
                      + json.dumps({"id": "mine-2", "source": "x", "url": "https://nowhere.example/x",
                                    "title": "No such item", "summary": "", "published": None,
                                    "topics": [], "phase": "frontier"}) + "\n")
    done = owingest("label", "import", str(labels), "--by", "alice", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert "stored 1 human labels" in done.stdout and "1 records matched no item" in done.stdout
    assert sql(warehouse, f"SELECT topics, label_source FROM items WHERE url = '{url}'") == [(wanted, "human")]
    assert sql(warehouse, "SELECT labeled_by, origin FROM human_labels") == [("alice", "import")]

    done = owingest("reclassify", "--model", "keyword", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert "keyword-1" in done.stdout and "(1 kept their human labels)" in done.stdout
    assert sum(int(line.split("+")[1].split(" ")[0]) for line in done.stdout.splitlines()
               if line.strip().startswith(("release:", "infra:", "safety:"))) > 0
    assert sql(warehouse, f"SELECT topics, label_source FROM items WHERE url = '{url}'") == [(wanted, "human")]
    [(versions,)] = sql(warehouse, "SELECT list(DISTINCT model_version) FROM items")
    assert versions == ["keyword-1"]


def test_label_review_records_decisions_typed_at_the_prompt(warehouse: Path) -> None:
    # first item: "infra" then phase "scaling"; second: Enter (keep) then Enter (keep phase); then quit
    done = subprocess.run([str(OWINGEST), "label", "review", "--limit", "3", "--by", "bob",
                           "--warehouse", str(warehouse)], check=False, input="infra\nscaling\n\n\nq\n",
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "recorded 2 decisions (by bob)" in done.stdout
    rows = sql(warehouse, "SELECT topics, phase FROM human_labels WHERE labeled_by = 'bob' ORDER BY labeled_at")
    assert len(rows) == 2 and (["infra"], "scaling") in rows


def test_training_includes_the_warehouse_human_labels(warehouse: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # a small training file keeps this quick: every 8th record of the shipped data
    lines = [line for f in sorted((REPO / "data" / "training").glob("*.jsonl"))
             for line in f.read_text().splitlines()][::8]
    (data / "small.jsonl").write_text("\n".join(lines) + "\n")
    [(humans,)] = sql(warehouse, "SELECT count(*) FROM human_labels")
    done = owingest("train", "--data", str(data), "--out", str(tmp_path / "m.skops"),
                    "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert f"{len(lines) + humans} records" in done.stdout.replace("\n", " ")
    [(registered,)] = sql(warehouse, "SELECT count(*) FROM models")
    assert registered == 1
