"""The run log of a batch: the fetched documents (archived once by hash) and each source's
fetch state and health. Called inside ``writer.commit_run``'s transaction."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from owingest.config import FeedSource, HtmlSource, HubSource
from owingest.models import SourceRun

__all__ = ["write_documents", "write_sources"]

AnySource = FeedSource | HtmlSource | HubSource
_TS = pa.timestamp("us", tz="UTC")


def write_documents(con: duckdb.DuckDBPyConnection, run_id: str, runs: Sequence[SourceRun],
                     now: datetime) -> None:
    raws: dict[str, bytes] = {}
    docs = []
    for run in runs:
        for fetched in run.documents:
            if fetched.archived:
                continue
            body = fetched.document.body
            sha = hashlib.sha256(body).hexdigest()
            raws.setdefault(sha, body)
            docs.append({"run_id": run_id, "source_id": run.source_id, "url": fetched.document.url,
                         "final_url": fetched.document.final_url, "role": fetched.role,
                         "seq": fetched.seq, "content_type": fetched.document.content_type,
                         "sha256": sha, "fetched_at": now})
    if not docs:
        return
    present = {r[0] for r in con.execute(
        "SELECT sha256 FROM raw_documents WHERE sha256 IN (SELECT unnest(?))", [list(raws)]).fetchall()}
    fresh = [(sha, body) for sha, body in raws.items() if sha not in present]
    if fresh:
        con.register("batch_raw", pa.table({
            "sha256": [s for s, _ in fresh], "size_bytes": pa.array([len(b) for _, b in fresh], pa.int64()),
            "compression": ["gzip"] * len(fresh),
            "body": pa.array([gzip.compress(b, 6, mtime=0) for _, b in fresh], pa.binary()),
            "first_fetched_at": pa.array([now] * len(fresh), _TS)}))
        con.execute("INSERT INTO raw_documents SELECT * FROM batch_raw ON CONFLICT DO NOTHING")
        con.unregister("batch_raw")
    unique = {(d["source_id"], d["url"]): d for d in docs}
    con.register("batch_docs", pa.Table.from_pylist(list(unique.values())))
    con.execute("INSERT INTO documents SELECT run_id, source_id, url, final_url, role, seq, content_type, "
                "sha256, fetched_at FROM batch_docs ON CONFLICT DO NOTHING")
    con.unregister("batch_docs")


def write_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[AnySource],
                   runs: Sequence[SourceRun], now: datetime) -> None:
    by_id = {r.source_id: r for r in runs}
    rows = []
    for src in sources:
        run = by_id.get(src.id)
        rows.append({
            "source_id": src.id, "kind": src.kind, "url": src.url, "name": src.name, "lab": src.lab,
            "tags": list(src.tags), "enabled": src.enabled, "ran": run is not None,
            "ok": run is not None and run.ok, "etag": run.etag if run else None,
            "last_modified": run.last_modified if run else None,
            "last_status": run.status if run else None, "error": run.error if run else None,
            "attempted_at": now,
        })
    con.register("batch_sources", pa.Table.from_pylist(rows))
    con.execute("""
        INSERT INTO sources (source_id, kind, url, name, lab, tags, enabled, etag, last_modified,
                             last_status, last_attempt_at, last_success_at, consecutive_failures, last_error,
                             next_attempt_at)
        SELECT source_id, kind, url, name, lab, tags, enabled,
               CASE WHEN ran THEN etag END, CASE WHEN ran THEN last_modified END,
               last_status, CASE WHEN ran THEN attempted_at END, CASE WHEN ok THEN attempted_at END,
               CASE WHEN ran AND NOT ok THEN 1 ELSE 0 END, error,
               CASE WHEN ran AND NOT ok THEN attempted_at + to_seconds(
                   450 + (hash(source_id || ':0') % 1000) * 0.45) END
        FROM batch_sources
        ON CONFLICT (source_id) DO UPDATE SET
            kind = excluded.kind, url = excluded.url, name = excluded.name, lab = excluded.lab,
            tags = excluded.tags, enabled = excluded.enabled,
            etag = CASE WHEN excluded.last_attempt_at IS NULL THEN sources.etag ELSE excluded.etag END,
            last_modified = CASE WHEN excluded.last_attempt_at IS NULL THEN sources.last_modified
                                 ELSE excluded.last_modified END,
            last_status = coalesce(excluded.last_status, sources.last_status),
            last_attempt_at = coalesce(excluded.last_attempt_at, sources.last_attempt_at),
            last_success_at = coalesce(excluded.last_success_at, sources.last_success_at),
            consecutive_failures = CASE
                WHEN excluded.last_attempt_at IS NULL THEN sources.consecutive_failures
                WHEN excluded.last_success_at IS NOT NULL THEN 0
                ELSE sources.consecutive_failures + 1 END,
            -- backoff: 15 min doubling per failure, capped at 48 h, with a per-source jitter
            -- of 50-100 % (deterministic, from the id and the failure count)
            next_attempt_at = CASE
                WHEN excluded.last_attempt_at IS NULL THEN sources.next_attempt_at
                WHEN excluded.last_success_at IS NOT NULL THEN NULL
                ELSE excluded.last_attempt_at + to_seconds(
                    least(172800, 900 * pow(2, least(sources.consecutive_failures, 20)))
                    * (0.5 + (hash(sources.source_id || ':' || sources.consecutive_failures) % 1000) / 2000.0))
                END,
            last_error = CASE WHEN excluded.last_attempt_at IS NULL THEN sources.last_error
                              ELSE excluded.last_error END""")
    con.unregister("batch_sources")
