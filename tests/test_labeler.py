"""The classifier never costs an item or a run: what cannot be labeled is stored unclassified,
with the reason, and labeled later by ``reclassify``; the model loads only when there are items."""

from __future__ import annotations

import asyncio
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from owingest.classify.classifier import Classifier, load_classifier
from owingest.classify.labeler import NO_TEXT, Labeler
from owingest.classify.records import ClassifyInput
from owingest.classify.registry import default_model_path
from owingest.config import load_sources
from owingest.models import Classification, Unclassified
from owingest.pipeline import run_ingest
from owingest.relabel import reclassify
from tests.test_cli import REPO
from tests.warehouse import query as sql

SOURCES = ["vllm-releases", "huggingface-blog"]


class _FailsOn:
    """A model that raises on any batch holding a title with ``marker`` (a model bug)."""

    def __init__(self, real: Classifier, marker: str) -> None:
        self.real, self.marker = real, marker

    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        if any(self.marker in r.title for r in rows):
            raise ValueError("boom inside the model")
        return self.real.model.predict(rows)


def _ingest(warehouse: Path, labeler: Labeler) -> None:
    config = load_sources(REPO / "sources.yaml")
    asyncio.run(run_ingest(config, warehouse, only=SOURCES, replay=REPO / "snapshot", classifier=labeler))


def test_a_corrupt_model_stores_every_item_unclassified_with_the_reason(tmp_path: Path) -> None:
    corrupt = tmp_path / "model.skops"
    corrupt.write_bytes(default_model_path().read_bytes()[:5000])   # a truncated download
    warehouse = tmp_path / "w.duckdb"
    _ingest(warehouse, Labeler(corrupt))
    rows = sql(warehouse, "SELECT count(*), count(topics), count(model_version), min(label_error), "
                          "count(DISTINCT label_error) FROM items")
    [(items, labeled, versions, reason, reasons)] = rows
    assert items > 20 and labeled == versions == 0 and reasons == 1
    assert reason.startswith(f"model unavailable: {corrupt}: not an owingest model file")

    # once the model is fixed, reclassify labels them and clears the reason
    report = reclassify(warehouse, Labeler(classifier=load_classifier()))
    assert report.items == items and report.unclassified == 0
    [(labeled, errors)] = sql(warehouse, "SELECT count(model_version), count(label_error) FROM items")
    assert (labeled, errors) == (items, 0)


def test_one_item_the_model_chokes_on_costs_only_its_own_label(tmp_path: Path) -> None:
    real = load_classifier()
    titles = [f"vLLM v0.{i}.0 adds FP8 KV cache" for i in range(9)] + ["POISON pill"]
    rows = [ClassifyInput(title=t) for t in titles]
    labels = Labeler(classifier=Classifier(real.version, _FailsOn(real, "POISON"))).label(rows)  # type: ignore[arg-type]
    assert all(isinstance(c, Classification) for c in labels[:9])
    assert labels[9] == Unclassified("classifier error: ValueError: boom inside the model")
    assert [c.topics for c in labels[:9]] == [c.topics for c in real.classify(rows[:9])]


def test_items_without_text_are_unclassified_and_odd_text_is_labeled() -> None:
    odd = [ClassifyInput(title="Qwen3 发布：开源权重模型，支持 128K 上下文"),           # another script
           ClassifyInput(title="x", summary="weights " * 200_000),               # 1.6 MB of summary
           ClassifyInput(title="\x00\x1b[31m\ufffd\ufffd garbled \udcff bytes"),  # control, replacement, lone surrogate
           ClassifyInput(title="", summary="Mistral releases Magistral under Apache 2.0")]
    labeler = Labeler()
    out = labeler.label([ClassifyInput(title="  ", summary="\n"), *odd])
    assert out[0] == Unclassified(NO_TEXT)
    assert all(isinstance(c, Classification) and c.model_version == labeler.version for c in out[1:])


def test_the_model_is_read_on_the_first_batch_with_items_not_before(tmp_path: Path) -> None:
    path = tmp_path / "later.skops"               # does not exist when the run starts
    labeler = Labeler(path)
    assert labeler.label([]) == [] and labeler.label([ClassifyInput(title="")]) == [Unclassified(NO_TEXT)]
    shutil.copyfile(default_model_path(), path)   # arrives before the first item
    [label] = labeler.label([ClassifyInput(title="llama.cpp b4521: Vulkan speedups")])
    assert isinstance(label, Classification) and labeler.version == load_classifier().version


@pytest.mark.parametrize("spec", ["missing.skops", "empty.skops"])
def test_a_model_that_cannot_be_read_gives_the_reason_not_an_exception(tmp_path: Path, spec: str) -> None:
    (tmp_path / "empty.skops").write_bytes(b"")
    [label] = Labeler(tmp_path / spec).label([ClassifyInput(title="Gemma 3 released")])
    assert isinstance(label, Unclassified) and label.reason.startswith("model unavailable: ")
    assert str(tmp_path / spec) in label.reason


def test_a_model_file_with_a_damaged_member_gives_the_reason_not_an_exception(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.skops"
    with zipfile.ZipFile(default_model_path()) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".npy"):
                data = data[:20]                # one array cut short, the zip itself intact
            dst.writestr(info, data)
    [label] = Labeler(damaged).label([ClassifyInput(title="Gemma 3 released")])
    assert isinstance(label, Unclassified)
    assert label.reason.startswith(f"model unavailable: {damaged}: damaged model file (")
