"""How well release facts are extracted and items linked, against gold files.

Extraction: per field, over the records that state the field (``null`` included, which says
"the item gives no such fact"): a prediction that equals a non-null expected value is a true
positive; a non-null prediction that differs from the expected value, or that the item should
not have, is a false positive; an expected non-null value predicted wrongly or not at all is a
false negative. Sizes match within 1% (a rounding), lists as sets.

Linking: pairwise, over the items of a links file (item URL -> release key, or ``null`` for an
item that reports no release): precision is the share of item pairs put in one release that
belong together, recall the share of pairs that belong together that were put together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

from owingest.errors import ConfigError
from owingest.extract import extract_facts

__all__ = ["SCORED", "field_scores", "link_scores", "load_jsonl", "snapshot_link_scores"]

SCORED = ("lab", "family", "models", "total_params_b", "active_params_b", "context_tokens", "license",
          "open_weights", "modalities", "reasoning")


@dataclass
class _Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0

    def figures(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                "support": self.support}


def load_jsonl(path: Path, required: Sequence[str]) -> list[dict[str, Any]]:
    """The records of a JSON Lines file; a ConfigError naming the file and line otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from err
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            raise ConfigError(f"{path}: line {n}: not JSON: {err}") from err
        missing = [k for k in required if not isinstance(record, dict) or k not in record]
        if missing:
            raise ConfigError(f"{path}: line {n}: missing field {missing[0]!r}")
        records.append(record)
    if not records:
        raise ConfigError(f"{path}: no records")
    return records


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(got, (int, float)) and abs(float(got) - float(expected)) <= 0.01 * abs(expected)
    if isinstance(expected, list):
        return isinstance(got, list) and set(expected) == set(got)
    return bool(expected == got)


def _published(record: Mapping[str, Any], n: int) -> date | None:
    raw = record.get("published")
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError as err:
        raise ConfigError(f"record {n}: 'published' is not a date: {raw!r}") from err


def field_scores(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"n": records, "fields": {field: {precision, recall, f1, support}}}`` for the fields
    the records state."""
    counts: dict[str, _Count] = {}
    for n, record in enumerate(records, 1):
        got = extract_facts(title=str(record["title"]), summary=str(record.get("summary") or ""),
                            published=_published(record, n)).to_json()
        for name in (f for f in SCORED if f in record):
            c = counts.setdefault(name, _Count())
            expected, value = record[name], got[name]
            c.support += expected is not None
            if expected is not None and value is not None and _same(expected, value):
                c.tp += 1
                continue
            c.fp += value is not None
            c.fn += expected is not None
    return {"n": len(records), "fields": {k: counts[k].figures() for k in SCORED if k in counts}}


def link_scores(gold: Iterable[Mapping[str, Any]], predicted: Mapping[str, str | None]
                ) -> dict[str, float | int]:
    """Pairwise precision and recall of ``predicted`` (item URL -> release id) against the
    gold links (``url`` -> ``release``), over the gold's items."""
    truth = {str(g["url"]): g.get("release") for g in gold}
    urls = sorted(truth)
    tp = fp = fn = 0
    for a, b in combinations(urls, 2):
        same_gold = truth[a] is not None and truth[a] == truth[b]
        same_pred = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "items": len(urls), "gold_pairs": tp + fn, "predicted_pairs": tp + fp}


def snapshot_link_scores(*, snapshot: Path, sources: Path, links: Path, workdir: Path) -> dict[str, Any]:
    """Replay ``snapshot`` through the real ingest into a new warehouse under ``workdir`` and
    score the release events it builds against ``links``."""
    import asyncio

    from owingest.config import load_sources
    from owingest.pipeline import run_ingest
    from owingest.store.releases import release_memberships

    gold = load_jsonl(links, ("url", "release"))
    if not snapshot.is_dir():
        raise ConfigError(f"{snapshot}: not a snapshot folder")
    config = load_sources(sources)
    warehouse = workdir / "releases-eval.duckdb"
    asyncio.run(run_ingest(config, warehouse, replay=snapshot))
    return link_scores(gold, release_memberships(warehouse))
