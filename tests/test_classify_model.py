"""The classifier: records, determinism, model files that refuse what owingest did not write."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import skops.io as sio

from owingest.classify.features import compile_eras, era_hints, frame
from owingest.classify.keyword import KeywordModel
from owingest.classify.model import _gated, fit
from owingest.classify.records import TOPICS, ClassifyInput, load_records
from owingest.classify.registry import load_model, save_model
from owingest.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
TRAINING = sorted((REPO / "data" / "training").glob("*.jsonl"))


@pytest.fixture(scope="module")
def sample() -> list:
    records = load_records(TRAINING)
    return records[::6]  # a deterministic spread of ~1/6 of every file, enough to train quickly


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "t.jsonl:1: not valid JSON"),
    ('{"title": "", "topics": [], "phase": "baseline"}', "t.jsonl:1: field 'title': must be a non-empty string"),
    ('{"title": "x", "topics": ["news"], "phase": "baseline"}', "t.jsonl:1: field 'topics': must be a list drawn"),
    ('{"title": "x", "topics": [], "phase": "later"}', "t.jsonl:1: field 'phase': must be one of"),
    ('{"title": "x", "topics": [], "phase": "scaling", "published": "May 2024"}',
     "t.jsonl:1: field 'published': not an ISO date"),
])
def test_a_bad_record_names_file_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError) as err:
        load_records([path])
    assert str(err.value).startswith(message)


def test_records_take_kind_lab_and_tags_from_the_configured_source(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": "a", "source": "vllm-releases", "url": None, "title": "v0.6.0",
                                "summary": "", "published": "2024-09-05", "topics": ["infra"],
                                "phase": "scaling"}) + "\n")
    [record] = load_records([path], {"vllm-releases": ("feed", "vLLM", ("github-releases",))})
    assert record.input.source_kind == "feed" and record.input.source_tags == ("github-releases",)
    [unknown] = load_records([path])
    assert unknown.input.source_kind == "web"


def test_training_is_deterministic_and_the_version_follows_the_data(sample: list, tmp_path: Path) -> None:
    first = save_model(fit(sample), sample, tmp_path / "a.skops")
    second = save_model(fit(sample, n_jobs=1), sample, tmp_path / "b.skops")
    assert first.version == second.version
    rows = [r.input for r in sample[:40]]
    assert first.model.predict(rows) == second.model.predict(rows)
    other = save_model(fit(sample[1:]), sample[1:], tmp_path / "c.skops")
    assert other.version != first.version


def test_a_saved_model_loads_back_with_its_card(sample: list, tmp_path: Path) -> None:
    saved = save_model(fit(sample), sample, tmp_path / "m.skops")
    loaded = load_model(tmp_path / "m.skops")
    assert loaded.version == saved.version
    assert loaded.card["producer"] == "owingest" and loaded.card["n_train"] == len(sample)
    assert set(loaded.card) >= {"thresholds", "relevance_threshold", "topics", "phases", "sklearn_version",
                                "data_hash", "eras_hash", "params", "cv_metrics"}
    row = [ClassifyInput(title="vLLM v0.8.0 adds Gemma 3 support", source_kind="feed")]
    assert loaded.model.predict(row) == saved.model.predict(row)
    # each head is also a plain scikit-learn Pipeline over the shared feature step
    [label] = loaded.model.predict(row)
    topic_probs = loaded.model.topic_model.predict_proba(frame(row))[0]
    assert [round(float(p), 4) for p in topic_probs] == [label.topic_probs[t] for t in TOPICS]
    assert loaded.model.phase_model.predict(frame(row))[0] == label.phase


def test_the_relevance_head_gates_the_topics(sample: list) -> None:
    model = fit(sample)
    rows = [r.input for r in sample[:150]]
    relevant = model.relevance_model.predict_proba(frame(rows))[:, 1] >= model.relevance_threshold
    labels = model.predict(rows)
    assert [label.relevant for label in labels] == list(relevant)
    assert [bool(label.topics) for label in labels] == list(relevant)
    assert {False, True} <= set(relevant)


def test_training_without_enough_off_topic_records_is_refused_in_one_line(sample: list) -> None:
    on_topic = [r for r in sample if r.topics]
    with pytest.raises(ConfigError, match=r"^train: need at least 20 on-topic and 20 off-topic records .* got "
                                          rf"{len(on_topic)} and 0$"):
        fit(on_topic)
    with pytest.raises(ConfigError, match="^train: need at least 50 labeled records, got 10$"):
        fit(sample[:10])


def test_a_relevant_item_gets_its_topics_or_else_the_one_nearest_its_threshold() -> None:
    thresholds = [0.4, 0.3, 0.2]                       # release, infra, safety
    assert _gated([0.5, 0.35, 0.1], thresholds, True) == ("release", "infra")
    assert _gated([0.2, 0.27, 0.1], thresholds, True) == ("infra",)     # 0.27 / 0.3 is the nearest
    assert _gated([0.9, 0.9, 0.9], thresholds, False) == ()


def test_the_title_is_vectorized_apart_from_the_summary() -> None:
    # a long scene-setting summary must not dilute the title's features
    loaded = load_model()
    summary = "Every few months the field moves again. " * 15
    rows = [ClassifyInput(title="Welcome Gemma, Google's new open model"),
            ClassifyInput(title="Welcome Gemma, Google's new open model", summary=summary)]
    features = loaded.model.features
    x = features.transform(frame(rows)).toarray()
    for block in ("title_words", "title_chars"):
        part = x[:, features.output_indices_[block]]
        assert (part[0] == part[1]).all() and part[0].any()
    body = x[:, features.output_indices_["body_words"]]
    assert not body[0].any() and body[1].any()


def test_a_model_file_of_an_older_format_asks_for_a_retrain(sample: list, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from owingest.classify import registry

    monkeypatch.setattr(registry, "FORMAT", 2)
    save_model(fit(sample), sample, tmp_path / "old.skops")
    monkeypatch.undo()
    with pytest.raises(ConfigError, match=r"model file format 2 is not the format this owingest reads "
                                          r"\(3\): rebuild it with `owingest train`"):
        load_model(tmp_path / "old.skops")


def test_a_model_trained_with_other_era_hints_asks_for_a_retrain(sample: list, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from owingest.classify import registry

    monkeypatch.setattr(registry, "eras_hash", lambda: "0" * 16)
    save_model(fit(sample), sample, tmp_path / "m.skops")
    monkeypatch.undo()
    with pytest.raises(ConfigError, match="trained with other era hints than this owingest's eras.yaml"):
        load_model(tmp_path / "m.skops")


def test_era_hints_match_whole_words_only() -> None:
    assert era_hints("Bloomberg reports record quarter") == []
    assert era_hints("RTX A1000 workstation review") == []
    assert era_hints("BLOOMZ and Mixtral-8x7B") == ["era_baseline"]
    assert era_hints("Fine-tune Qwen3 on an A100 with QLoRA") == ["era_frontier"]


def test_a_model_file_with_foreign_types_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.skops"
    sio.dump({"card_json": "{}", "topic_model": Fraction(1, 3)}, path)
    with pytest.raises(ConfigError, match="refused: the file contains types owingest does not produce"):
        load_model(path)


def test_a_model_file_without_our_producer_mark_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.skops"
    sio.dump({"card_json": json.dumps({"producer": "someone-else"}), "topic_model": [1], "phase_model": [2]}, path)
    with pytest.raises(ConfigError, match="refused: not a model file written by owingest"):
        load_model(path)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.skops"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConfigError, match="not an owingest model file"):
        load_model(path)


def test_the_shipped_model_loads_and_labels_an_item() -> None:
    loaded = load_model()
    [p] = loaded.model.predict([ClassifyInput(title="deepseek-ai/DeepSeek-R1",
                                              summary="text-generation · transformers · license: mit",
                                              source_kind="hf_models")])
    assert p.topics == ("release",) and p.relevant
    assert set(p.topic_probs) == {"release", "infra", "safety"}
    assert abs(sum(p.phase_probs.values()) - 1) < 1e-3  # rounded to 4 places


def test_the_keyword_baseline_follows_its_rules() -> None:
    [hub, engine, undated] = KeywordModel().predict([
        ClassifyInput(title="Qwen/Qwen3-8B", source_kind="hf_models"),
        ClassifyInput(title="Quantization with GGUF in llama.cpp"),
        ClassifyInput(title="Mixtral 8x7B explained"),
    ])
    assert hub.topics == ("release",)
    assert engine.topics == ("infra",)
    assert undated.phase == "baseline"


def test_era_hints_match_any_case_and_the_data_must_be_lowercase() -> None:
    assert era_hints("MIXTRAL 8X22B and Llama 3.1 on one GPU") == ["era_scaling"]
    assert era_hints("DeepSeek-R1 distilled into Qwen") == ["era_frontier"]
    with pytest.raises(ConfigError, match=r"eras.yaml: baseline: write patterns in lowercase: 'Llama 2'"):
        compile_eras({"baseline": ["llama 1", "Llama 2"]})
    assert compile_eras({"baseline": [r"\Bopt\b"]})      # an escape is not an uppercase letter
