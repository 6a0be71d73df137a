"""Plain-Python orchestration shared by the CLI and the Prefect flows (no Prefect here).

    prepare ──▶ collect_source (per source, concurrent: fetch → parse → normalize) ──▶ commit

Time enters through ``clock``; a source's failure is recorded in its
``SourceRun`` and never stops the others.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from owingest import store
from owingest.classify.records import ClassifyInput
from owingest.config import FeedSource, HtmlSource, HubSource, SourcesConfig
from owingest.errors import SourceError
from owingest.fetch import Fetcher, ReplayTransport
from owingest.fetch.robots import fetch_if_allowed
from owingest.models import (
    Document,
    FetchedDocument,
    IngestReport,
    Item,
    RawEntry,
    SourceRun,
    SourceState,
)
from owingest.parse.pool import ParserPool
from owingest.parse.work import items_from_documents, listing_entries

if TYPE_CHECKING:
    from owingest.classify.labeler import Labeler

__all__ = ["Clock", "Run", "classify_runs", "collect_source", "commit",
           "open_fetcher", "prepare", "reparse", "run_ingest", "slowest_first"]

AnySource = FeedSource | HubSource | HtmlSource
Clock = Callable[[], datetime]
_ACCEPT = {
    "feed": "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
    "hf_models": "application/json",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Run:
    """One ingest run: what to fetch, the fetch state, where to store it."""

    run_id: str
    mode: str
    started_at: datetime
    config: SourcesConfig
    sources: tuple[AnySource, ...]
    states: dict[str, SourceState]
    warehouse: Path
    classifier: Labeler | None = None
    backing_off: tuple[tuple[str, datetime], ...] = ()   # failing sources skipped this run, until when


def prepare(config: SourcesConfig, warehouse: Path, *, only: list[str] | None = None,
            mode: str = "live", classifier: Labeler | None = None, clock: Clock = utc_now) -> Run:
    """Select the sources and read their fetch state (a short read of the warehouse). A failing
    source still backing off is skipped, unless it is named with ``only``. Sources are
    ordered slowest first by their previous fetch, so the slow ones overlap the rest of the run."""
    started = clock()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    states = store.source_states(warehouse)
    selected = config.select(only)
    waiting = {s.id: states[s.id].next_attempt_at for s in selected
               if not only and mode != "reparse" and s.id in states
               and (states[s.id].next_attempt_at or started) > started}
    sources = tuple(s for s in selected if s.id not in waiting)
    if mode != "reparse":
        sources = slowest_first(sources, store.last_fetch_seconds(warehouse))
    return Run(run_id, mode, started, config, sources, states, warehouse, classifier,
               tuple((sid, until) for sid, until in waiting.items() if until is not None))


def slowest_first(sources: Sequence[AnySource], seconds: dict[str, float]) -> tuple[AnySource, ...]:
    """Longest processing time first: a run is bounded by its slowest source only if that
    source starts early. Sources never fetched count as slow; ties keep the config order."""
    return tuple(sorted(sources, key=lambda s: -seconds.get(s.id, float("inf"))))


def open_fetcher(run: Run, *, replay: Path | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> Fetcher:
    """The run's one fetcher: live, or answering from a replay snapshot."""
    if replay is not None:
        transport = ReplayTransport(replay)
    return Fetcher(run.config.fetch, transport=transport)


async def _pages(fetcher: Fetcher, source: AnySource, first: Document) -> tuple[list[Document], list[str]]:
    pages: list[Document] = [first]
    problems: list[str] = []
    limit = source.max_pages if isinstance(source, HubSource) else 1
    seen = {first.url}
    while pages[-1].next_url and len(pages) < limit:
        nxt = pages[-1].next_url
        if nxt in seen:
            problems.append("pagination loops back to a page already read")
            break
        seen.add(nxt)
        outcome = await fetcher.fetch(nxt, accept=_ACCEPT[source.kind])
        if outcome.document is None:
            problems.append(f"page {len(pages) + 1}: {outcome.error}")
            break
        pages.append(outcome.document)
    if pages[-1].next_url and len(pages) >= limit:
        problems.append(f"stopped after {limit} pages (max_pages)")
    return pages, problems


async def _articles(fetcher: Fetcher, source: HtmlSource, entries: Sequence[RawEntry],
                    warehouse: Path) -> tuple[list[FetchedDocument], list[str]]:
    """Article pages for listing entries that lack a date or a summary: from the archive
    when we have them, else fetched (at most ``max_articles``)."""
    wanted = [e.link for e in entries if e.link and (not e.dates or not e.summary_html)]
    wanted = list(dict.fromkeys(u for u in wanted if u))
    archived = store.archived_bodies(warehouse, wanted)
    docs = [FetchedDocument("article", n, d, archived=True) for n, d in enumerate(archived.values())]
    missing = [u for u in wanted if u not in archived][: source.max_articles]
    outcomes = await asyncio.gather(*(fetch_if_allowed(fetcher, u, accept=_ACCEPT["html"])
                                      for u in missing))
    problems = [f"article {o.url}: {o.error}" for o in outcomes if o.document is None]
    docs += [FetchedDocument("article", len(docs) + n, o.document)
             for n, o in enumerate(outcomes) if o.document is not None]
    return docs, problems


async def _collect(fetcher: Fetcher, parser: ParserPool, run: Run, source: AnySource,
                   clock: Clock) -> SourceRun:
    started = clock()
    state = run.states.get(source.id, SourceState())
    fetch = fetch_if_allowed if isinstance(source, HtmlSource) else Fetcher.fetch  # robots.txt
    outcome = await fetch(fetcher, source.url, state, accept=_ACCEPT[source.kind])
    # from its turn, not from the queue for a connection: that is what ``slowest_first`` reads
    started = min(started + timedelta(seconds=outcome.queued), clock())
    base = SourceRun(source_id=source.id, url=source.url, started_at=started, finished_at=started,
                     status=outcome.status, not_modified=outcome.not_modified,
                     attempts=outcome.attempts, etag=outcome.etag, last_modified=outcome.last_modified,
                     error=outcome.error, transient=outcome.transient if outcome.error else None)
    if outcome.document is None:
        return replace(base, finished_at=clock())
    pages, problems = await _pages(fetcher, source, outcome.document)
    documents = [FetchedDocument("listing", n, d) for n, d in enumerate(pages)]
    try:
        if isinstance(source, HtmlSource):
            entries = await parser.run(listing_entries, source, pages[0])
            articles, more = await _articles(fetcher, source, entries, run.warehouse)
            documents += articles
            problems += more
        items, seen, parse_problems = await parser.run(items_from_documents, source, documents, clock())
    except SourceError as err:
        # keep the old validators: an unchanged broken document must be fetched and reported again
        return replace(base, finished_at=clock(), documents=tuple(documents), error=str(err),
                       transient=err.transient, problems=tuple(problems),
                       etag=state.etag, last_modified=state.last_modified)
    return replace(base, finished_at=clock(), documents=tuple(documents), items=tuple(items),
                   entries_seen=seen, problems=tuple(problems + parse_problems))


async def collect_source(fetcher: Fetcher, parser: ParserPool, run: Run, source: AnySource, *,
                         clock: Clock = utc_now) -> SourceRun:
    """Fetch one source, parse and normalize it in a parser process. Never raises for the
    source's own failures: an unexpected error in a parser is recorded like any other."""
    try:
        return await _collect(fetcher, parser, run, source, clock)
    except Exception as err:  # noqa: BLE001 - isolation boundary: one broken source never stops the run
        now = clock()
        return SourceRun(source_id=source.id, url=source.url, started_at=now, finished_at=now,
                         status=None, not_modified=False, attempts=1,
                         etag=run.states.get(source.id, SourceState()).etag,
                         last_modified=run.states.get(source.id, SourceState()).last_modified,
                         error=f"parse: unexpected {type(err).__name__}: {str(err)[:200]}",
                         transient=False)


def _input(item: Item, source: AnySource | None) -> ClassifyInput:
    return ClassifyInput(title=item.title, summary=item.summary, source_kind=item.kind,
                         source_lab=source.lab if source else None,
                         source_tags=source.tags if source else (),
                         published=item.published_at.date() if item.published_at else None)


def classify_runs(run: Run, runs: Sequence[SourceRun]) -> list[SourceRun]:
    """Label every item of the run in one batch (a no-op without a classifier); an item the
    model cannot label is stored unclassified, with the reason."""
    if run.classifier is None:
        return list(runs)
    by_id = {s.id: s for s in run.config.sources}
    items = [(r, i) for r in runs for i in r.items]
    labels = iter(run.classifier.label([_input(i, by_id.get(r.source_id)) for r, i in items]))
    return [replace(r, items=tuple(replace(i, classification=next(labels)) for i in r.items)) for r in runs]


def commit(run: Run, runs: Sequence[SourceRun], *, clock: Clock = utc_now) -> IngestReport:
    """Label the run's items and store its batches in one transaction."""
    runs = classify_runs(run, runs)
    report = store.commit_run(run.warehouse, run_id=run.run_id, mode=run.mode,
                              started_at=run.started_at, finished_at=clock(),
                              sources=run.config.sources, runs=runs)
    return replace(report, backing_off=run.backing_off)


async def run_ingest(config: SourcesConfig, warehouse: Path, *, only: list[str] | None = None,
                     replay: Path | None = None, transport: httpx.AsyncBaseTransport | None = None,
                     classifier: Labeler | None = None, clock: Clock = utc_now,
                     on_source: Callable[[SourceRun], None] | None = None) -> IngestReport:
    """Run every selected source and store the results: the whole ingest, in plain Python."""
    run = prepare(config, warehouse, only=only, mode="replay" if replay else "live",
                  classifier=classifier, clock=clock)
    async with open_fetcher(run, replay=replay, transport=transport) as fetcher:
        async def one(source: AnySource) -> SourceRun:
            result = await collect_source(fetcher, parser, run, source, clock=clock)
            if on_source is not None:
                on_source(result)
            return result
        with ParserPool() as parser:
            runs = await asyncio.gather(*(one(s) for s in run.sources))
    return commit(run, runs, clock=clock)


def reparse(config: SourcesConfig, warehouse: Path, *, only: list[str] | None = None,
            classifier: Labeler | None = None, clock: Clock = utc_now) -> IngestReport:
    """Re-parse every selected source's newest archived documents: no network at all."""
    run = prepare(config, warehouse, only=only, mode="reparse", classifier=classifier, clock=clock)
    latest = store.latest_documents(warehouse, [s.id for s in run.sources])

    async def all_sources() -> list[SourceRun]:
        with ParserPool() as parser:
            found = await asyncio.gather(*(_reparse_one(parser, run, s, latest.get(s.id), clock)
                                           for s in run.sources))
        return [r for r in found if r is not None]
    return commit(run, asyncio.run(all_sources()), clock=clock)


async def _reparse_one(parser: ParserPool, run: Run, source: AnySource, docs: list[FetchedDocument] | None,
                       clock: Clock) -> SourceRun | None:
    if not docs:
        return None
    start = clock()
    if isinstance(source, HtmlSource):
        links = [e.link for d in docs for e in await _safe_entries(parser, source, d.document) if e.link]
        articles = store.archived_bodies(run.warehouse, links)
        docs = docs + [FetchedDocument("article", n, d, archived=True) for n, d in enumerate(articles.values())]
    state = run.states.get(source.id, SourceState())
    base = SourceRun(source.id, source.url, start, start, 200, False, 0, state.etag, state.last_modified,
                     documents=tuple(docs))
    try:
        items, seen, problems = await parser.run(items_from_documents, source, docs, start)
    except SourceError as err:
        return replace(base, finished_at=clock(), error=str(err), transient=False)
    return replace(base, finished_at=clock(), items=tuple(items), entries_seen=seen, problems=tuple(problems))


async def _safe_entries(parser: ParserPool, source: HtmlSource, document: Document) -> tuple[RawEntry, ...]:
    try:
        return await parser.run(listing_entries, source, document)
    except SourceError:
        return ()
