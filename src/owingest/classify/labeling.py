"""The labeling loop: import people's labels from a file, or review the least-confident items."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from owingest import store
from owingest.classify.records import PHASES, TOPICS, load_records
from owingest.errors import ConfigError
from owingest.normalize import canonical_url

__all__ = ["import_file", "parse_topics", "review"]

_ITEM_ID = re.compile(r"^[ugt][0-9a-f]{20}$")


def import_file(path: Path, warehouse: Path, who: str, now: datetime) -> tuple[int, list[str]]:
    """Store the labels of a LABELS.md-format file; records match items by item id or URL."""
    labels = []
    for record in load_records([path]):
        key = record.id if _ITEM_ID.match(record.id) else canonical_url(record.url)
        if key is None:
            raise ConfigError(f"{path.name}: record {record.id!r}: neither an item id nor a URL to match")
        labels.append(store.HumanLabel(key=key, topics=record.topics, phase=record.phase,
                                       labeled_by=who, origin="import"))
    return store.import_human_labels(warehouse, labels, now)


def parse_topics(answer: str) -> tuple[str, ...] | None:
    """'release, infra' → ('release', 'infra'); '-' → (); None when a word is not a topic."""
    if answer.strip() == "-":
        return ()
    words = [w.strip().lower() for w in answer.replace(";", ",").split(",") if w.strip()]
    if any(w not in TOPICS for w in words):
        return None
    return tuple(t for t in TOPICS if t in words)


def review(warehouse: Path, limit: int, who: str, now: datetime, *,
           ask: Callable[..., Any], show: Callable[..., Any]) -> int:
    """Walk through the least-confident items; store each decision as a human label."""
    decisions = []
    for n, row in enumerate(store.least_confident(warehouse, limit), 1):
        show(f"\n[{n}/{limit}] {row.title}", markup=False, highlight=False)
        if row.summary:
            show(f"    {row.summary[:300]}", markup=False, highlight=False)
        show(f"    model: topics={', '.join(row.topics or ()) or '-'} phase={row.phase}", markup=False,
             highlight=False)
        answer = str(ask("topics (release,infra,safety | - for none | Enter keeps | s skips | q quits)",
                         default="", show_default=False)).strip()
        if answer == "q":
            break
        if answer == "s":
            continue
        topics = tuple(row.topics or ()) if answer == "" else parse_topics(answer)
        while topics is None:
            answer = str(ask(f"not a topic list; use {', '.join(TOPICS)} or -", default="-"))
            topics = parse_topics(answer)
        phase = str(ask(f"phase ({'/'.join(PHASES)})", default=row.phase or "frontier")).strip()
        while phase not in PHASES:
            phase = str(ask(f"phase must be one of {', '.join(PHASES)}", default=row.phase or "frontier"))
        decisions.append(store.HumanLabel(key=row.item_id, topics=topics, phase=phase,
                                          labeled_by=who, origin="review"))
    stored, _ = store.import_human_labels(warehouse, decisions, now) if decisions else (0, [])
    return stored
