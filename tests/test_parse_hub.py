"""Hub model listings: one entry per repository, license and lineage from the tags."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from owingest.errors import PermanentError
from owingest.parse.hub import parse_hub_listing
from tests.docs import doc

LISTING = [
    {"_id": "67", "id": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "likes": 700, "downloads": 1000,
     "tags": ["transformers", "safetensors", "qwen2", "text-generation", "license:mit",
              "base_model:deepseek-ai/DeepSeek-R1", "base_model:distillation:deepseek-ai/DeepSeek-R1"],
     "pipeline_tag": "text-generation", "library_name": "transformers",
     "createdAt": "2025-01-20T09:19:00.000Z", "lastModified": "2025-02-24T03:31:00.000Z",
     "modelId": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"},
    {"id": "meta-llama/Llama-3.1-8B", "gated": "manual", "tags": ["license:llama3.1"],
     "createdAt": "2024-07-14T22:20:15.000Z"},
    {"no": "id"},
    "junk",
]


def test_each_repository_becomes_one_entry() -> None:
    result = parse_hub_listing(doc(json.dumps(LISTING), "https://huggingface.co/api/models?author=x"))
    assert [e.title for e in result.entries] == ["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                                                 "meta-llama/Llama-3.1-8B"]
    first = result.entries[0]
    assert first.link == "https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    assert first.guid == "hf:deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    assert first.dates[0].value == datetime(2025, 1, 20, 9, 19, tzinfo=UTC)
    assert first.dates[0].origin == "hub:createdAt"
    assert first.meta["license"] == "mit"
    assert first.meta["base_models"] == [{"repo": "deepseek-ai/DeepSeek-R1", "relation": "distillation"}]
    assert first.meta["downloads"] == 1000 and first.meta["likes"] == 700
    assert first.meta["last_modified"] == "2025-02-24T03:31:00+00:00"
    assert first.summary_html == ("text-generation · transformers · license: mit · "
                                  "distillation of deepseek-ai/DeepSeek-R1")
    assert result.entries[1].meta["gated"] == "manual"
    assert result.entries[1].meta["author"] == "meta-llama"
    assert result.problems == ("2 listing elements were not model repositories",)


@pytest.mark.parametrize(("body", "message"), [
    ('[{"id": "a/b", "tags": [', "not valid JSON"),
    ('{"error": "rate limited"}', "should be a JSON array, got dict"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
])
def test_a_broken_listing_is_a_parse_error(body: str, message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        parse_hub_listing(doc(body))
