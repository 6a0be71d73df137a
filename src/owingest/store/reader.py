"""Reads the pipeline needs from the warehouse: fetch state and the raw-document archive."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

from owingest.models import Document, FetchedDocument, SourceState
from owingest.store.connection import connect

__all__ = ["archived_bodies", "last_fetch_seconds", "latest_documents", "source_states"]


def source_states(path: Path) -> dict[str, SourceState]:
    """The validators (ETag, Last-Modified) kept from each source's previous run, and its backoff."""
    if not path.exists():
        return {}
    with connect(path) as con:
        rows = con.execute("SELECT source_id, etag, last_modified, next_attempt_at FROM sources").fetchall()
    return {r[0]: SourceState(etag=r[1], last_modified=r[2], next_attempt_at=r[3]) for r in rows}


def last_fetch_seconds(path: Path) -> dict[str, float]:
    """How long each source's most recent run took, in seconds: from its first request's turn
    (the wait for a connection slot under the run's concurrency bounds is not counted) to the
    end of its fetches (retries, further pages, article pages) and parsing. The pipeline
    starts the slowest sources first."""
    if not path.exists():
        return {}
    with connect(path) as con:
        rows = con.execute("""
            SELECT source_id, arg_max(epoch(finished_at) - epoch(started_at), finished_at)
            FROM fetches GROUP BY source_id""").fetchall()
    return {r[0]: float(r[1]) for r in rows if r[1] is not None}


def _document(url: str, final_url: str, content_type: str | None, body: bytes) -> Document:
    return Document(url=url, final_url=final_url, status=200, body=gzip.decompress(body),
                    content_type=content_type, etag=None, last_modified=None)


def archived_bodies(path: Path, urls: Iterable[str]) -> dict[str, Document]:
    """The newest archived document for each of ``urls`` that the archive has."""
    wanted = sorted(set(urls))
    if not wanted or not path.exists():
        return {}
    with connect(path) as con:
        rows = con.execute("""
            SELECT d.url, d.final_url, d.content_type, r.body
            FROM documents d JOIN raw_documents r USING (sha256)
            WHERE d.url IN (SELECT unnest(?))
            QUALIFY row_number() OVER (PARTITION BY d.url ORDER BY d.fetched_at DESC, d.run_id DESC) = 1
        """, [wanted]).fetchall()
    return {r[0]: _document(r[0], r[1], r[2], r[3]) for r in rows}


def latest_documents(path: Path, source_ids: Iterable[str]) -> dict[str, list[FetchedDocument]]:
    """For each source, the listing documents of its newest run that fetched any, in page order."""
    ids = sorted(set(source_ids))
    with connect(path) as con:
        rows = con.execute("""
            WITH last AS (
                SELECT source_id, max(run_id) AS run_id FROM documents
                WHERE role = 'listing' AND source_id IN (SELECT unnest(?)) GROUP BY source_id)
            SELECT d.source_id, d.url, d.final_url, d.content_type, d.seq, r.body
            FROM documents d JOIN last USING (source_id, run_id) JOIN raw_documents r USING (sha256)
            WHERE d.role = 'listing' ORDER BY d.source_id, d.seq
        """, [ids]).fetchall()
    found: dict[str, list[FetchedDocument]] = {}
    for sid, url, final_url, ctype, seq, body in rows:
        found.setdefault(sid, []).append(
            FetchedDocument("listing", seq, _document(url, final_url, ctype, body), archived=True))
    return found
