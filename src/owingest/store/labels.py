"""Labels in the warehouse: model predictions, human labels, the model registry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from owingest.models import PHASES, TOPICS, Classification
from owingest.store.connection import connect

__all__ = ["HumanLabel", "LabelRow", "human_labels", "import_human_labels", "label_rows",
           "least_confident", "register_model", "write_predictions"]

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class LabelRow:
    """An item as the classifier needs it, with its current labels."""

    item_id: str
    title: str
    summary: str
    kind: str
    lab: str | None
    tags: tuple[str, ...]
    published_at: datetime | None
    url: str | None
    topics: tuple[str, ...] | None
    phase: str | None
    label_source: str | None


@dataclass(frozen=True, slots=True)
class HumanLabel:
    """A person's labels for one item (matched by item id or canonical URL)."""

    key: str                 # an item_id or a URL
    topics: tuple[str, ...]
    phase: str
    labeled_by: str
    origin: str              # import | review
    note: str | None = None


_ROW_SQL = """
    SELECT i.item_id, i.title, i.summary, i.kind, s.lab, coalesce(s.tags, []), i.published_at, i.url,
           i.topics, i.phase, i.label_source
    FROM items i LEFT JOIN sources s ON s.source_id = i.source_id
"""


def _label_row(r: tuple[Any, ...]) -> LabelRow:
    return LabelRow(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), r[6], r[7],
                    tuple(r[8]) if r[8] is not None else None, r[9], r[10])


def label_rows(path: Path) -> list[LabelRow]:
    """Every item with what the classifier reads and its current labels."""
    with connect(path) as con:
        return [_label_row(r) for r in con.execute(_ROW_SQL + " ORDER BY i.item_id").fetchall()]


def least_confident(path: Path, limit: int) -> list[LabelRow]:
    """Model-labeled items whose least decisive probability is closest to a coin toss."""
    with connect(path) as con:
        rows = con.execute(_ROW_SQL + """
            WHERE i.label_source = 'model'
            ORDER BY least(abs(i.topic_probs.release - 0.5), abs(i.topic_probs.infra - 0.5),
                           abs(i.topic_probs.safety - 0.5),
                           greatest(i.phase_probs.baseline, i.phase_probs.scaling, i.phase_probs.frontier) - 0.5),
                     i.item_id
            LIMIT ?""", [limit]).fetchall()
    return [_label_row(r) for r in rows]


def write_predictions(path: Path, predictions: Sequence[tuple[str, Classification]], now: datetime) -> None:
    """Store the model's labels for ``predictions`` (item id, labels); a person's labels stay."""
    if not predictions:
        return
    table = pa.Table.from_pylist([{
        "item_id": item_id, "topics": list(c.topics), "phase": c.phase, "relevant": c.relevant,
        "model_version": c.model_version, "topic_probs": c.topic_probs, "phase_probs": c.phase_probs,
        "classified_at": now} for item_id, c in predictions], schema=pa.schema([
            ("item_id", pa.string()), ("topics", pa.list_(pa.string())), ("phase", pa.string()),
            ("relevant", pa.bool_()), ("model_version", pa.string()),
            ("topic_probs", pa.struct([(t, pa.float64()) for t in TOPICS])),
            ("phase_probs", pa.struct([(p, pa.float64()) for p in PHASES])),
            ("classified_at", _TS)]))
    with connect(path) as con:
        con.register("batch_predictions", table)
        con.execute("""
            UPDATE items SET
                topics = CASE WHEN items.label_source = 'human' THEN items.topics ELSE p.topics END,
                phase = CASE WHEN items.label_source = 'human' THEN items.phase ELSE p.phase END,
                relevant = CASE WHEN items.label_source = 'human' THEN items.relevant ELSE p.relevant END,
                label_source = CASE WHEN items.label_source = 'human' THEN 'human' ELSE 'model' END,
                model_version = p.model_version, topic_probs = p.topic_probs, phase_probs = p.phase_probs,
                classified_at = p.classified_at, label_error = NULL
            FROM batch_predictions p WHERE items.item_id = p.item_id""")
        con.unregister("batch_predictions")
        con.execute("CHECKPOINT")


def import_human_labels(path: Path, labels: Sequence[HumanLabel], now: datetime) -> tuple[int, list[str]]:
    """Store people's labels, matched by item id or canonical URL; override the items' labels.
    Returns (stored, keys that matched no item)."""
    with connect(path) as con:
        keys = sorted({h.key for h in labels})
        found = dict(con.execute("""
            SELECT k, item_id FROM (SELECT unnest(?) AS k) q JOIN items i ON i.item_id = q.k OR i.url = q.k
            QUALIFY row_number() OVER (PARTITION BY k ORDER BY i.item_id) = 1""", [keys]).fetchall())
        matched = {found[h.key]: h for h in labels if h.key in found}  # last label for an item wins
        rows = [{"item_id": i, "topics": list(h.topics), "phase": h.phase, "labeled_by": h.labeled_by,
                 "labeled_at": now, "origin": h.origin, "note": h.note} for i, h in matched.items()]
        if rows:
            con.execute("BEGIN")
            con.register("batch_human", pa.Table.from_pylist(rows, schema=pa.schema([
                ("item_id", pa.string()), ("topics", pa.list_(pa.string())), ("phase", pa.string()),
                ("labeled_by", pa.string()), ("labeled_at", _TS), ("origin", pa.string()),
                ("note", pa.string())])))
            con.execute("INSERT OR REPLACE INTO human_labels SELECT * FROM batch_human")
            con.execute("""UPDATE items SET topics = h.topics, phase = h.phase, relevant = len(h.topics) > 0,
                               label_source = 'human'
                           FROM batch_human h WHERE items.item_id = h.item_id""")
            con.unregister("batch_human")
            con.execute("COMMIT")
    return len(rows), [h.key for h in labels if h.key not in found]


def human_labels(path: Path) -> list[tuple[LabelRow, tuple[str, ...], str]]:
    """Every human-labeled item with its labels: the extra training data for the next ``train``."""
    with connect(path) as con:
        rows = con.execute(_ROW_SQL.replace("FROM items i", "FROM human_labels h JOIN items i USING (item_id)")
                           .replace("i.topics, i.phase, i.label_source", "h.topics, h.phase, 'human'")
                           + " ORDER BY i.item_id").fetchall()
    return [(_label_row(r), tuple(r[8]), r[9]) for r in rows]


def register_model(path: Path, card: dict[str, Any], now: datetime) -> None:
    """Record a model version and its metrics (once per version)."""
    with connect(path) as con:
        con.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [
            card["version"], now, card["sklearn_version"], card["data_hash"], card["n_train"],
            json.dumps(card["params"]), json.dumps(card["cv_metrics"]), json.dumps(card.get("metrics", {}))])
