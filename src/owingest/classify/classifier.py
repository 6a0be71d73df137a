"""``Classifier``: a model (trained, or the keyword baseline) with its version,
labeling ``ClassifyInput`` rows in one batch. What the pipeline uses."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from owingest.classify.keyword import KeywordModel
from owingest.classify.model import TrainedModel
from owingest.classify.records import ClassifyInput
from owingest.classify.registry import load_model
from owingest.models import Classification

__all__ = ["Classifier", "load_classifier"]


@dataclass(frozen=True)
class Classifier:
    """A model and its version, labeling rows in batches."""

    version: str
    model: KeywordModel | TrainedModel

    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        return self.classify(rows)

    def classify(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        return [replace(c, model_version=self.version) for c in self.model.predict(rows)]


def load_classifier(spec: str | Path | None = None) -> Classifier:
    """``None`` → the shipped default model; ``"keyword"`` → the keyword baseline; else a model file."""
    if spec == "keyword":
        keyword = KeywordModel()
        return Classifier(keyword.version, keyword)
    loaded = load_model(Path(spec) if spec is not None else None)
    return Classifier(loaded.version, loaded.model)
