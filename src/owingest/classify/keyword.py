"""A keyword baseline over the same fields, so every figure has a reference point.

Rules a careful person would write in an afternoon: topic keywords in the title
and summary, the calendar for the phase, and model-family names for undated items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from owingest.classify.features import calendar_phase
from owingest.classify.records import PHASES, TOPICS, ClassifyInput
from owingest.models import Classification

__all__ = ["KEYWORD_VERSION", "KeywordModel"]

KEYWORD_VERSION = "keyword-1"

_RULES = {
    "release": re.compile(
        r"\b(introduc\w*|releas\w*|launch\w*|announc\w*|open[- ]weights?|model card|weights|"
        r"technical report|now available|checkpoints?|open[- ]sourc\w*)\b", re.IGNORECASE),
    "infra": re.compile(
        r"\b(vllm|sglang|llama\.cpp|ggml|gguf|ollama|tgi|text generation inference|transformers|peft|trl|"
        r"optimum|quantiz\w*|awq|gptq|fp8|int4|inference|serving|deploy\w*|endpoints?|fine-?tun\w*|lora|"
        r"kernels?|gpus?|tpus?|throughput|latency|api pric\w*|hub)\b", re.IGNORECASE),
    "safety": re.compile(
        r"\b(safety|safe|red[- ]team\w*|jailbreak\w*|misuse|policy|regulat\w*|ai act|export controls?|"
        r"watermark\w*|bias|ethic\w*|alignment|distillation attacks?|governance|risks?)\b", re.IGNORECASE),
}
_ERAS = (
    ("frontier", re.compile(r"\b(deepseek-?(v3|r1|v4)|qwen3|gpt-oss|llama 4|gemma [34]|magistral|devstral|"
                            r"voxtral|kimi|minimax|glm-4\.5|reasoning|2025|2026)\b", re.IGNORECASE)),
    ("scaling", re.compile(r"\b(llama 3(\.[123])?|mixtral 8x22b|mistral large|qwen ?2(\.5)?|gemma 2?|"
                           r"phi-3|2024)\b", re.IGNORECASE)),
    ("baseline", re.compile(r"\b(bloom|opt|llama 2|llama|falcon|mistral 7b|mixtral|gpt-2|gpt-3|bert|"
                            r"2019|2020|2021|2022|2023)\b", re.IGNORECASE)),
)


class KeywordModel:
    """Same interface as a trained model: ``predict(rows) -> list[Classification]``."""

    version = KEYWORD_VERSION

    def predict(self, rows: Sequence[ClassifyInput]) -> list[Classification]:
        return [self._one(r) for r in rows]

    def _one(self, row: ClassifyInput) -> Classification:
        text = f"{row.title} {row.summary}"
        hits = {t: bool(_RULES[t].search(text)) for t in TOPICS}
        if row.source_kind == "hf_models":
            hits["release"] = True
        topics = tuple(t for t in TOPICS if hits[t])
        phase = calendar_phase(row.published)
        if phase == "none":
            phase = next((name for name, rx in _ERAS if rx.search(text)), "frontier")
        return Classification(topics=topics, phase=phase, relevant=bool(topics),
                          topic_probs={t: float(hits[t]) for t in TOPICS},
                          phase_probs={p: float(p == phase) for p in PHASES})
