"""``owingest train``: training files + the warehouse's human labels → a saved, registered model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from owingest import store
from owingest.classify.model import fit
from owingest.classify.records import ClassifyInput, LabeledRecord, load_records
from owingest.classify.registry import ModelFile, default_model_path, save_model

__all__ = ["human_records", "train_and_save"]


def human_records(warehouse: Path) -> list[LabeledRecord]:
    """The warehouse's human-labeled items as training records."""
    found = []
    for row, topics, phase in store.human_labels(warehouse):
        found.append(LabeledRecord(
            id=row.item_id, source=row.kind, url=row.url, topics=topics, phase=phase,
            input=ClassifyInput(title=row.title, summary=row.summary, source_kind=row.kind,
                                source_lab=row.lab, source_tags=row.tags,
                                published=row.published_at.date() if row.published_at else None)))
    return found


def train_and_save(files: Sequence[Path], sources: Mapping[str, tuple[str, str | None, tuple[str, ...]]],
                   warehouse: Path | None, out: Path | None, *, now: datetime) -> ModelFile:
    """Fit on ``files`` (+ human labels when a warehouse is given), save, register."""
    records = load_records(files, sources)
    if warehouse is not None:
        records += human_records(warehouse)
    saved = save_model(fit(records), records, out or default_model_path())
    if warehouse is not None:
        store.register_model(warehouse, saved.card, now)
    return saved
