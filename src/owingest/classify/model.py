"""The classifier: one scikit-learn Pipeline for topics, one for the phase, trained together.

The heads read one feature step (a ColumnTransformer over text, metadata and date),
computed once per batch: the character n-grams are most of the cost of a prediction.
Topics are multi-label: one-vs-rest logistic regression with sigmoid-calibrated
probabilities, and a per-label threshold chosen on out-of-fold predictions.
Relevance (any topic vs none) has a head of its own, trained on every record's
"any topic" and thresholded the same way, and it gates the topics: an item is
relevant exactly when it gets a topic (the topics above their thresholds, or the
one nearest its threshold when none is above), so the two never disagree. The phase
model sees the text, the source and the calendar phase of the date; it is
trained on every record twice, once with its date hidden, so that it has a
sensible answer when a page gives no date. Hyper-parameters are chosen by
cross-validation on the training data only, with fixed seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from owingest.classify.features import frame
from owingest.classify.records import PHASES, TOPICS, ClassifyInput, LabeledRecord
from owingest.errors import ConfigError
from owingest.models import Classification

__all__ = ["SEED", "TrainedModel", "fit"]

SEED = 20261130
# Cross-validation on the training data: topic F1 rises up to C = 512 and is flat beyond it
# (0.874 at 512, 0.875 at 8192); relevance peaks at 512; the phase at 16 (a grid of 4-64 picks
# 16 too, but adds 18 s to training, which must stay under a minute).
TOPIC_C = (32.0, 128.0, 512.0)
PHASE_C = (1.0, 4.0, 16.0)
FOLDS = 5
MIN_PER_SIDE = 20   # on-topic and off-topic records each, so that every fold's calibration sees both


def _hashed(**kwargs: Any) -> Pipeline:
    """Hashed n-grams + TF-IDF weighting. No vocabulary is stored, so a model file holds only
    arrays (fast to save and load with skops; a 60k-entry vocabulary took a minute to save)."""
    return Pipeline([("hash", HashingVectorizer(alternate_sign=False, norm=None, **kwargs)),
                     ("tfidf", TfidfTransformer(sublinear_tf=True))])


def _features() -> ColumnTransformer:
    """Title and summary are vectorized apart, each block normalized on its own: a long
    summary (a real feed's scene-setting first paragraph) cannot drown the title's words."""
    parts: list[tuple[str, Any, Any]] = [
        ("title_words", _hashed(ngram_range=(1, 2), strip_accents="unicode", n_features=2**17), "title"),
        ("title_chars", _hashed(analyzer="char_wb", ngram_range=(3, 5), n_features=2**17), "title"),
        ("body_words", _hashed(ngram_range=(1, 2), strip_accents="unicode", n_features=2**17), "body"),
        ("body_chars", _hashed(analyzer="char_wb", ngram_range=(3, 5), n_features=2**17), "body"),
        ("meta", _hashed(token_pattern=r"\S+", lowercase=False, n_features=2**10), "meta"),
        ("date", OneHotEncoder(handle_unknown="ignore"), ["date_phase", "date_half"]),
    ]
    return ColumnTransformer(parts)


def _logistic(c: float) -> LogisticRegression:
    """The dual formulation: far fewer records than features, so it solves the same problem
    four times faster than the primal. Weakly regularized fits need more than the default
    100 passes to converge."""
    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000,
                              random_state=SEED)


def _topic_classifier(c: float) -> OneVsRestClassifier:
    return OneVsRestClassifier(CalibratedClassifierCV(_logistic(c), method="sigmoid", cv=3, ensemble=False))


def _relevance_classifier(c: float) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(_logistic(c), method="sigmoid", cv=3, ensemble=False)


def _phase_classifier(c: float) -> OneVsRestClassifier:
    return OneVsRestClassifier(_logistic(c))


def _labels(records: Sequence[LabeledRecord]) -> np.ndarray:
    return np.array([[t in r.topics for t in TOPICS] for r in records], dtype=int)


def _best_thresholds(y: np.ndarray, probs: np.ndarray) -> tuple[list[float], float]:
    """Per column, the threshold maximizing F1 on out-of-fold probabilities; and the mean F1."""
    thresholds, scores = [], []
    grid = np.arange(0.10, 0.91, 0.025)
    for j in range(y.shape[1]):
        f1s = [f1_score(y[:, j], probs[:, j] >= t, zero_division=0) for t in grid]
        best = int(np.argmax(f1s))
        thresholds.append(round(float(grid[best]), 3))
        scores.append(f1s[best])
    return thresholds, float(np.mean(scores))


def _gated(topic_probs: np.ndarray, thresholds: Sequence[float], relevant: bool) -> tuple[str, ...]:
    """The topics of a relevant item: those above their thresholds, else the nearest one."""
    if not relevant:
        return ()
    above = tuple(t for t, p, th in zip(TOPICS, topic_probs, thresholds, strict=True) if p >= th)
    return above or (TOPICS[int(np.argmax(np.asarray(topic_probs) / np.asarray(thresholds)))],)


def _augmented(records: Sequence[LabeledRecord]) -> tuple[pd.DataFrame, np.ndarray]:
    """Every record twice, the second time with its date hidden (rows i and n + i)."""
    inputs = [r.input for r in records]
    both = pd.concat([frame(inputs), frame(inputs, hide_dates=True)], ignore_index=True)
    return both, np.array([r.phase for r in records] * 2)


_Fold = tuple[np.ndarray, dict[float, np.ndarray], dict[float, np.ndarray], dict[float, np.ndarray]]


def _fold(x: pd.DataFrame, y: np.ndarray, phases: np.ndarray, train: np.ndarray, test: np.ndarray,
          n: int) -> _Fold:
    """One fold: features fitted on the fold's training part only, every candidate C scored."""
    features = _features().fit(x.iloc[train])
    xtr, xte = features.transform(x.iloc[train]), features.transform(x.iloc[test])
    both_tr, both_te = np.r_[train, train + n], np.r_[test, test + n]
    xtr2, xte2 = features.transform(x.iloc[both_tr]), features.transform(x.iloc[both_te])
    topics = {c: _topic_classifier(c).fit(xtr, y[train]).predict_proba(xte) for c in TOPIC_C}
    relevance = {c: _relevance_classifier(c).fit(xtr, y[train].any(axis=1)).predict_proba(xte)[:, 1]
                 for c in TOPIC_C}
    phase = {c: _phase_classifier(c).fit(xtr2, phases[both_tr]).predict(xte2) for c in PHASE_C}
    return test, topics, relevance, phase


def _cross_validate(records: Sequence[LabeledRecord], n_jobs: int) -> dict[str, Any]:
    """Out-of-fold topic probabilities and phase predictions for every candidate C.
    A record and its date-hidden copy always fall in the same fold; folds run in parallel."""
    n = len(records)
    x, phases = _augmented(records)
    y = _labels(records)
    topic_probs = {c: np.zeros(y.shape) for c in TOPIC_C}
    relevance_probs = {c: np.zeros((n, 1)) for c in TOPIC_C}
    phase_pred = {c: np.empty(2 * n, dtype=object) for c in PHASE_C}
    splits = KFold(FOLDS, shuffle=True, random_state=SEED).split(np.arange(n))
    folds = Parallel(n_jobs=n_jobs)(delayed(_fold)(x, y, phases, tr, te, n) for tr, te in splits)
    for test, topics, relevance, phase in folds:
        for c in TOPIC_C:
            topic_probs[c][test] = topics[c]
            relevance_probs[c][test, 0] = relevance[c]
        for c in PHASE_C:
            phase_pred[c][np.r_[test, test + n]] = phase[c]
    return {"topic_probs": topic_probs, "relevance_probs": relevance_probs, "phase_pred": phase_pred,
            "y": y, "phases": phases}


@dataclass
class TrainedModel:
    """The shared feature step, both heads, the thresholds, and what cross-validation said."""

    features: ColumnTransformer
    topic_head: OneVsRestClassifier
    relevance_head: CalibratedClassifierCV
    phase_head: OneVsRestClassifier
    thresholds: list[float]
    relevance_threshold: float
    params: dict[str, float]
    cv_metrics: dict[str, float]

    @property
    def topic_model(self) -> Pipeline:
        """Topics as one scikit-learn Pipeline (frame columns in, label probabilities out)."""
        return Pipeline([("features", self.features), ("clf", self.topic_head)])

    @property
    def relevance_model(self) -> Pipeline:
        """Relevance (any topic) as one scikit-learn Pipeline; ``relevance_threshold`` decides."""
        return Pipeline([("features", self.features), ("clf", self.relevance_head)])

    @property
    def phase_model(self) -> Pipeline:
        """The phase as one scikit-learn Pipeline, sharing the fitted feature step."""
        return Pipeline([("features", self.features), ("clf", self.phase_head)])

    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        if not rows:
            return []
        x = self.features.transform(frame(rows))
        topic_probs = self.topic_head.predict_proba(x)
        relevant = self.relevance_head.predict_proba(x)[:, 1] >= self.relevance_threshold
        phase_probs = self.phase_head.predict_proba(x)
        phase_classes = list(self.phase_head.classes_)
        out = []
        for tp, rel, pp in zip(topic_probs, relevant, phase_probs, strict=True):
            topics = _gated(tp, self.thresholds, bool(rel))
            probs = {t: round(float(p), 4) for t, p in zip(TOPICS, tp, strict=True)}
            phases = {ph: round(float(pp[phase_classes.index(ph)]), 4) for ph in PHASES}
            out.append(Classification(topics=topics, phase=max(phases, key=lambda k: phases[k]),
                                      relevant=bool(topics), topic_probs=probs, phase_probs=phases))
        return out


def fit(records: Sequence[LabeledRecord], *, n_jobs: int = 2) -> TrainedModel:
    """Choose hyper-parameters by cross-validation, then fit the heads on all records.
    The result does not depend on ``n_jobs`` (every fold is seeded)."""
    if len(records) < 50:
        raise ConfigError(f"train: need at least 50 labeled records, got {len(records)}")
    relevant = sum(1 for r in records if r.topics)
    if min(relevant, len(records) - relevant) < MIN_PER_SIDE:
        raise ConfigError(f"train: need at least {MIN_PER_SIDE} on-topic and {MIN_PER_SIDE} off-topic "
                          f"records (the relevance head learns the difference), got {relevant} and "
                          f"{len(records) - relevant}")
    cv = _cross_validate(records, n_jobs)
    topic_scores = {c: _best_thresholds(cv["y"], cv["topic_probs"][c]) for c in TOPIC_C}
    best_tc = max(TOPIC_C, key=lambda c: (topic_scores[c][1], -c))
    thresholds, topic_f1 = topic_scores[best_tc]
    any_topic = cv["y"].any(axis=1, keepdims=True)
    rel_scores = {c: _best_thresholds(any_topic, cv["relevance_probs"][c]) for c in TOPIC_C}
    best_rc = max(TOPIC_C, key=lambda c: (rel_scores[c][1], -c))
    (rel_threshold,), rel_f1 = rel_scores[best_rc]
    n = len(records)
    phase_acc = {c: (float(np.mean(cv["phase_pred"][c][:n] == cv["phases"][:n])),
                     float(np.mean(cv["phase_pred"][c][n:] == cv["phases"][n:]))) for c in PHASE_C}
    best_pc = max(PHASE_C, key=lambda c: (sum(phase_acc[c]), -c))
    ax, ay = _augmented(records)
    features = _features().fit(ax.iloc[:n])
    x = features.transform(ax.iloc[:n])
    topic_head = _topic_classifier(best_tc).fit(x, cv["y"])
    relevance_head = _relevance_classifier(best_rc).fit(x, any_topic[:, 0])
    phase_head = _phase_classifier(best_pc).fit(features.transform(ax), ay)
    return TrainedModel(
        features=features, topic_head=topic_head, relevance_head=relevance_head, phase_head=phase_head,
        thresholds=thresholds, relevance_threshold=rel_threshold,
        params={"topic_C": best_tc, "relevance_C": best_rc, "phase_C": best_pc},
        cv_metrics={"topic_macro_f1": round(topic_f1, 4), "relevance_f1": round(rel_f1, 4),
                    "phase_accuracy": round(phase_acc[best_pc][0], 4),
                    "phase_accuracy_no_date": round(phase_acc[best_pc][1], 4)},
    )
