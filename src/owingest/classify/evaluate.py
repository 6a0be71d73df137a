"""Evaluate a model on labeled records: the figures of ``owingest evaluate``.

The records go through the model exactly as pipeline items would (title,
summary, source, published). ``accuracy_no_date`` repeats the phase prediction
with every date hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from owingest.classify.records import PHASES, TOPICS, ClassifyInput, LabeledRecord
from owingest.models import Classification

__all__ = ["Predictor", "evaluate", "write_report"]


class Predictor(Protocol):
    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]: ...


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


def evaluate(model: Predictor, records: Sequence[LabeledRecord]) -> dict[str, Any]:
    """The evaluation object (see the README's model section for its schema)."""
    preds = model.predict([r.input for r in records])
    undated = model.predict([replace(r.input, published=None) for r in records])
    gold = np.array([[t in r.topics for t in TOPICS] for r in records], dtype=int)
    pred = np.array([[t in p.topics for t in TOPICS] for p in preds], dtype=int)
    rel_gold, rel_pred = gold.any(axis=1), pred.any(axis=1)
    rp, rr, rf, _ = precision_recall_fscore_support(rel_gold, rel_pred, average="binary", zero_division=0)
    phases = [r.phase for r in records]
    return {
        "n": len(records),
        "topics": _topic_metrics(gold, pred),
        "relevance": {"precision": _r(rp), "recall": _r(rr), "f1": _r(rf)},
        "phase": {
            "accuracy": _r(accuracy_score(phases, [p.phase for p in preds])),
            "macro_f1": _r(f1_score(phases, [p.phase for p in preds], labels=list(PHASES),
                                    average="macro", zero_division=0)),
            "accuracy_no_date": _r(accuracy_score(phases, [p.phase for p in undated])),
        },
    }


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


def write_report(model: Predictor, records: Sequence[LabeledRecord], result: dict[str, Any],
                 out: Path, *, name: str, worst: int = 25) -> Path:
    """A Markdown report with confusion matrices (PNG) and the worst errors."""
    out.mkdir(parents=True, exist_ok=True)
    preds = model.predict([r.input for r in records])
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
             "| figure | value |", "|---|---:|",
             f"| topic micro-F1 | {t['micro_f1']:.3f} |", f"| topic macro-F1 | {t['macro_f1']:.3f} |",
             f"| relevance F1 | {result['relevance']['f1']:.3f} |",
             f"| phase accuracy | {result['phase']['accuracy']:.3f} |",
             f"| phase accuracy, dates hidden | {result['phase']['accuracy_no_date']:.3f} |", "",
             "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
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
