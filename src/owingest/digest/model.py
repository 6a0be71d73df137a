"""The digest as values: what ``build_digest`` returns and every renderer reads. No I/O.

Text from feeds is kept as plain text here (control characters removed); each
renderer escapes it for its own format. URLs are kept only when they are http(s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from owingest.digest.period import Period
from owingest.models import TOPICS

__all__ = [
    "TOPICS",
    "Charts",
    "Counts",
    "Digest",
    "HealthNote",
    "LabelCandidate",
    "Release",
    "Section",
    "Source",
    "Story",
]



@dataclass(frozen=True, slots=True)
class Counts:
    """The headline numbers of one period; ``releases`` is None without the release tracker."""

    items: int
    on_topic: int
    releases: int | None
    topics: dict[str, int]


@dataclass(frozen=True, slots=True)
class Source:
    source_id: str
    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Story:
    """One story of the period: a stored item, or several near-duplicate items merged."""

    story_id: str
    title: str
    url: str | None
    summary: str
    published_at: datetime | None
    phase: str | None
    topics: tuple[str, ...]
    confidence: dict[str, float]  # per topic: the model's probability (1.0 for a person's label)
    score: float  # the ranking score in the section it is listed in
    lab: str | None
    sources: tuple[Source, ...]
    item_ids: tuple[str, ...]
    human: bool


@dataclass(frozen=True, slots=True)
class Section:
    topic: str
    stories: tuple[Story, ...]  # the top ones, best first
    total: int  # stories of this topic in the period


@dataclass(frozen=True, slots=True)
class Release:
    release_id: str
    lab: str | None
    family: str | None
    models: tuple[str, ...]
    announced_at: datetime | None
    total_params_b: float | None
    active_params_b: float | None
    context_tokens: int | None
    license: str | None
    open_weights: str | None
    n_sources: int | None
    url: str | None


@dataclass(frozen=True, slots=True)
class LabelCandidate:
    """An item the model was least sure about: a person's label would help most here."""

    item_id: str
    title: str
    url: str | None
    source_id: str
    topics: tuple[str, ...]
    phase: str | None
    margin: float  # distance of the least decisive probability from a coin toss


@dataclass(frozen=True, slots=True)
class HealthNote:
    source_id: str
    name: str
    health: str  # failing | silent
    since: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class Charts:
    """The numbers behind the charts."""

    weekly: tuple[tuple[str, dict[str, int]], ...]  # (ISO week, items per topic), 12 weeks
    releases_per_lab: tuple[tuple[str, int], ...] | None  # trailing 52 weeks; None: no tracker
    open_by_phase: tuple[tuple[str, dict[str, int]], ...] | None


@dataclass(frozen=True, slots=True)
class Digest:
    period: Period
    current: Counts
    previous: Counts
    sections: tuple[Section, ...]
    releases: tuple[Release, ...] | None  # None: the release tracker is absent
    top_labs: tuple[tuple[str, int], ...]
    needs_label: tuple[LabelCandidate, ...]
    health: tuple[HealthNote, ...]
    charts: Charts
    model_versions: tuple[str, ...]
