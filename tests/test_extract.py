"""Release-fact extraction: realistic titles and summaries (facts from the public record),
Hub repositories, closed models, off-topic items, every item of the bundled snapshot, and
the ``extract`` command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from owingest.cli.extract import register
from owingest.config import HtmlSource, load_sources
from owingest.errors import PermanentError
from owingest.extract import ReleaseFacts, extract_facts
from owingest.extract.rules import _matches, gazetteer, lowered
from owingest.fetch.replay import load_snapshot
from owingest.models import Document, Item
from owingest.normalize import canonical_url, normalize_entry
from owingest.parse import parse_article, parse_document

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 30, tzinfo=UTC)
GOLD = REPO / "data" / "releases" / "gold.jsonl"
KEYS = {"lab", "family", "models", "total_params_b", "active_params_b", "context_tokens", "license",
        "open_weights", "modalities", "reasoning"}


def text(title: str, summary: str = "", **expected: Any) -> Any:
    return pytest.param(title, summary, {}, expected, id=title[:60])


def hub(repo: str, license_: str | None, pipeline: str | None, *bases: str, **expected: Any) -> Any:
    meta = {"repo_id": repo, "license": license_, "pipeline_tag": pipeline,
            "base_models": [{"repo": b, "relation": "finetune"} for b in bases]}
    return pytest.param(repo, "", {"source_kind": "hf_models", "meta": meta}, expected, id=repo)


CASES = [
    # ---- mixture-of-experts forms
    text("DeepSeek-V3: 671B total / 37B active", "An MoE language model with a 128K context window.",
         lab="deepseek", family="DeepSeek-V3", total_params_b=671, active_params_b=37, context_tokens=131072),
    text("Qwen3-235B-A22B is our new flagship", "Released under Apache 2.0 with hybrid thinking.",
         lab="alibaba", family="Qwen3", models=["Qwen3-235B-A22B"], total_params_b=235, active_params_b=22,
         license="apache-2.0", open_weights="open", reasoning=True),
    text("Mixtral 8x22B: cheaper, better, faster, stronger",
         "A sparse mixture-of-experts model under Apache 2.0 with a 64K tokens context window.",
         family="Mixtral 8x22B", total_params_b=141, active_params_b=39, context_tokens=65536,
         license="apache-2.0"),
    text("Mixtral of experts", "Mixtral 8x7B has 46.7B total parameters but only uses 12.9B parameters "
         "per token, and is licensed under Apache 2.0.", family="Mixtral 8x7B", total_params_b=46.7,
         active_params_b=12.9),
    text("Qwen3-Coder-480B-A35B-Instruct", "256K native, 1M via extrapolation.", family="Qwen3-Coder",
         total_params_b=480, active_params_b=35, context_tokens=262144, reasoning=False),
    text("Phi-3.5 adds a 16x3.8B mixture of experts", "", lab="microsoft", total_params_b=None,
         active_params_b=None),
    text("Phi-3.5 adds a 16x3.8B mixture of experts", "It activates 6.6B parameters per token.",
         total_params_b=None, active_params_b=6.6),
    text("DBRX: a new state-of-the-art open LLM", "A fine-grained mixture of experts with 16 experts, "
         "under the Databricks Open Model License.", lab="databricks", total_params_b=132,
         active_params_b=36, license="databricks-open-model", open_weights="open"),
    text("Qwen2: five sizes", "0.5B, 1.5B, 7B, 57B-A14B and 72B; the 7B and 72B instruct models "
         "handle 128K context.", total_params_b=72, active_params_b=None, context_tokens=131072),
    text("Llama 4 Scout and Llama 4 Maverick", "Scout (17B active parameters, 16 experts, 109B total) "
         "supports a 10M-token context; Maverick has 17B active and 400B total.", family="Llama 4",
         models=["Llama 4 Scout", "Llama 4 Maverick"], total_params_b=400, active_params_b=17,
         context_tokens=10485760, license="llama4-community"),
    text("Qwen1.5-MoE-A2.7B", "It has 14.3B parameters in total but activates only 2.7B per token.",
         total_params_b=14.3, active_params_b=2.7),
    text("Kimi K2: open agentic intelligence", "A mixture of experts with 1T total parameters and 32B "
         "activated, under a modified MIT license.", lab="moonshot", total_params_b=1000,
         active_params_b=32, license="modified-mit"),
    text("gpt-oss-120b and gpt-oss-20b", "About 117B parameters with 5.1B active, and 21B with 3.6B "
         "active, under Apache 2.0.", lab="openai", total_params_b=117, active_params_b=5.1,
         license="apache-2.0", open_weights="open", reasoning=True),
    # ---- dense sizes and context forms
    text("Llama 3.1 405B: our first frontier-level open model", "With a 128K context length.",
         lab="meta", family="Llama 3.1", total_params_b=405, active_params_b=None, context_tokens=131072,
         license="llama3.1-community"),
    text("Llama 2 on the Hub: 7B, 13B and 70B", "A 4K context window.", total_params_b=70,
         context_tokens=4096, license="llama2-community", open_weights="open"),
    text("Qwen2.5-Math-1.5B-Instruct", "Released under Apache 2.0.", family="Qwen2.5-Math",
         total_params_b=1.5, license="apache-2.0"),
    text("gpt-oss-20b runs on a laptop with 16 GB of memory", "", total_params_b=21, active_params_b=3.6),
    text("Qwen2.5-1M: long-context models", "Qwen2.5-7B-Instruct-1M and Qwen2.5-14B-Instruct-1M handle "
         "1M tokens.", family="Qwen2.5", total_params_b=14, context_tokens=1048576),
    text("Phi-3-mini: a 3.8B model with a 128K context option", "", lab="microsoft", family="Phi-3",
         total_params_b=3.8, context_tokens=131072, license="mit"),
    text("Falcon 180B", "180 billion parameters trained on 3.5 trillion tokens.", lab="tii",
         total_params_b=180),
    text("Grok-1 open release", "The 314B-parameter mixture-of-experts base model, weights under "
         "Apache 2.0.", lab="xai", total_params_b=314, license="apache-2.0", open_weights="open"),
    text("Gemma 3 270M: a compact model for fine-tuning", "", family="Gemma 3", total_params_b=0.27,
         license="gemma"),
    text("Gemma 2 is here in 9B and 27B", "", family="Gemma 2", total_params_b=27, license="gemma"),
    # ---- licenses, weights, modalities, reasoning
    text("Mistral Large 2", "A 123B-parameter model with a 128k window; weights are available for "
         "research under the Mistral Research License.", total_params_b=123, context_tokens=131072,
         license="mistral-research", open_weights="restricted"),
    text("Command R+: a scalable LLM built for business", "104B parameters, 128K context, weights for "
         "research under CC-BY-NC 4.0.", lab="cohere", total_params_b=104, license="cc-by-nc-4.0",
         open_weights="restricted"),
    text("Orca 2: teaching small models how to reason", "7B and 13B sizes; weights are public for "
         "research.", lab="microsoft", license="research-only", open_weights="restricted"),
    text("Nemotron-4 340B", "Released under the NVIDIA Open Model License.", lab="nvidia",
         total_params_b=340, license="nvidia-open-model", open_weights="open"),
    text("Whisper: robust speech recognition", "We are open-sourcing the models under the MIT license.",
         lab="openai", license="mit", open_weights="open", modalities=["text", "audio"]),
    text("Voxtral: open speech understanding models", "A 24B model and a 3B Mini, under Apache 2.0.",
         lab="mistral", total_params_b=24, modalities=["text", "audio"], license="apache-2.0"),
    text("Qwen2.5-VL: open vision-language models at 3B, 7B and 72B", "", family="Qwen2.5-VL",
         total_params_b=72, modalities=["text", "vision"]),
    text("Llama 3.2: vision models at 11B and 90B", "", total_params_b=90, modalities=["text", "vision"],
         license="llama3.2-community"),
    text("QwQ-32B: reinforcement learning at scale", "On par with DeepSeek-R1, which has 671B parameters "
         "(37B activated).", family="QwQ", total_params_b=32, active_params_b=None, reasoning=True),
    text("DeepSeek-R1", "Matches OpenAI o1 on math, code and reasoning, MIT licensed.", lab="deepseek",
         total_params_b=671, active_params_b=37, license="mit", reasoning=True),
    text("Magistral: our first reasoning models", "Magistral Small, a 24B open-weight model under "
         "Apache 2.0.", lab="mistral", total_params_b=24, reasoning=True, open_weights="open"),
    text("OLMo 2 32B: a fully open model", "", lab="ai2", total_params_b=32, license="apache-2.0"),
    # ---- closed models
    text("Claude 3.5 Sonnet", "Available through the Anthropic API.", lab="anthropic", family="Claude",
         license="proprietary", open_weights="closed", reasoning=False),
    text("Introducing Claude Opus 4.5", "", lab="anthropic", license="proprietary", open_weights="closed",
         reasoning=True),
    text("GPT-4o: one model across text, audio and vision", "", lab="openai", family="GPT-4o",
         license="proprietary", open_weights="closed", modalities=["text", "vision", "audio"]),
    text("Gemini 1.5 Pro", "A mixture-of-experts model with up to 1 million tokens of context.",
         lab="google", license="proprietary", open_weights="closed", context_tokens=1048576),
    text("o1: learning to reason", "", lab="openai", open_weights="closed", reasoning=True),
    text("Qwen2.5-Max", "Available through the Alibaba Cloud Model Studio API; the weights are not "
         "released.", lab="alibaba", license="proprietary", open_weights="closed"),
    text("Mistral Medium 3", "Available through our API.", lab="mistral", license="proprietary",
         open_weights="closed"),
    # ---- Hub repositories
    hub("meta-llama/Llama-3.1-8B-Instruct", "llama3.1", "text-generation", "meta-llama/Llama-3.1-8B",
        lab="meta", family="Llama 3.1", models=["Llama-3.1-8B-Instruct"], total_params_b=8,
        license="llama3.1-community", open_weights="open", modalities=["text"]),
    hub("Qwen/Qwen2.5-VL-7B-Instruct", "apache-2.0", "image-text-to-text", lab="alibaba",
        total_params_b=7, license="apache-2.0", modalities=["text", "vision"]),
    hub("openai/whisper-large-v3", "apache-2.0", "automatic-speech-recognition", lab="openai",
        family="Whisper", license="apache-2.0", modalities=["text", "audio"]),
    hub("unsloth/Qwen3-8B-GGUF", "apache-2.0", "text-generation", "Qwen/Qwen3-8B", lab="alibaba",
        family="Qwen3", total_params_b=8, reasoning=True),
    hub("nvidia/Llama-3.1-Nemotron-70B-Instruct-HF", "llama3.1", "text-generation", lab="nvidia",
        family="Llama Nemotron", total_params_b=70, license="llama3.1-community"),
    hub("mistralai/Mistral-Large-Instruct-2407", "other", "text-generation", lab="mistral",
        license="mistral-research", open_weights="restricted"),
    hub("moonshotai/Kimi-K2-Instruct", "other", "text-generation", lab="moonshot", family="Kimi K2",
        total_params_b=1000, active_params_b=32, license="modified-mit", reasoning=False),
    hub("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "mit", "text-generation", lab="deepseek",
        family="DeepSeek-R1", total_params_b=7, active_params_b=None, reasoning=True),
    hub("google/vit-base-patch16-224", "apache-2.0", "image-classification", lab="google", family=None,
        modalities=["vision"], open_weights="open"),
    hub("allenai/Molmo-7B-D-0924", "apache-2.0", "image-text-to-text", "Qwen/Qwen2-7B", lab="ai2",
        family="Molmo", total_params_b=7, modalities=["text", "vision"]),
]

OFF_TOPIC = [
    ("Anthropic raises $13B Series F at $183B post-money valuation", "Led by ICONIQ."),
    ("We raised $6.6 billion in new funding", "At a $157B post-money valuation."),
    ("Flutter 3: stable on six platforms", "macOS and Linux apps, Apple silicon and Material Design 3."),
    ("GGML and llama.cpp join Hugging Face", "llama.cpp keeps its MIT license."),
    ("v2.0.0", "TGI is back to Apache 2.0! The HFOIL license no longer applies."),
    ("NVIDIA Dynamo: open-source distributed serving for reasoning models", "1.5M tokens/s at scale."),
    ("Mistral AI closes a €1.7B Series C led by ASML", "Valuing the company at €11.7 billion."),
]


@pytest.mark.parametrize(("title", "summary", "kwargs", "expected"), CASES)
def test_facts_of_a_realistic_item(title: str, summary: str, kwargs: dict[str, Any],
                                   expected: dict[str, Any]) -> None:
    facts = extract_facts(title=title, summary=summary, **kwargs).to_json()
    assert {k: facts[k] for k in expected} == expected


@pytest.mark.parametrize(("title", "summary"), OFF_TOPIC, ids=[t for t, _ in OFF_TOPIC])
def test_an_off_topic_item_has_no_facts(title: str, summary: str) -> None:
    facts = extract_facts(title=title, summary=summary)
    assert facts == ReleaseFacts()
    assert facts.to_json() == dict.fromkeys(KEYS)


def test_the_json_object_has_exactly_the_documented_fields() -> None:
    facts = extract_facts(title="Qwen3-235B-A22B", summary="Apache 2.0, 128K context.")
    result = facts.to_json()
    assert set(result) == KEYS
    assert json.loads(json.dumps(result)) == result
    assert isinstance(result["total_params_b"], float) and isinstance(result["context_tokens"], int)
    assert result["models"] == ["Qwen3-235B-A22B"] and result["modalities"] == ["text"]


def test_facts_are_a_frozen_value_and_the_date_changes_none() -> None:
    undated = extract_facts(title="Llama 3.1 405B", summary="")
    assert extract_facts(title="Llama 3.1 405B", summary="", published=date(2024, 7, 23)) == undated
    with pytest.raises(AttributeError):
        undated.lab = "x"  # type: ignore[misc]


def test_the_gazetteer_is_data_loaded_once_and_consistent() -> None:
    g = gazetteer()
    assert gazetteer() is g
    assert {f.lab for f in g.families} <= set(g.labs.values())
    assert g.lab_of("meta-llama") == "meta" and g.lab_of("Qwen") == "alibaba"
    assert g.hub_licenses["llama3.1"] == "llama3.1-community"


# ---- the bundled snapshot ----------------------------------------------------------------

def _document(url: str, path: Path, content_type: str | None = None) -> Document:
    return Document(url=url, final_url=url, status=200, body=path.read_bytes(), content_type=content_type,
                    etag=None, last_modified=None)


def _snapshot_items() -> list[Item]:
    """Every item of the bundled snapshot, parsed and normalized as the pipeline does (HTML
    listings take missing summaries from their article pages; Hub listings follow rel=next)."""
    table = load_snapshot(REPO / "snapshot")
    items: list[Item] = []
    for source in load_sources(REPO / "sources.yaml").sources:
        url: str | None = source.url
        while url and (entry := table.get(str(httpx.URL(url)))) and entry.status == 200:
            try:
                document = _document(url, entry.path, entry.headers.get("Content-Type"))
                result = parse_document(source, document)
            except PermanentError:      # the two documents broken on purpose
                break
            for raw in result.entries:
                article = table.get(str(httpx.URL(canonical_url(raw.link, url) or url)))
                if isinstance(source, HtmlSource) and article and not raw.summary_html:
                    description = parse_article(_document(url, article.path)).description
                    raw = replace(raw, summary_html=description or "")
                item = normalize_entry(raw, source_id=source.id, kind=source.kind, base_url=url, now=NOW)
                items += [item] if item else []
            found = re.search(r'<([^>]+)>;\s*rel="next"', entry.headers.get("Link", ""))
            url = found.group(1) if found else None
    return items


@pytest.fixture(scope="module")
def snapshot_facts() -> dict[tuple[str, str], dict[str, Any]]:
    sources = {s.id: s for s in load_sources(REPO / "sources.yaml").sources}
    facts = {}
    for item in _snapshot_items():
        extracted = extract_facts(title=item.title, summary=item.summary, published=item.published_at,
                                  source_kind=item.kind, source_lab=sources[item.source_id].lab,
                                  meta=item.meta)
        facts[(item.source_id, item.title)] = extracted.to_json()
    return facts


def test_every_snapshot_item_is_extracted(snapshot_facts: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert len(snapshot_facts) >= 440                       # 38 sources, 443 items, 441 distinct titles
    assert all(set(f) == KEYS for f in snapshot_facts.values())
    with_facts = [f for f in snapshot_facts.values() if f["lab"]]
    assert 300 < len(with_facts) < len(snapshot_facts) - 100     # off-topic items stay empty


SNAPSHOT = [
    (("hf-openai", "openai/gpt-oss-120b"),
     {"lab": "openai", "family": "gpt-oss", "total_params_b": 117.0, "active_params_b": 5.1,
      "license": "apache-2.0", "open_weights": "open", "reasoning": True}),
    # the December 2024 post gives sizes but no license (the weights were then under DeepSeek's
    # model license; MIT came with V3-0324)
    (("deepseek-news", "DeepSeek-V3 Release 2024/12/26"),
     {"lab": "deepseek", "family": "DeepSeek-V3", "total_params_b": 671.0, "active_params_b": 37.0,
      "license": None, "open_weights": "open", "reasoning": False}),
    (("hf-deepseek-ai", "deepseek-ai/DeepSeek-V3-0324"),
     {"family": "DeepSeek-V3", "total_params_b": 671.0, "active_params_b": 37.0, "license": "mit"}),
    (("qwen-blog", "Qwen3-Coder: an open 480B agentic coding model"),
     {"lab": "alibaba", "family": "Qwen3-Coder", "total_params_b": 480.0, "active_params_b": 35.0,
      "context_tokens": 262144, "license": "apache-2.0", "open_weights": "open"}),
    (("qwen-blog", "Qwen3: hybrid thinking models from 0.6B to 235B"),
     {"family": "Qwen3", "total_params_b": 235.0, "active_params_b": 22.0, "reasoning": True}),
    (("qwen-blog", "QwQ-32B: what scaled reinforcement learning does for a 32B model"),
     {"family": "QwQ", "total_params_b": 32.0, "active_params_b": None, "license": "apache-2.0"}),
    (("qwen-blog", "Qwen2.5-Max: our large-scale MoE model, via API"),
     {"lab": "alibaba", "license": "proprietary", "open_weights": "closed"}),
    (("mistral-news", "Mistral 3: a 675B sparse flagship and the Ministral 3 family"),
     {"lab": "mistral", "total_params_b": 675.0, "active_params_b": 41.0, "license": "apache-2.0"}),
    (("mistral-news", "Mistral Large 2: 123B parameters and a 128k window"),
     {"total_params_b": 123.0, "context_tokens": 131072, "license": "mistral-research",
      "open_weights": "restricted"}),
    (("hf-mistralai", "mistralai/Mixtral-8x22B-Instruct-v0.1"),
     {"family": "Mixtral 8x22B", "total_params_b": 141.0, "active_params_b": 39.0, "license": "apache-2.0"}),
    (("hf-meta-llama", "meta-llama/Llama-4-Scout-17B-16E-Instruct"),
     {"lab": "meta", "family": "Llama 4", "total_params_b": 109.0, "active_params_b": 17.0,
      "license": "llama4-community", "modalities": ["text", "vision"]}),
    (("meta-ai-blog", "The Llama 4 herd: natively multimodal mixture-of-experts models"),
     {"family": "Llama 4", "context_tokens": 10485760, "modalities": ["text", "vision"]}),
    (("anthropic-news", "Introducing Claude Opus 4.5"),
     {"lab": "anthropic", "family": "Claude", "license": "proprietary", "open_weights": "closed"}),
    (("openai-news", "GPT-4o: one model across text, audio and vision"),
     {"lab": "openai", "open_weights": "closed", "modalities": ["text", "vision", "audio"]}),
    (("openai-news", "Whisper: open-source speech recognition trained on 680,000 hours"),
     {"family": "Whisper", "license": "mit", "open_weights": "open", "modalities": ["text", "audio"]}),
    (("huggingface-blog", "Gemma 2B and 7B: Google's open models on Hugging Face"),
     {"lab": "google", "family": "Gemma", "total_params_b": 7.0, "context_tokens": 8192, "license": "gemma"}),
    (("hf-minimaxai", "MiniMaxAI/MiniMax-M1-80k"),
     {"lab": "minimax", "total_params_b": 456.0, "active_params_b": 45.9, "license": "apache-2.0",
      "reasoning": True}),
    (("vllm-releases", "v0.6.6"),
     {"lab": "deepseek", "family": "DeepSeek-V3", "total_params_b": 671.0, "active_params_b": 37.0}),
    (("mistral-news", "Mistral AI closes a €1.7B Series C led by ASML"), dict.fromkeys(KEYS)),
    (("anthropic-news", "Anthropic raises $13B Series F at $183B post-money valuation"), dict.fromkeys(KEYS)),
]


@pytest.mark.parametrize(("key", "expected"), SNAPSHOT, ids=[f"{s}:{t[:40]}" for (s, t), _ in SNAPSHOT])
def test_known_facts_of_snapshot_items(snapshot_facts: dict[tuple[str, str], dict[str, Any]],
                                       key: tuple[str, str], expected: dict[str, Any]) -> None:
    facts = snapshot_facts[key]
    assert {k: facts[k] for k in expected} == expected


# ---- the command ------------------------------------------------------------------------------

@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer(add_completion=False)
    register(app)

    @app.callback()
    def main() -> None:
        """A test app with the extract command only."""

    return app


SUMMARY = "Qwen3-Coder-480B-A35B-Instruct: 256K native, 1M via extrapolation, Apache 2.0."


def test_extract_prints_the_documented_json(app: typer.Typer) -> None:
    done = CliRunner().invoke(app, ["extract", "Qwen3-Coder: an open 480B agentic coding model",
                                    "--summary", SUMMARY, "--published", "2025-07-22", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert set(result) == KEYS
    sizes = (result["total_params_b"], result["active_params_b"], result["context_tokens"])
    assert sizes == (480, 35, 262144)
    assert result["license"] == "apache-2.0" and result["lab"] == "alibaba"


def test_extract_prints_one_line_per_fact(app: typer.Typer) -> None:
    done = CliRunner().invoke(app, ["extract", "Claude 3.5 Sonnet"])
    assert done.exit_code == 0, done.output
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines())
    assert lines["lab:"] == "anthropic" and lines["open_weights:"] == "closed"
    assert lines["models:"] == "Claude 3.5 Sonnet"
    assert lines["total_params_b:"] == "-"


def test_extract_reads_a_bare_hub_repository_id(app: typer.Typer) -> None:
    done = CliRunner().invoke(app, ["extract", "Qwen/Qwen3-8B", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        **dict.fromkeys(KEYS), "lab": "alibaba", "family": "Qwen3", "models": ["Qwen3-8B"],
        "total_params_b": 8.0, "license": "apache-2.0", "open_weights": "open", "modalities": ["text"],
        "reasoning": True}


def test_extract_refuses_a_bad_date_in_one_line(app: typer.Typer) -> None:
    done = CliRunner().invoke(app, ["extract", "x", "--published", "yesterday"])
    assert done.exit_code == 2
    assert "owingest: --published: not a date (YYYY-MM-DD): 'yesterday'" in done.output


# ---- the head-anchored scan finds exactly what a full scan finds ----------------------------

_PIECES = ["llama", "Llama", "meta ", "Meta-", "nvidia ", "Nemotron", "3.1", "3", "-", " ", "_", "4",
           "70B", "qwen", "Qwen3", "deepseek", "DeepSeek-", "V3", "R1", "gpt", "-oss", "tulu", "Tülu",
           "mistral", " large", "gemma", "o1", "o3", ".", "x", "coder", "'s", "İ", "ẞ", "Miſtral", "Kımı K2",
           "Pıxtral", "\u212aimi"]


def _spans(pattern_matches: Iterable[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in pattern_matches]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_head_anchored_scan_matches_a_full_scan(text: str) -> None:
    for family in gazetteer().families:
        assert _spans(_matches(family, text, lowered(text))) == _spans(family.pattern.finditer(text)), family.name


def test_head_anchored_scan_matches_a_full_scan_on_the_gold_table() -> None:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [f"{r['title']} {r.get('summary') or ''}" for r in rows]
    for family in gazetteer().families:
        for text in texts:
            assert _spans(_matches(family, text, lowered(text))) == _spans(family.pattern.finditer(text))
