"""Relabel every stored item with a model, without refetching (``owingest reclassify``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from owingest import store
from owingest.classify.labeler import Labeler
from owingest.classify.records import ClassifyInput
from owingest.models import TOPICS, Classification
from owingest.pipeline import Clock, utc_now

__all__ = ["ReclassifyReport", "reclassify"]


@dataclass(frozen=True, slots=True)
class ReclassifyReport:
    """What a relabeling changed: per topic, items that gained or lost it; phase changes;
    items the model could not label (they keep the labels they had), with the first reason."""

    model_version: str
    items: int
    human: int
    gained: dict[str, int]
    lost: dict[str, int]
    phase_changed: int
    unclassified: int = 0
    first_error: str | None = None


def reclassify(warehouse: Path, classifier: Labeler, *, batch: int = 5000,
               clock: Clock = utc_now) -> ReclassifyReport:
    """Relabel every stored item with ``classifier``, without refetching; people's labels stay."""
    rows = store.label_rows(warehouse)
    gained = dict.fromkeys(TOPICS, 0)
    lost = dict(gained)
    changed = 0
    errors: list[str] = []
    now = clock()
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        results = classifier.label([ClassifyInput(
            title=r.title, summary=r.summary, source_kind=r.kind, source_lab=r.lab, source_tags=r.tags,
            published=r.published_at.date() if r.published_at else None) for r in chunk])
        labels = [(row, new) for row, new in zip(chunk, results, strict=True)
                  if isinstance(new, Classification)]
        errors += [new.reason for new in results if not isinstance(new, Classification)]
        for row, new in labels:
            if row.label_source == "human":
                continue
            old = set(row.topics or ())
            for topic in gained:
                gained[topic] += topic in new.topics and topic not in old
                lost[topic] += topic in old and topic not in new.topics
            changed += row.phase is not None and row.phase != new.phase
        store.write_predictions(warehouse, [(r.item_id, c) for r, c in labels], now)
    return ReclassifyReport(classifier.version or "", len(rows), sum(r.label_source == "human" for r in rows),
                            gained, lost, changed, len(errors), errors[0] if errors else None)
