"""The training data: valid, decontaminated from the validation corpus, and as the datasheet says."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from owingest.classify.records import load_records
from tests.shared import SHARED, require_shared

REPO = Path(__file__).resolve().parents[1]
FILES = sorted((REPO / "data" / "training").glob("*.jsonl"))


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _rows() -> list[dict]:
    return [json.loads(line) for f in FILES for line in f.read_text(encoding="utf-8").splitlines()]


def test_every_record_is_valid_and_ids_are_unique() -> None:
    records = load_records(FILES)
    assert len(records) >= 1000
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))


def test_at_least_thirty_percent_is_off_topic() -> None:
    rows = _rows()
    assert sum(1 for r in rows if not r["topics"]) / len(rows) >= 0.30


def test_no_training_title_is_a_near_copy_of_a_validation_title() -> None:
    require_shared()
    corpus = [_norm(json.loads(line)["title"]) for f in sorted((SHARED / "corpus").glob("*.jsonl"))
              for line in f.read_text(encoding="utf-8").splitlines()]
    close = [r["id"] for r in _rows() if difflib.get_close_matches(_norm(r["title"]), corpus, n=1, cutoff=0.7)]
    assert close == []


def test_the_datasheet_diversity_figure_holds() -> None:
    grams = []
    for r in _rows():
        words = re.findall(r"\w+", f"{r['title']} {r['summary']}".lower())
        grams += [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    assert len(set(grams)) / len(grams) >= 0.85
