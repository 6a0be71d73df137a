"""Values passed between the stages. Frozen dataclasses, no I/O.

Third-party shapes (``httpx.Response``, ``FeedParserDict``, bs4 ``Tag``) stop at
the stage that produced them; everything downstream sees these types only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from owingest.extract.facts import ReleaseFacts

__all__ = [
    "PHASES",
    "TOPICS",
    "Classification",
    "DateCandidate",
    "Document",
    "FetchOutcome",
    "FetchedDocument",
    "IngestReport",
    "Item",
    "ParseResult",
    "RawEntry",
    "SourceReport",
    "SourceRun",
    "SourceState",
    "Unclassified",
]


#: The labels of LABELS.md: topics (several or none per item) and phases (one per item).
TOPICS = ("release", "infra", "safety")
PHASES = ("baseline", "scaling", "frontier")


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the warehouse remembers of a source between runs (conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None
    next_attempt_at: datetime | None = None   # a failing source backs off until then


@dataclass(frozen=True, slots=True)
class Document:
    """One fetched HTTP response body, already size-capped and decoded."""

    url: str                    # the URL that was asked for
    final_url: str              # after redirects; base for relative links
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    next_url: str | None = None  # pagination: the response's Link rel="next"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """The result of fetching one source URL: a document, not modified, or an error."""

    url: str
    document: Document | None = None
    not_modified: bool = False
    status: int | None = None
    error: str | None = None
    transient: bool = False
    attempts: int = 1
    etag: str | None = None
    last_modified: str | None = None
    queued: float = 0.0         # seconds the first request waited for a connection slot

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class DateCandidate:
    """A publication date found in a document, and where it was found."""

    value: datetime             # timezone-aware, UTC
    origin: str                 # e.g. "rss:pubDate", "meta:article:published_time", "listing"


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as a parser read it, before normalization."""

    title: str
    link: str | None = None
    guid: str | None = None
    summary_html: str = ""
    author: str | None = None
    dates: tuple[DateCandidate, ...] = ()
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()          # "prerelease", "nightly", ...
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Classification:
    """The labels a model gave an item, with its probabilities and version."""

    topics: tuple[str, ...]
    phase: str
    relevant: bool
    topic_probs: dict[str, float]
    phase_probs: dict[str, float]
    model_version: str = ""     # set by the Classifier that wraps the model


@dataclass(frozen=True, slots=True)
class Unclassified:
    """Why an item has no labels (stored in ``items.label_error``)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Item:
    """One normalized item, ready for the warehouse."""

    item_id: str
    source_id: str
    kind: str
    url: str | None
    guid: str | None
    title: str
    summary: str
    author: str | None
    published_at: datetime | None
    published_origin: str | None
    date_candidates: tuple[DateCandidate, ...]
    categories: tuple[str, ...]
    flags: tuple[str, ...]
    meta: dict[str, Any]
    fingerprint: str | None
    content_hash: str
    classification: Classification | Unclassified | None = None
    facts: ReleaseFacts | None = None     # set when the item names a known model family


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a parser made of one document: entries, and the problems it worked around."""

    entries: tuple[RawEntry, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A fetched document and its role in its source: ``listing`` (a feed, a
    listing page or a Hub page) or ``article`` (a page linked from a listing)."""

    role: str
    seq: int
    document: Document
    archived: bool = False      # came from the warehouse archive, not the network


@dataclass(frozen=True, slots=True)
class SourceRun:
    """Everything one source produced in one run, ready to be stored in one batch."""

    source_id: str
    url: str
    started_at: datetime
    finished_at: datetime
    status: int | None
    not_modified: bool
    attempts: int
    etag: str | None
    last_modified: str | None
    documents: tuple[FetchedDocument, ...] = ()
    items: tuple[Item, ...] = ()
    entries_seen: int = 0
    error: str | None = None
    transient: bool | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What the warehouse made of one source's batch."""

    source_id: str
    status: int | None
    not_modified: bool
    items_seen: int
    items_new: int
    items_updated: int
    error: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """The outcome of one run, for the CLI table and the Prefect artifact."""

    run_id: str
    mode: str
    started_at: datetime
    finished_at: datetime
    sources: tuple[SourceReport, ...]
    backing_off: tuple[tuple[str, datetime], ...] = ()   # failing sources not asked this run

    @property
    def items_new(self) -> int:
        return sum(s.items_new for s in self.sources)

    @property
    def items_updated(self) -> int:
        return sum(s.items_updated for s in self.sources)

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        return tuple(s for s in self.sources if s.error)

    @property
    def all_failed(self) -> bool:
        return bool(self.sources) and len(self.failed) == len(self.sources)
