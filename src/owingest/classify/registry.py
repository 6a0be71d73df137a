"""Versioned models: saved whole with skops, loaded only when owingest produced them.

A model file holds the feature step, the topic, relevance and phase heads, the
thresholds, the label sets, the scikit-learn version, the training-data and
era-hint hashes, the parameters and the metrics. Its version id is derived from
the training data, the era hints, the parameters and the library versions, so
the same data gives the same version. Loading never
unpickles arbitrary objects: skops lists every type in the file, and a file
with any type outside our allow-list, or without our producer mark, is refused.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import sklearn
import skops.io as sio

from owingest.classify.features import eras_hash
from owingest.classify.model import SEED, TrainedModel
from owingest.classify.records import PHASES, TOPICS, LabeledRecord
from owingest.errors import ConfigError

__all__ = ["DEFAULT_MODEL", "ModelFile", "data_hash", "default_model_path", "load_model", "save_model"]

PRODUCER = "owingest"
FORMAT = 3   # 2: one feature step shared by the heads; 3: title and summary apart, a relevance head
DEFAULT_MODEL = "default_model.skops"
#: skops trusts plain containers and numpy/scipy arrays by itself and lists every other type
#: a file holds; of those, an owingest model holds scikit-learn classes only.
_ALLOWED = ("sklearn.",)


@dataclass(frozen=True)
class ModelFile:
    """A loaded model and its card."""

    version: str
    model: TrainedModel
    card: dict[str, Any]


def data_hash(records: Sequence[LabeledRecord]) -> str:
    """A hash of the training records' inputs and labels, independent of file order."""
    lines = sorted(json.dumps([r.input.title, r.input.summary, r.input.source_kind, r.input.source_lab,
                               list(r.input.source_tags), str(r.input.published), list(r.topics), r.phase])
                   for r in records)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def model_version(data: str, params: dict[str, float]) -> str:
    stamp = json.dumps({"data": data, "eras": eras_hash(), "format": FORMAT, "params": params,
                        "seed": SEED, "sklearn": sklearn.__version__},
                       sort_keys=True)
    return "m" + hashlib.sha256(stamp.encode()).hexdigest()[:11]


def save_model(model: TrainedModel, records: Sequence[LabeledRecord], path: Path,
               metrics: dict[str, Any] | None = None) -> ModelFile:
    """Write ``model`` with its card to ``path`` (skops, deflate-compressed)."""
    dhash = data_hash(records)
    version = model_version(dhash, model.params)
    card = {
        "producer": PRODUCER, "format": FORMAT, "version": version, "topics": list(TOPICS),
        "phases": list(PHASES), "thresholds": model.thresholds,
        "relevance_threshold": model.relevance_threshold, "params": model.params,
        "sklearn_version": sklearn.__version__, "data_hash": dhash, "eras_hash": eras_hash(),
        "n_train": len(records),
        "cv_metrics": model.cv_metrics, "metrics": metrics or {},
    }
    bundle = {"card_json": json.dumps(card, sort_keys=True), "features": model.features,
              "topic_head": model.topic_head, "relevance_head": model.relevance_head,
              "phase_head": model.phase_head}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    sio.dump(bundle, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    tmp.replace(path)
    return ModelFile(version, model, card)


def default_model_path() -> Path:
    """The model shipped inside the package (``owingest train`` rewrites it)."""
    return Path(str(resources.files("owingest.classify") / DEFAULT_MODEL))


def load_model(path: Path | None = None) -> ModelFile:
    """Load a model file written by ``save_model`` (the shipped default when ``path`` is None)."""
    path = path or default_model_path()
    if not path.is_file():
        raise ConfigError(f"{path}: model file not found (run `owingest train`)")
    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as err:  # noqa: BLE001 - skops raises many types for a file that is not its own
        raise ConfigError(f"{path}: not an owingest model file ({type(err).__name__})") from None
    foreign = [t for t in types if not t.startswith(_ALLOWED)]
    if foreign:
        raise ConfigError(f"{path}: refused: the file contains types owingest does not produce ({foreign[0]})")
    try:
        bundle = sio.load(path, trusted=types)
    except Exception as err:  # noqa: BLE001 - a damaged member fails inside numpy, zipfile or skops
        raise ConfigError(f"{path}: damaged model file ({type(err).__name__}: {str(err)[:120]})") from None
    try:
        card = json.loads(bundle["card_json"])
        if card.get("producer") != PRODUCER:
            raise ValueError("producer")
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{path}: refused: not a model file written by owingest") from None
    if card.get("format") == FORMAT and card.get("eras_hash") != eras_hash():
        raise ConfigError(f"{path}: the model was trained with other era hints than this owingest's "
                          f"eras.yaml: rebuild it with `owingest train`")
    if card.get("format") != FORMAT:
        raise ConfigError(f"{path}: model file format {card.get('format')} is not the format this "
                          f"owingest reads ({FORMAT}): rebuild it with `owingest train`")
    try:
        model = TrainedModel(features=bundle["features"], topic_head=bundle["topic_head"],
                             relevance_head=bundle["relevance_head"], phase_head=bundle["phase_head"],
                             thresholds=list(card["thresholds"]),
                             relevance_threshold=float(card["relevance_threshold"]),
                             params=card["params"], cv_metrics=card["cv_metrics"])
    except (KeyError, TypeError):
        raise ConfigError(f"{path}: refused: not a model file written by owingest") from None
    return ModelFile(card["version"], model, card)
