"""The digest as JSON (schema version 1, documented in docs/digest-json.md).

The same content as the HTML page. Keys keep a fixed order and timestamps are
UTC ISO 8601 with a ``Z``, so the same digest always gives the same bytes.
A change that removes or renames a field raises ``SCHEMA_VERSION``; adding a
field does not.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from owingest.digest.model import Counts, Digest, Release, Story

__all__ = ["CHART_FILES", "SCHEMA_VERSION", "digest_dict", "render_json"]

SCHEMA_VERSION = 1
CHART_FILES = {
    "items_per_topic": "charts/items-per-topic.svg",
    "releases_per_lab": "charts/releases-per-lab.svg",
    "open_weights_by_phase": "charts/open-weights-by-phase.svg",
}


def _ts(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _counts(c: Counts) -> dict[str, Any]:
    return {
        "items": c.items,
        "on_topic": c.on_topic,
        "releases": c.releases,
        "topics": dict(c.topics),
    }


def _story(s: Story) -> dict[str, Any]:
    return {
        "story_id": s.story_id,
        "title": s.title,
        "url": s.url,
        "summary": s.summary,
        "published_at": _ts(s.published_at),
        "phase": s.phase,
        "topics": list(s.topics),
        "confidence": dict(s.confidence),
        "score": s.score,
        "lab": s.lab,
        "label_source": "human" if s.human else "model",
        "sources": [{"source_id": x.source_id, "name": x.name, "url": x.url} for x in s.sources],
        "item_ids": list(s.item_ids),
    }


def _release(r: Release) -> dict[str, Any]:
    return {
        "release_id": r.release_id,
        "lab": r.lab,
        "family": r.family,
        "models": list(r.models),
        "announced_at": _ts(r.announced_at),
        "total_params_b": r.total_params_b,
        "active_params_b": r.active_params_b,
        "context_tokens": r.context_tokens,
        "license": r.license,
        "open_weights": r.open_weights,
        "n_sources": r.n_sources,
        "url": r.url,
    }


def chart_files(d: Digest) -> dict[str, str]:
    """The chart files a digest has (the release charts need the release tracker)."""
    return {
        k: v
        for k, v in CHART_FILES.items()
        if k == "items_per_topic" or d.charts.releases_per_lab is not None
    }


def digest_dict(d: Digest) -> dict[str, Any]:
    """The digest as JSON-ready values, in the schema's key order."""
    c = d.charts
    return {
        "schema_version": SCHEMA_VERSION,
        "period": {
            "label": d.period.label,
            "kind": "week" if d.period.is_week else "days",
            "since": _ts(d.period.since),
            "until": _ts(d.period.until),
            "previous": d.period.previous().label,
        },
        "headline": {"current": _counts(d.current), "previous": _counts(d.previous)},
        "sections": [
            {"topic": s.topic, "total": s.total, "stories": [_story(x) for x in s.stories]}
            for s in d.sections
        ],
        "releases": None if d.releases is None else [_release(r) for r in d.releases],
        "top_labs": [{"lab": lab, "stories": n} for lab, n in d.top_labs],
        "needs_label": [
            {
                "item_id": x.item_id,
                "title": x.title,
                "url": x.url,
                "source_id": x.source_id,
                "topics": list(x.topics),
                "phase": x.phase,
                "margin": x.margin,
            }
            for x in d.needs_label
        ],
        "source_health": [
            {
                "source_id": h.source_id,
                "name": h.name,
                "health": h.health,
                "since": _ts(h.since),
                "detail": h.detail,
            }
            for h in d.health
        ],
        "charts": {
            "files": chart_files(d),
            "items_per_topic_per_week": [{"week": w, **counts} for w, counts in c.weekly],
            "releases_per_lab": None
            if c.releases_per_lab is None
            else [{"lab": lab, "releases": n} for lab, n in c.releases_per_lab],
            "open_weights_by_phase": None
            if c.open_by_phase is None
            else [{"phase": p, **shares} for p, shares in c.open_by_phase],
        },
        "model_versions": list(d.model_versions),
    }


def render_json(d: Digest) -> str:
    return json.dumps(digest_dict(d), indent=2, ensure_ascii=False) + "\n"
