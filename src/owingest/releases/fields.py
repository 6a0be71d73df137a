"""Each field of a release: every value its items state, and the one chosen.

The values of the best role that states a field are used (announcement, then weights, then
coverage, then engine-support; derivatives state nothing about their base release): the
largest of them for sizes and context (a release is as big as its largest model), the union
for model names and modalities, "any" for reasoning, and the most frequent for license and
open weights (ties to the earliest item). A chosen value always comes from a stated one,
never from a blend, and names its item; values that disagree stay visible (``conflicts``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from owingest.releases.events import Event, LinkItem

__all__ = ["FIELDS", "FieldValue", "Release", "build_release", "release_ids"]

FIELDS = ("models", "total_params_b", "active_params_b", "context_tokens", "license",
          "open_weights", "modalities", "reasoning")
_RANK = {"announcement": 0, "weights": 1, "coverage": 2, "engine-support": 3}
_SIZES = ("total_params_b", "active_params_b")


@dataclass(frozen=True, slots=True)
class FieldValue:
    field: str
    value: str                  # JSON text
    item_id: str
    role: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class Release:
    release_id: str
    lab: str | None
    family: str
    models: tuple[str, ...]
    announced_at: datetime | None
    total_params_b: float | None
    active_params_b: float | None
    context_tokens: int | None
    license: str | None
    open_weights: str | None
    modalities: tuple[str, ...]
    reasoning: bool | None
    n_sources: int
    first_source_url: str | None
    first_item_id: str
    n_conflicts: int
    sources: tuple[tuple[str, str], ...]          # (item_id, role)
    values: tuple[FieldValue, ...]


def _stated(event: Event, name: str) -> list[tuple[LinkItem, str, Any]]:
    found = [(i, r, i.facts.get(name)) for i, r in event.members if r in _RANK]
    return sorted(((i, r, v) for i, r, v in found if v not in (None, [], ())),
                  key=lambda t: (_RANK[t[1]], t[0].day is None, t[0].day or datetime.max, t[0].item_id))


def _choose(name: str, stated: list[tuple[LinkItem, str, Any]], total: Any) -> tuple[Any, set[str]]:
    """The chosen value of a field and the items it comes from. The active size is the one
    stated beside the chosen total (by any role), so the two always describe one model."""
    if not stated:
        return None, set()
    best = [t for t in stated if _RANK[t[1]] == _RANK[stated[0][1]]]
    if name == "active_params_b":
        same = [t for t in stated if total is not None and t[0].facts.get("total_params_b") == total]
        return (same[0][2], {same[0][0].item_id}) if same else (None, set())
    if name in ("total_params_b", "context_tokens"):
        top = max(t[2] for t in best)
        item = next(t[0] for t in best if t[2] == top)
        return top, {item.item_id}
    if name in ("models", "modalities"):
        union = list(dict.fromkeys(v for t in best for v in t[2]))
        return union, {t[0].item_id for t in best}
    if name == "reasoning":
        yes = [t for t in best if t[2] is True]
        chosen = yes or best
        return bool(yes), {t[0].item_id for t in chosen}
    counts = Counter(json.dumps(t[2]) for t in best)
    top = max(counts.values())
    winner = next(t for t in best if counts[json.dumps(t[2])] == top)
    return winner[2], {t[0].item_id for t in best if t[2] == winner[2]}


def _conflicts(values: Sequence[FieldValue]) -> int:
    seen: dict[str, set[str]] = {}
    for v in values:
        if v.field == "models" or (v.field in _SIZES and v.role == "weights"):
            continue
        seen.setdefault(v.field, set()).add(v.value)
    return sum(1 for s in seen.values() if len(s) > 1)


def build_release(event: Event, release_id: str) -> Release:
    """The row of one event, with every value stated and the chosen ones marked."""
    chosen: dict[str, Any] = {}
    values: list[FieldValue] = []
    for name in FIELDS:
        stated = _stated(event, name)
        value, by = _choose(name, stated, chosen.get("total_params_b"))
        chosen[name] = value
        values += [FieldValue(name, json.dumps(v), i.item_id, r, i.item_id in by) for i, r, v in stated]
    first = _first(event)
    lab = next((i.family_lab for i, _ in event.members if i.family_lab), None)
    return Release(
        release_id=release_id, lab=lab, family=event.family, models=tuple(chosen["models"] or ()),
        announced_at=first.day, total_params_b=chosen["total_params_b"],
        active_params_b=chosen["active_params_b"], context_tokens=chosen["context_tokens"],
        license=chosen["license"], open_weights=chosen["open_weights"],
        modalities=tuple(chosen["modalities"] or ()), reasoning=chosen["reasoning"],
        n_sources=len(event.members), first_source_url=first.url, first_item_id=first.item_id,
        n_conflicts=_conflicts(values), sources=tuple((i.item_id, r) for i, r in event.members),
        values=tuple(values))


def _first(event: Event) -> LinkItem:
    """The item first seen: an announcement, weights or coverage item before an engine note."""
    pool = [i for i, r in event.members if r in ("announcement", "weights", "coverage")]
    pool = pool or [i for i, r in event.members if r != "derivative"]
    rank = {i.item_id: _RANK[r] for i, r in event.members if r in _RANK}
    return min(pool, key=lambda i: (i.day is None, i.day or datetime.max, rank[i.item_id], i.item_id))


def _slug(family: str) -> str:
    text = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-") or "release"


def release_ids(events: Sequence[Event]) -> list[str]:
    """Readable, deterministic ids: the family's slug and the event's first day."""
    ids: list[str] = []
    taken: Counter[str] = Counter()
    for event in events:
        first = _first(event)
        base = f"{_slug(event.family)}@{first.day:%Y-%m-%d}" if first.day else f"{_slug(event.family)}@undated"
        taken[base] += 1
        ids.append(base if taken[base] == 1 else f"{base}-{taken[base]}")
    return ids
