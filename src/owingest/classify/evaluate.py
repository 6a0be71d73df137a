"""Evaluate a model on labeled records: the figures of ``owingest evaluate``.

The records go through the model exactly as pipeline items would (title,
summary, source, published). ``accuracy_no_date`` repeats the phase prediction
with every date hidden. ``intervals`` gives bootstrap 95% intervals of the
headline figures: a corpus of a few hundred items measures them to a few points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from owingest.classify.model import SEED
from owingest.classify.records import PHASES, TOPICS, ClassifyInput, LabeledRecord
from owingest.models import Classification

__all__ = ["HEADLINE", "Predictor", "Scored", "evaluate", "figures", "headline_values", "intervals", "score",
           "write_report"]

# The five headline figures: their names, and where each sits in the evaluation object.
_HEADLINE_PATHS = {"topic micro-F1": ("topics", "micro_f1"), "topic macro-F1": ("topics", "macro_f1"),
                   "relevance F1": ("relevance", "f1"), "phase accuracy": ("phase", "accuracy"),
                   "phase accuracy, dates hidden": ("phase", "accuracy_no_date")}
HEADLINE = tuple(_HEADLINE_PATHS)
_CHUNK = 100   # resampling rounds computed at once: memory is rounds x items x labels


class Predictor(Protocol):
    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]: ...


@dataclass(frozen=True)
class Scored:
    """A model's predictions on labeled records, side by side with the gold labels."""

    records: Sequence[LabeledRecord]
    preds: list[Classification]
    gold: np.ndarray            # (n, topics) 0/1
    pred: np.ndarray            # (n, topics) 0/1
    phases: np.ndarray          # (n,) gold phase
    phase_pred: np.ndarray      # (n,) predicted phase
    phase_undated: np.ndarray   # (n,) predicted phase with the date hidden


def score(model: Predictor, records: Sequence[LabeledRecord]) -> Scored:
    preds = model.predict([r.input for r in records])
    undated = model.predict([replace(r.input, published=None) for r in records])
    return Scored(
        records=records, preds=preds,
        gold=np.array([[t in r.topics for t in TOPICS] for r in records], dtype=int).reshape(-1, len(TOPICS)),
        pred=np.array([[t in p.topics for t in TOPICS] for p in preds], dtype=int).reshape(-1, len(TOPICS)),
        phases=np.array([r.phase for r in records], dtype=object),
        phase_pred=np.array([p.phase for p in preds], dtype=object),
        phase_undated=np.array([p.phase for p in undated], dtype=object),
    )


def _r(x: float) -> float:
    return round(float(x), 4)


def _topic_metrics(gold: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    p, r, f, s = precision_recall_fscore_support(gold, pred, zero_division=0)
    return {
        "micro_f1": _r(f1_score(gold, pred, average="micro", zero_division=0)),
        "macro_f1": _r(f1_score(gold, pred, average="macro", zero_division=0)),
        "per_label": {t: {"precision": _r(p[i]), "recall": _r(r[i]), "f1": _r(f[i]), "support": int(s[i])}
                      for i, t in enumerate(TOPICS)},
    }


def figures(s: Scored) -> dict[str, Any]:
    """The evaluation object (see the README's model section for its schema)."""
    rel_gold, rel_pred = s.gold.any(axis=1), s.pred.any(axis=1)
    rp, rr, rf, _ = precision_recall_fscore_support(rel_gold, rel_pred, average="binary", zero_division=0)
    return {
        "n": len(s.records),
        "topics": _topic_metrics(s.gold, s.pred),
        "relevance": {"precision": _r(rp), "recall": _r(rr), "f1": _r(rf)},
        "phase": {
            "accuracy": _r(accuracy_score(s.phases, s.phase_pred)),
            "macro_f1": _r(f1_score(s.phases, s.phase_pred, labels=list(PHASES), average="macro",
                                    zero_division=0)),
            "accuracy_no_date": _r(accuracy_score(s.phases, s.phase_undated)),
        },
    }


def evaluate(model: Predictor, records: Sequence[LabeledRecord]) -> dict[str, Any]:
    """The evaluation object of ``model`` on ``records``."""
    return figures(score(model, records))


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 from counts, 0 where it is undefined (as scikit-learn's ``zero_division=0``)."""
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(np.shape(tp), dtype=float), where=denom > 0)


def _headline(s: Scored, idx: np.ndarray) -> np.ndarray:
    """The five headline figures (in ``HEADLINE`` order) on each row of resampled indices
    ``idx`` (rounds, n)."""
    g, p = s.gold[idx].astype(bool), s.pred[idx].astype(bool)           # (rounds, n, topics)
    tp, fp, fn = (g & p).sum(axis=1), (~g & p).sum(axis=1), (g & ~p).sum(axis=1)
    micro = _f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
    macro = _f1(tp, fp, fn).mean(axis=1)
    rg, rp = g.any(axis=2), p.any(axis=2)
    relevance = _f1((rg & rp).sum(axis=1), (~rg & rp).sum(axis=1), (rg & ~rp).sum(axis=1))
    phase = (s.phases == s.phase_pred)[idx].mean(axis=1)
    undated = (s.phases == s.phase_undated)[idx].mean(axis=1)
    return np.stack([micro, macro, relevance, phase, undated], axis=1)


def intervals(s: Scored, *, rounds: int = 2000, seed: int = SEED) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap 95% intervals of the headline figures (items resampled with
    replacement; fixed seed, so the same predictions give the same intervals)."""
    n = len(s.records)
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    done = [_headline(s, rng.integers(0, n, size=(min(_CHUNK, rounds - start), n)))
            for start in range(0, rounds, _CHUNK)]
    low, high = np.percentile(np.concatenate(done), [2.5, 97.5], axis=0)
    return {name: (_r(lo), _r(hi)) for name, lo, hi in zip(HEADLINE, low, high, strict=True)}


def headline_values(result: dict[str, Any]) -> dict[str, float]:
    """The headline figures of an evaluation object, by name."""
    return {name: result[part][key] for name, (part, key) in _HEADLINE_PATHS.items()}


def _confusion_png(path: Path, title: str, labels: Sequence[str], gold: Sequence[str], pred: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(gold, pred, labels=list(labels))
    fig, ax = plt.subplots(figsize=(4.2, 3.6), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=10)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(s: Scored, result: dict[str, Any], bounds: dict[str, tuple[float, float]], out: Path, *,
                 name: str, worst: int = 25) -> Path:
    """A Markdown report: the figures with their 95% intervals, confusion matrices (PNG) and
    the worst errors."""
    out.mkdir(parents=True, exist_ok=True)
    records, preds = s.records, s.preds
    for topic in TOPICS:
        _confusion_png(out / f"confusion-{topic}.png", f"{topic}", ["yes", "no"],
                       ["yes" if topic in r.topics else "no" for r in records],
                       ["yes" if topic in p.topics else "no" for p in preds])
    _confusion_png(out / "confusion-phase.png", "phase", PHASES, [r.phase for r in records],
                   [p.phase for p in preds])
    errors = []
    for r, p in zip(records, preds, strict=True):
        wrong = set(r.topics) ^ set(p.topics)
        cost = sum(abs(p.topic_probs[t] - (t in r.topics)) for t in wrong) + (r.phase != p.phase)
        if cost:
            errors.append((cost, r, p))
    errors.sort(key=lambda e: -e[0])
    t = result["topics"]
    lines = [f"# Evaluation of {name}", "", f"{result['n']} records.", "",
             "| figure | value | 95% interval (bootstrap) |", "|---|---:|---:|"]
    lines += [f"| {k} | {v:.3f} | {bounds[k][0]:.3f}–{bounds[k][1]:.3f} |"
              for k, v in headline_values(result).items()]
    lines += ["", "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
              for k, v in t["per_label"].items()]
    lines += ["", ("![release](confusion-release.png) ![infra](confusion-infra.png) "
                   "![safety](confusion-safety.png) ![phase](confusion-phase.png)"), "",
              f"## The {min(worst, len(errors))} worst errors", "",
              "| id | title | gold | predicted |", "|---|---|---|---|"]
    for _, r, p in errors[:worst]:
        title = r.input.title.replace("|", "\\|")[:90]
        lines.append(f"| {r.id} | {title} | {', '.join(r.topics) or '—'} / {r.phase} | "
                     f"{', '.join(p.topics) or '—'} / {p.phase} |")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
