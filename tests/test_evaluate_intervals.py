"""Bootstrap intervals of the evaluation figures: right arithmetic, reproducible, honest width."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from owingest.classify.evaluate import (
    HEADLINE,
    Scored,
    _headline,
    figures,
    headline_values,
    intervals,
    score,
)
from owingest.classify.keyword import KeywordModel
from owingest.classify.records import PHASES, TOPICS, ClassifyInput, LabeledRecord, load_records
from owingest.models import Classification
from tests.test_classify_cli import GOLD

TITLES = ["vLLM v0.6.0 adds FP8 kernels", "Qwen3 235B-A22B model card", "We are hiring in Paris",
          "Red-teaming open LLMs", "GGML and llama.cpp join Hugging Face", "Our new office",
          "Mixtral 8x22B released under Apache 2.0", "EU code of practice for GPAI"]


def _records(n: int, seed: int = 1) -> list[LabeledRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topics = tuple(t for t in TOPICS if rng.random() < 0.35)
        out.append(LabeledRecord(id=f"r{i}", source="example.org", url=None,
                                 input=ClassifyInput(title=f"{rng.choice(TITLES)} #{i}"),
                                 topics=topics, phase=rng.choice(PHASES)))
    return out


class Answers:
    """Gives each record the labels listed for its title; the arithmetic is then known."""

    def __init__(self, records: Sequence[LabeledRecord], labels: dict[str, tuple[tuple[str, ...], str]]):
        self.by_title = {r.input.title: labels[r.id] for r in records}

    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        out = []
        for row in rows:
            topics, phase = self.by_title[row.title]
            out.append(Classification(topics=topics, phase=phase, relevant=bool(topics),
                                      topic_probs=dict.fromkeys(TOPICS, 0.5), phase_probs=dict.fromkeys(PHASES, 0.3)))
        return out


def test_a_perfect_model_has_a_point_interval_at_one() -> None:
    records = _records(120)
    perfect = Answers(records, {r.id: (r.topics, r.phase) for r in records})
    bounds = intervals(score(perfect, records), rounds=300)
    assert bounds == dict.fromkeys(HEADLINE, (1.0, 1.0))


def test_the_interval_holds_the_figure_and_the_resampled_arithmetic_matches_scikit_learn() -> None:
    records = _records(300)
    rng = random.Random(7)
    noisy = Answers(records, {r.id: (tuple(t for t in TOPICS if (t in r.topics) != (rng.random() < 0.2)),
                                     r.phase if rng.random() < 0.8 else rng.choice(PHASES)) for r in records})
    scored = score(noisy, records)
    point = headline_values(figures(scored))
    bounds = intervals(scored)
    for name in HEADLINE:
        low, high = bounds[name]
        assert low < point[name] < high, (name, low, point[name], high)
    # the vectorized figures, on the identity resample, are scikit-learn's figures
    same = _headline(scored, np.arange(len(records))[None, :])[0]
    assert [round(float(v), 4) for v in same] == [point[name] for name in HEADLINE]


def _noisy(records: list[LabeledRecord], seed: int, flip: float) -> Answers:
    rng = random.Random(seed)
    return Answers(records, {r.id: (tuple(t for t in TOPICS if (t in r.topics) != (rng.random() < flip)),
                                    r.phase if rng.random() > flip else rng.choice(PHASES)) for r in records})


def _sklearn_headline(scored: Scored, rows: np.ndarray) -> list[float]:
    g, p = scored.gold[rows], scored.pred[rows]
    return [f1_score(g, p, average="micro", zero_division=0), f1_score(g, p, average="macro", zero_division=0),
            f1_score(g.any(axis=1), p.any(axis=1), zero_division=0),
            accuracy_score(scored.phases[rows], scored.phase_pred[rows]),
            accuracy_score(scored.phases[rows], scored.phase_undated[rows])]


def test_every_resample_is_scored_as_scikit_learn_scores_it_also_tiny_and_sparse_ones() -> None:
    # on 1 to 6 items most resamples lack some label in gold and predictions alike: F1 is then 0
    rng = np.random.default_rng(11)
    for n in range(1, 7):
        records = _records(n, seed=n)
        scored = score(_noisy(records, seed=n, flip=0.3), records)
        idx = rng.integers(0, n, size=(300, n))
        ours = _headline(scored, idx)
        theirs = np.array([_sklearn_headline(scored, rows) for rows in idx])
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_the_interval_is_the_2_5_and_97_5_percentiles_of_the_resampled_figures() -> None:
    records = _records(40, seed=4)
    scored = score(_noisy(records, seed=4, flip=0.25), records)
    idx = np.random.default_rng(99).integers(0, 40, size=(400, 40))
    expected = np.percentile([_sklearn_headline(scored, rows) for rows in idx], [2.5, 97.5], axis=0)
    got = intervals(scored, rounds=400, seed=99)
    assert got == {name: (round(float(lo), 4), round(float(hi), 4))
                   for name, lo, hi in zip(HEADLINE, expected[0], expected[1], strict=True)}
    assert intervals(scored, rounds=400, seed=100) != got


def test_more_items_give_a_narrower_interval() -> None:
    def width(n: int) -> float:
        records = _records(n, seed=3)
        rng = random.Random(5)
        model = Answers(records, {r.id: (r.topics if rng.random() < 0.75 else (), r.phase) for r in records})
        low, high = intervals(score(model, records))["relevance F1"]
        return high - low

    assert width(1600) < width(100) / 2


def test_the_keyword_baseline_gets_intervals_on_a_real_labeled_file(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD))
    scored = score(KeywordModel(), load_records([gold]))
    bounds = intervals(scored, rounds=200)
    assert set(bounds) == set(HEADLINE)
    assert all(0.0 <= low <= high <= 1.0 for low, high in bounds.values())
