"""What a parser worker process runs: a source's documents to normalized items.

Kept apart from ``pipeline`` on purpose: a worker imports only this module and what it
needs (the parsers, ``normalize``, ``extract``), not DuckDB, Arrow, httpx or the
classifier. ``ParserPool`` preloads it into the fork server, so each worker starts with it
already imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from owingest.config import FeedSource, HtmlSource, HubSource
from owingest.extract import ReleaseFacts, extract_facts
from owingest.models import Document, FetchedDocument, Item, RawEntry
from owingest.normalize import normalize_entry
from owingest.parse import parse_article, parse_document

__all__ = ["items_from_documents", "listing_entries"]

AnySource = FeedSource | HubSource | HtmlSource


def _with_article(entry: RawEntry, article: Document | None) -> RawEntry:
    if article is None:
        return entry
    meta = parse_article(article)
    dates = entry.dates + tuple(d for d in meta.dates if d not in entry.dates)
    summary = entry.summary_html or meta.description or ""
    return replace(entry, dates=dates, summary_html=summary)


def _facts(item: Item, source: AnySource | None) -> ReleaseFacts | None:
    facts = extract_facts(title=item.title, summary=item.summary, source_kind=item.kind,
                          source_lab=source.lab if source else None, meta=item.meta,
                          published=item.published_at.date() if item.published_at else None)
    return facts if facts.family or item.kind == "hf_models" else None


def items_from_documents(source: AnySource, documents: Sequence[FetchedDocument], now: datetime
                         ) -> tuple[list[Item], int, list[str]]:
    """Parse and normalize a source's documents and read each item's release facts:
    (items, entries seen, problems). Runs in a parser worker. Raises ``SourceError`` when a
    listing document is unusable."""
    listings = [d for d in documents if d.role == "listing"]
    articles = {d.document.url: d.document for d in documents if d.role == "article"}
    items: dict[str, Item] = {}
    seen = 0
    problems: list[str] = []
    for fetched in listings:
        result = parse_document(source, fetched.document)
        problems += result.problems
        for entry in result.entries:
            seen += 1
            if isinstance(source, HtmlSource) and entry.link:
                entry = _with_article(entry, articles.get(entry.link))
            item = normalize_entry(entry, source_id=source.id, kind=source.kind,
                                   base_url=fetched.document.final_url, now=now)
            if item is not None and item.item_id not in items:
                items[item.item_id] = replace(item, facts=_facts(item, source))
    return list(items.values()), seen, problems


def listing_entries(source: AnySource, document: Document) -> tuple[RawEntry, ...]:
    """The raw entries of a listing page (to know which article pages to fetch)."""
    return parse_document(source, document).entries
