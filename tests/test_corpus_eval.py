"""The shipped model on the validation corpus (real items nobody here wrote).

It must beat the keyword baseline on every figure and hold the floors of issue 3: topic
micro-F1 0.80, topic macro-F1 0.75, relevance F1 0.88, phase accuracy 0.90, phase accuracy
with dates hidden 0.75."""

from __future__ import annotations

from pathlib import Path

import pytest

from owingest.classify.classifier import load_classifier
from owingest.classify.evaluate import evaluate, headline_values
from owingest.classify.records import load_records
from owingest.config import load_sources
from tests.shared import SHARED, require_shared

REPO = Path(__file__).resolve().parents[1]
FLOORS = {"topic micro-F1": 0.80, "topic macro-F1": 0.75, "relevance F1": 0.88,
          "phase accuracy": 0.90, "phase accuracy, dates hidden": 0.75}


@pytest.fixture(scope="module")
def figures() -> dict[str, dict]:
    require_shared()
    sources = {s.id: (s.kind, s.lab, s.tags) for s in load_sources(REPO / "sources.yaml").sources}
    records = load_records(sorted((SHARED / "corpus").glob("*.jsonl")), sources)
    return {name: evaluate(load_classifier(spec), records) for name, spec in (("model", None),
                                                                             ("keyword", "keyword"))}


def test_the_shipped_model_beats_the_keyword_baseline_on_every_figure(figures: dict[str, dict]) -> None:
    model, keyword = headline_values(figures["model"]), headline_values(figures["keyword"])
    assert {k: model[k] > keyword[k] for k in model} == dict.fromkeys(model, True), (model, keyword)


def test_the_floors_hold(figures: dict[str, dict]) -> None:
    model = headline_values(figures["model"])
    assert {k: model[k] >= floor for k, floor in FLOORS.items()} == dict.fromkeys(FLOORS, True), model
