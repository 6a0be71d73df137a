"""Writing one run: every source's batch in one short transaction, then a checkpoint.

Idempotent: items are keyed by ``item_id`` and matched across sources by
fingerprint; a batch is de-duplicated here first (DuckDB keeps the first of two
equal keys in one upsert, silently). A known item is updated only when its own
first source reports changed content, so two sources never flap one row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from owingest.config import FeedSource, HtmlSource, HubSource
from owingest.models import (
    PHASES,
    TOPICS,
    IngestReport,
    Item,
    SourceReport,
    SourceRun,
    Unclassified,
)
from owingest.store.connection import connect
from owingest.store.releases import rebuild_releases, releases_missing
from owingest.store.runlog import write_documents, write_sources

__all__ = ["commit_run"]

AnySource = FeedSource | HtmlSource | HubSource

_LABEL_COLUMNS = ("topics", "phase", "relevant", "model_version", "topic_probs", "phase_probs",
                  "label_source", "classified_at", "label_error")
_ITEM_COLUMNS = ("item_id", "source_id", "sources", "kind", "url", "guid", "title", "summary",
                 "author", "published_at", "published_origin", "date_candidates", "categories",
                 "flags", "meta", "fingerprint", "content_hash", "first_seen_at", "updated_at",
                 *_LABEL_COLUMNS)
_UPDATABLE = ("url", "guid", "title", "summary", "author", "published_at", "published_origin",
              "date_candidates", "categories", "flags", "meta", "fingerprint", "content_hash",
              "updated_at")
# a person's labels are never overwritten; no labels this run (no model, or the model could not
# label the item) keeps the labels there are
_KEEP_LABELS = "items.label_source = 'human' OR excluded.model_version IS NULL"
_TS = pa.timestamp("us", tz="UTC")
_ITEM_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("source_id", pa.string()), ("sources", pa.list_(pa.string())),
    ("kind", pa.string()), ("url", pa.string()), ("guid", pa.string()), ("title", pa.string()),
    ("summary", pa.string()), ("author", pa.string()), ("published_at", _TS),
    ("published_origin", pa.string()),
    ("date_candidates", pa.list_(pa.struct([("value", _TS), ("origin", pa.string())]))),
    ("categories", pa.list_(pa.string())), ("flags", pa.list_(pa.string())), ("meta", pa.string()),
    ("fingerprint", pa.string()), ("content_hash", pa.string()), ("first_seen_at", _TS),
    ("updated_at", _TS), ("topics", pa.list_(pa.string())), ("phase", pa.string()),
    ("relevant", pa.bool_()), ("model_version", pa.string()),
    ("topic_probs", pa.struct([(t, pa.float64()) for t in TOPICS])),
    ("phase_probs", pa.struct([(p, pa.float64()) for p in PHASES])),
    ("label_source", pa.string()), ("classified_at", _TS), ("label_error", pa.string()),
])


@dataclass
class _Counts:
    new: int = 0
    updated: int = 0


@dataclass
class _Plan:
    """What the batch does to ``items`` and ``item_sources``."""

    inserts: dict[str, Item] = field(default_factory=dict)
    updates: dict[str, Item] = field(default_factory=dict)
    links: dict[tuple[str, str], str | None] = field(default_factory=dict)
    counts: dict[str, _Counts] = field(default_factory=dict)


def _known(con: duckdb.DuckDBPyConnection, items: Sequence[Item]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Existing rows touching the batch: id -> (first source, content hash); fingerprint -> id."""
    ids = pa.table({"k": pa.array(sorted({i.item_id for i in items} | {i.fingerprint for i in items
                                                                        if i.fingerprint}), pa.string())})
    con.register("batch_keys", ids)
    rows = con.execute("SELECT item_id, source_id, content_hash, fingerprint FROM items "
                       "WHERE item_id IN (SELECT k FROM batch_keys) "
                       "OR fingerprint IN (SELECT k FROM batch_keys)").fetchall()
    con.unregister("batch_keys")
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    by_fp = {r[3]: r[0] for r in rows if r[3]}
    return by_id, by_fp


def _plan(runs: Sequence[SourceRun], by_id: dict[str, tuple[str, str]], by_fp: dict[str, str]) -> _Plan:
    plan = _Plan()
    for run in runs:
        counts = plan.counts.setdefault(run.source_id, _Counts())
        for item in run.items:
            target = item.item_id
            if target not in by_id and target not in plan.inserts and item.fingerprint:
                target = by_fp.get(item.fingerprint, target)
            plan.links.setdefault((target, run.source_id), item.url)
            if target in by_id:
                owner, chash = by_id[target]
                if owner == run.source_id and chash != item.content_hash and target not in plan.updates:
                    plan.updates[target] = item
                    counts.updated += 1
            elif target not in plan.inserts:
                plan.inserts[target] = item
                counts.new += 1
                if item.fingerprint:
                    by_fp.setdefault(item.fingerprint, target)
    return plan


def _item_row(item_id: str, item: Item, now: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id, "source_id": item.source_id, "sources": [item.source_id],
        "kind": item.kind, "url": item.url, "guid": item.guid, "title": item.title,
        "summary": item.summary, "author": item.author, "published_at": item.published_at,
        "published_origin": item.published_origin,
        "date_candidates": [{"value": c.value, "origin": c.origin} for c in item.date_candidates],
        "categories": list(item.categories), "flags": list(item.flags),
        "meta": json.dumps(item.meta, sort_keys=True, default=str),
        "fingerprint": item.fingerprint, "content_hash": item.content_hash,
        "first_seen_at": now, "updated_at": now, **_label_fields(item, now),
    }


def _label_fields(item: Item, now: datetime) -> dict[str, Any]:
    c = item.classification
    if c is None:
        return dict.fromkeys(_LABEL_COLUMNS)
    if isinstance(c, Unclassified):
        return {**dict.fromkeys(_LABEL_COLUMNS), "label_error": c.reason}
    return {"topics": list(c.topics), "phase": c.phase, "relevant": c.relevant,
            "model_version": c.model_version, "topic_probs": c.topic_probs, "phase_probs": c.phase_probs,
            "label_source": "model", "classified_at": now, "label_error": None}


def _write_items(con: duckdb.DuckDBPyConnection, plan: _Plan, now: datetime) -> None:
    rows = [_item_row(i, it, now) for i, it in plan.inserts.items()]
    rows += [_item_row(i, it, now) for i, it in plan.updates.items()]
    if rows:
        con.register("batch_items", pa.Table.from_pylist(rows, schema=_ITEM_SCHEMA))
        cols = ", ".join(_ITEM_COLUMNS)
        sets = ", ".join([f"{c} = excluded.{c}" for c in _UPDATABLE] + [
            f"{c} = CASE WHEN {_KEEP_LABELS} THEN items.{c} ELSE excluded.{c} END" for c in _LABEL_COLUMNS])
        con.execute(f"INSERT INTO items ({cols}) SELECT {cols} FROM batch_items "
                    f"ON CONFLICT (item_id) DO UPDATE SET {sets}")
        con.unregister("batch_items")
    if plan.links:
        links = pa.table({
            "item_id": [k[0] for k in plan.links], "source_id": [k[1] for k in plan.links],
            "url": list(plan.links.values()), "first_seen_at": pa.array([now] * len(plan.links), _TS),
        })
        con.register("batch_links", links)
        con.execute("INSERT INTO item_sources SELECT * FROM batch_links ON CONFLICT DO NOTHING")
        con.execute("""
            UPDATE items SET sources = s.sources FROM (
                SELECT item_id, list(source_id ORDER BY first_seen_at, source_id) AS sources
                FROM item_sources WHERE item_id IN (SELECT item_id FROM batch_links) GROUP BY item_id
            ) s WHERE items.item_id = s.item_id AND items.sources <> s.sources""")
        con.unregister("batch_links")


_FACT_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("lab", pa.string()), ("family", pa.string()),
    ("models", pa.list_(pa.string())), ("total_params_b", pa.float64()), ("active_params_b", pa.float64()),
    ("context_tokens", pa.int64()), ("license", pa.string()), ("open_weights", pa.string()),
    ("modalities", pa.list_(pa.string())), ("reasoning", pa.bool_()), ("extracted_at", _TS),
])


def _write_facts(con: duckdb.DuckDBPyConnection, plan: _Plan, now: datetime) -> None:
    """The release facts of the items this batch inserts or updates (replacing older readings)."""
    written = {**plan.inserts, **plan.updates}
    rows = [{"item_id": item_id, "lab": f.lab, "family": f.family, "models": list(f.models),
             "total_params_b": f.total_params_b, "active_params_b": f.active_params_b,
             "context_tokens": f.context_tokens, "license": f.license, "open_weights": f.open_weights,
             "modalities": list(f.modalities), "reasoning": f.reasoning, "extracted_at": now}
            for item_id, item in written.items() if (f := item.facts) is not None]
    if not rows:
        return
    con.register("batch_facts", pa.Table.from_pylist(rows, schema=_FACT_SCHEMA))
    con.execute("INSERT OR REPLACE INTO item_facts SELECT * FROM batch_facts")
    con.unregister("batch_facts")


def _write_fetches(con: duckdb.DuckDBPyConnection, run_id: str, runs: Sequence[SourceRun],
                   plan: _Plan, *, record: bool) -> list[SourceReport]:
    reports, rows = [], []
    for run in runs:
        counts = plan.counts.get(run.source_id, _Counts())
        fetched = [d for d in run.documents if not d.archived]
        rows.append({
            "run_id": run_id, "source_id": run.source_id, "url": run.url,
            "started_at": run.started_at, "finished_at": run.finished_at, "http_status": run.status,
            "not_modified": run.not_modified, "attempts": run.attempts, "documents": len(fetched),
            "bytes": sum(len(d.document.body) for d in fetched), "items_seen": run.entries_seen,
            "items_new": counts.new, "items_updated": counts.updated, "error": run.error,
            "transient": run.transient, "problems": list(run.problems),
        })
        reports.append(SourceReport(run.source_id, run.status, run.not_modified, run.entries_seen,
                                    counts.new, counts.updated, run.error, run.problems))
    if rows and record:
        table = pa.Table.from_pylist(rows, schema=pa.schema([
            ("run_id", pa.string()), ("source_id", pa.string()), ("url", pa.string()),
            ("started_at", _TS), ("finished_at", _TS), ("http_status", pa.int32()),
            ("not_modified", pa.bool_()), ("attempts", pa.int32()), ("documents", pa.int32()),
            ("bytes", pa.int64()), ("items_seen", pa.int32()), ("items_new", pa.int32()),
            ("items_updated", pa.int32()), ("error", pa.string()), ("transient", pa.bool_()),
            ("problems", pa.list_(pa.string()))]))
        con.register("batch_fetches", table)
        con.execute("INSERT INTO fetches SELECT * FROM batch_fetches")
        con.unregister("batch_fetches")
    return reports


def commit_run(path: Path, *, run_id: str, mode: str, started_at: datetime, finished_at: datetime,
               sources: Sequence[AnySource], runs: Sequence[SourceRun]) -> IngestReport:
    """Store every source's batch of one run in one transaction and checkpoint."""
    items = [item for run in runs for item in run.items]
    with connect(path) as con:
        con.execute("BEGIN")
        try:
            by_id, by_fp = _known(con, items) if items else ({}, {})
            plan = _plan(runs, by_id, by_fp)
            _write_items(con, plan, finished_at)
            _write_facts(con, plan, finished_at)
            write_documents(con, run_id, runs, finished_at)
            # a reparse contacts no source: it changes neither their state nor `fetches`
            fetched = () if mode == "reparse" else runs
            write_sources(con, sources, fetched, finished_at)
            # release events, rebuilt whole when items changed, on a reparse, and when the
            # tables are empty beside stored facts (a warehouse migrated from version 4)
            if plan.inserts or plan.updates or mode == "reparse" or releases_missing(con):
                rebuild_releases(con, finished_at)
            reports = _write_fetches(con, run_id, runs, plan, record=bool(fetched))
            report = IngestReport(run_id, mode, started_at, finished_at, tuple(reports))
            con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                run_id, started_at, finished_at, mode, len(runs), len(report.failed),
                sum(1 for r in runs if r.not_modified), report.items_new, report.items_updated])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
    return report
