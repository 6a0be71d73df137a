"""The Hugging Face Hub model-listing API (``GET /api/models?author=...``).

One entry per model repository. The repository id is the identity (its URL on
the Hub), so a repository seen again is updated, never duplicated; it is "new"
by its ``createdAt``. Tags carry the license, pipeline, library and
``base_model`` lineage.
"""

from __future__ import annotations

import json
from typing import Any

from owingest.errors import PermanentError
from owingest.models import DateCandidate, Document, ParseResult, RawEntry
from owingest.normalize import parse_date

__all__ = ["parse_hub_listing"]

_HUB = "https://huggingface.co/"


def _tag_values(tags: list[str], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in tags if t.startswith(prefix)]


def _base_models(tags: list[str]) -> list[dict[str, str]]:
    found = []
    for value in _tag_values(tags, "base_model:"):
        relation, _, repo = value.partition(":")
        if relation in ("finetune", "quantized", "adapter", "merge", "distillation") and repo:
            found.append({"repo": repo, "relation": relation})
    plain = {v for v in _tag_values(tags, "base_model:") if ":" not in v}
    known = {b["repo"] for b in found}
    found += [{"repo": repo, "relation": "derived"} for repo in sorted(plain - known)]
    return found


def _summary(meta: dict[str, Any]) -> str:
    parts = [meta.get("pipeline_tag"), meta.get("library_name")]
    if meta.get("license"):
        parts.append(f"license: {meta['license']}")
    parts += [f"{b['relation']} of {b['repo']}" for b in meta.get("base_models", [])]
    if meta.get("gated"):
        parts.append("gated")
    return " · ".join(p for p in parts if p)


def _entry(obj: dict[str, Any]) -> RawEntry | None:
    repo = obj.get("id") or obj.get("modelId")
    if not isinstance(repo, str) or "/" not in repo or len(repo) > 200:
        return None
    tags = [t for t in obj.get("tags", []) if isinstance(t, str)] if isinstance(obj.get("tags"), list) else []
    licenses = _tag_values(tags, "license:")
    meta: dict[str, Any] = {
        "repo_id": repo,
        "author": obj.get("author") or repo.split("/", 1)[0],
        "pipeline_tag": obj.get("pipeline_tag"),
        "library_name": obj.get("library_name"),
        "license": licenses[0] if licenses else None,
        "base_models": _base_models(tags),
        "gated": obj.get("gated") or False,
        "private": bool(obj.get("private", False)),
        "tags": tags,
        "downloads": obj.get("downloads") if isinstance(obj.get("downloads"), int) else None,
        "likes": obj.get("likes") if isinstance(obj.get("likes"), int) else None,
    }
    created = parse_date(obj.get("createdAt")) if isinstance(obj.get("createdAt"), str) else None
    modified = parse_date(obj.get("lastModified")) if isinstance(obj.get("lastModified"), str) else None
    dates = (DateCandidate(created, "hub:createdAt"),) if created else ()
    if modified:
        meta["last_modified"] = modified.isoformat()
    return RawEntry(title=repo, link=_HUB + repo, guid=f"hf:{repo}", summary_html=_summary(meta),
                    author=meta["author"], dates=dates, updated=modified,
                    categories=tuple(tags), meta=meta)


def parse_hub_listing(document: Document) -> ParseResult:
    """Parse one page of a Hub model listing (a JSON array of repositories, or one repository)."""
    try:
        data = json.loads(document.body)
    except (ValueError, RecursionError) as err:
        raise PermanentError("parse", f"Hub listing is not valid JSON: {str(err)[:120]}") from err
    if isinstance(data, dict) and isinstance(data.get("id") or data.get("modelId"), str):
        data = [data]  # a single repository (``/api/models/{repo_id}``) reads as a listing of one
    if not isinstance(data, list):
        raise PermanentError("parse", f"Hub listing should be a JSON array, got {type(data).__name__}")
    entries, skipped = [], 0
    for obj in data:
        entry = _entry(obj) if isinstance(obj, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    problems = (f"{skipped} listing elements were not model repositories",) if skipped else ()
    return ParseResult(entries=tuple(entries), problems=problems)
