"""``Labeler``: how the pipeline and ``reclassify`` label stored items, without ever failing a run.

The model is loaded on the first batch that has items, so a run where every source answered
304 never reads it. An item the model cannot label is stored *unclassified, with the reason*
(``items.label_error``) instead of being dropped or failing the run: a model file that is
missing or corrupt, an item with no text, or an error inside the model. ``reclassify`` after
the cause is fixed labels them. Text the model has not seen the like of (another language, a
very long summary) is labeled as usual: the features read the title and the summary's opening,
and the probabilities say how sure the model is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from owingest.classify.classifier import Classifier, load_classifier
from owingest.classify.records import ClassifyInput
from owingest.errors import ConfigError
from owingest.models import Classification, Unclassified

__all__ = ["Labeler"]

NO_TEXT = "no text: the title and summary are empty"


class Labeler:
    """Labels batches with the model at ``spec`` (the shipped default when None), loaded once,
    on first use; or with a ``classifier`` already loaded."""

    def __init__(self, spec: str | Path | None = None, *, classifier: Classifier | None = None) -> None:
        self._spec = spec
        self._classifier = classifier
        self._load_error: str | None = None

    @property
    def version(self) -> str | None:
        """The model version, once loaded (None before the first batch, or when it failed)."""
        return self._classifier.version if self._classifier else None

    def _model(self) -> Classifier | None:
        if self._classifier is None and self._load_error is None:
            try:
                self._classifier = load_classifier(self._spec)
            except ConfigError as err:
                self._load_error = f"model unavailable: {err}"
        return self._classifier

    def label(self, rows: Sequence[ClassifyInput]) -> list[Classification | Unclassified]:
        """One label (or the reason there is none) per row, in order."""
        out: list[Classification | Unclassified] = [Unclassified(NO_TEXT)] * len(rows)
        todo = [i for i, r in enumerate(rows) if r.title.strip() or r.summary.strip()]
        if not todo:
            return out
        classifier = self._model()
        labels: list[Classification | Unclassified]
        if classifier is None:
            labels = [Unclassified(self._load_error or "model unavailable")] * len(todo)
        else:
            labels = _isolating(classifier, [rows[i] for i in todo])
        for i, result in zip(todo, labels, strict=True):
            out[i] = result
        return out


def _isolating(classifier: Classifier, rows: Sequence[ClassifyInput]) -> list[Classification | Unclassified]:
    """Classify ``rows`` in one batch; when the batch fails, split it until the items that fail
    are found, so that one bad item costs only its own label."""
    try:
        return list(classifier.classify(rows))
    except Exception as err:  # noqa: BLE001 - any model error becomes the item's reason
        if len(rows) == 1:
            return [Unclassified(f"classifier error: {type(err).__name__}: {str(err)[:200]}")]
    half = len(rows) // 2
    return _isolating(classifier, rows[:half]) + _isolating(classifier, rows[half:])
