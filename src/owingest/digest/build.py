"""Build a digest: the period's rows in, a ``Digest`` out. Pure and deterministic.

``read_week`` (query.py) does the reading; ``build_digest`` never touches the
warehouse or the clock, so the same rows always give the same digest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from owingest.digest.health import HealthRow
from owingest.digest.model import (
    TOPICS,
    Charts,
    Counts,
    Digest,
    HealthNote,
    LabelCandidate,
    Release,
    Section,
)
from owingest.digest.period import Period, week_of
from owingest.digest.query import ItemRow, WeekData, read_week
from owingest.digest.stories import cluster, make_story, rank
from owingest.digest.text import plain, safe_url

__all__ = ["build_digest", "digest_of"]

UNSURE = 0.25  # an item needs a person when a probability lies within this of a coin toss


def _counts(items: Sequence[ItemRow], releases: int | None) -> Counts:
    return Counts(
        items=len(items),
        on_topic=sum(1 for i in items if i.topics),
        releases=releases,
        topics={t: sum(1 for i in items if t in i.topics) for t in TOPICS},
    )


def _margin(item: ItemRow) -> float | None:
    if item.label_source != "model" or not item.topic_probs or not item.phase_probs:
        return None
    topic = min(abs(float(item.topic_probs.get(t) or 0.0) - 0.5) for t in TOPICS)
    return min(topic, max(float(p or 0.0) for p in item.phase_probs.values()) - 0.5)


def _needs_label(items: Sequence[ItemRow], limit: int) -> tuple[LabelCandidate, ...]:
    scored = sorted(
        ((m, i) for i in items if (m := _margin(i)) is not None and m < UNSURE),
        key=lambda pair: (pair[0], pair[1].item_id),
    )
    return tuple(
        LabelCandidate(
            item_id=i.item_id,
            title=plain(i.title) or "(untitled)",
            url=safe_url(i.url),
            source_id=i.sources[0].source_id if i.sources else "",
            topics=i.topics,
            phase=i.phase,
            margin=round(m, 4),
        )
        for m, i in scored[:limit]
    )


def _days(delta_seconds: float) -> str:
    days = delta_seconds / 86400
    return f"{days:.0f} days" if days >= 2 else f"{delta_seconds / 3600:.0f} hours"


def _health(rows: Sequence[HealthRow]) -> tuple[HealthNote, ...]:
    notes = []
    for r in rows:
        name = plain(r.name or r.source_id)
        if r.last_error:
            notes.append(
                HealthNote(
                    r.source_id,
                    name,
                    "failing",
                    r.failing_since,
                    f"{r.failures} failed fetch{'es' if r.failures != 1 else ''} in a row: "
                    f"{plain(r.last_error)[:200]}",
                )
            )
        elif r.silent and r.newest_item_at and r.usual_interval:  # as of the period's end
            notes.append(
                HealthNote(
                    r.source_id,
                    name,
                    "silent",
                    r.newest_item_at,
                    f"no item since {r.newest_item_at:%Y-%m-%d}; usually one every "
                    f"{_days(r.usual_interval.total_seconds())}",
                )
            )
    return tuple(sorted(notes, key=lambda n: (n.health, n.source_id)))


def _releases(data: WeekData) -> tuple[Release, ...] | None:
    if not data.tracker:
        return None
    return tuple(  # the rows as read, their feed-borne text made plain and their URL safe
        replace(r, lab=plain(r.lab) or None, family=plain(r.family) or None,
                models=tuple(plain(m) for m in r.models), license=plain(r.license) or None,
                url=safe_url(r.url))
        for r in data.releases
    )


def _charts(data: WeekData) -> Charts:
    return Charts(
        weekly=tuple((week_of(since.date()).label, counts) for since, counts in data.weekly),
        releases_per_lab=tuple((plain(lab), n) for lab, n in data.releases_per_lab)
        if data.tracker
        else None,
        open_by_phase=tuple(data.open_by_phase) if data.tracker else None,
    )


def build_digest(data: WeekData, period: Period, *, top: int = 20, label_box: int = 5) -> Digest:
    """The digest of ``period`` from its rows: ``top`` stories per topic, ``label_box`` items to label."""
    groups = cluster(data.items)
    stories = [(make_story(g), g) for g in groups]
    sections = []
    for topic in TOPICS:
        ranked = rank(stories, topic)
        sections.append(Section(topic=topic, stories=tuple(ranked[:top]), total=len(ranked)))
    labs = Counter(s.lab for s, _ in stories if s.lab and s.topics)
    releases = _releases(data)
    return Digest(
        period=period,
        current=_counts(data.items, len(releases) if releases is not None else None),
        previous=Counts(
            items=data.previous["items"],
            on_topic=data.previous["on_topic"],
            releases=data.previous_releases if data.tracker else None,
            topics={t: data.previous[t] for t in TOPICS},
        ),
        sections=tuple(sections),
        releases=releases,
        top_labs=tuple(sorted(labs.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
        needs_label=_needs_label(data.items, label_box),
        health=_health(data.health),
        charts=_charts(data),
        model_versions=tuple(sorted({i.model_version for i in data.items if i.model_version})),
    )


def digest_of(warehouse: Path, period: Period, *, top: int = 20) -> Digest:
    """Read ``period`` from ``warehouse`` and build its digest."""
    return build_digest(read_week(warehouse, period), period, top=top)
