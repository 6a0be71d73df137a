"""What a digest reads from the warehouse, in one read-only connection.

A warehouse made before a migration the digest reads from (007: the silence macros) is
brought up to date first, once, in a writable connection, as any owingest command would.

Every query is bounded by the period (never by "now"), so the same warehouse and
period always read the same rows. The release tracker's tables (``releases``,
``release_sources``) are optional: without them the release fields stay ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from owingest.digest.health import HealthRow, read_health
from owingest.digest.model import Release
from owingest.digest.period import Period
from owingest.models import PHASES, TOPICS
from owingest.store.connection import connect, migrations

__all__ = [
    "ItemRow",
    "SourceRef",
    "WeekData",
    "latest_week_start",
    "read_week",
]

_AT = "coalesce(i.published_at, i.first_seen_at)"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One source that carried an item, and the URL it gave."""

    source_id: str
    name: str | None
    kind: str
    lab: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    title: str
    summary: str
    url: str | None
    at: datetime
    dated: bool
    kind: str
    topics: tuple[str, ...]
    phase: str | None
    topic_probs: dict[str, float] | None
    phase_probs: dict[str, float] | None
    label_source: str | None
    model_version: str | None
    lab: str | None
    family: str | None
    release_id: str | None
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class WeekData:
    """Everything the build needs, as plain values."""

    items: list[ItemRow]
    previous: dict[str, int]  # items, on_topic, release, infra, safety
    weekly: list[tuple[datetime, dict[str, int]]]
    tracker: bool  # the release tracker's tables exist
    releases: list[Release]
    previous_releases: int
    releases_per_lab: list[tuple[str, int]]
    open_by_phase: list[tuple[str, dict[str, int]]]
    health: list[HealthRow]


def _has_table(con: Any, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = ?",
            [name],
        ).fetchone()[0]
    )


def _counts_sql(where: str) -> str:
    topics = ", ".join(
        f"count(*) FILTER (WHERE list_contains(i.topics, '{t}')) AS {t}" for t in TOPICS
    )
    return (
        "SELECT count(*) AS items, "
        f"count(*) FILTER (WHERE len(coalesce(i.topics, [])) > 0) AS on_topic, {topics} "
        f"FROM items i WHERE {where}"
    )


def _sources(con: Any, ids: list[str]) -> dict[str, list[SourceRef]]:
    rows = con.execute(
        """
        SELECT s.item_id, s.source_id, c.name, coalesce(c.kind, i.kind), c.lab, s.url
        FROM item_sources s JOIN items i USING (item_id)
             LEFT JOIN sources c ON c.source_id = s.source_id
        WHERE s.item_id IN (SELECT unnest(?)) ORDER BY s.item_id, s.first_seen_at, s.source_id""",
        [ids],
    ).fetchall()
    found: dict[str, list[SourceRef]] = {}
    for item_id, *ref in rows:
        found.setdefault(item_id, []).append(SourceRef(*ref))
    return found


def _items(con: Any, period: Period, linked: bool) -> list[ItemRow]:
    # the same release, as announced, as weights or in the news (not a derivative, not engine support)
    release = (
        "(SELECT min(rs.release_id) FROM release_sources rs WHERE rs.item_id = i.item_id "
        "AND rs.role IN ('announcement', 'weights', 'coverage'))"
        if linked
        else "NULL"
    )
    rows = con.execute(
        f"""
        SELECT i.item_id, i.title, i.summary, i.url, {_AT}, i.published_at IS NOT NULL, i.kind,
               coalesce(i.topics, []), i.phase, i.topic_probs, i.phase_probs, i.label_source,
               i.model_version, coalesce(f.lab, c.lab), f.family, {release}
        FROM items i LEFT JOIN item_facts f USING (item_id) LEFT JOIN sources c ON c.source_id = i.source_id
        WHERE {_AT} >= ? AND {_AT} < ? ORDER BY i.item_id""",
        [period.since, period.until],
    ).fetchall()
    refs = _sources(con, [r[0] for r in rows])
    return [
        ItemRow(
            item_id=r[0],
            title=r[1],
            summary=r[2],
            url=r[3],
            at=r[4],
            dated=r[5],
            kind=r[6],
            topics=tuple(r[7]),
            phase=r[8],
            topic_probs=r[9],
            phase_probs=r[10],
            label_source=r[11],
            model_version=r[12],
            lab=r[13],
            family=r[14],
            release_id=r[15],
            sources=tuple(refs.get(r[0], ())),
        )
        for r in rows
    ]


def _weekly(con: Any, period: Period) -> list[tuple[datetime, dict[str, int]]]:
    weeks = period.weeks_back(12)
    rows = con.execute(
        _counts_sql(f"{_AT} >= ? AND {_AT} < ?").replace(
            "SELECT ", f"SELECT date_trunc('week', {_AT}) AS week, ", 1
        )
        + " GROUP BY 1",
        [weeks[0].since, weeks[-1].until],
    ).fetchall()
    by_week = {r[0]: dict(zip(("items", "on_topic", *TOPICS), r[1:], strict=True)) for r in rows}
    empty = dict.fromkeys(("items", "on_topic", *TOPICS), 0)
    return [(w.since, by_week.get(w.since, empty)) for w in weeks]


def _releases(con: Any, period: Period) -> list[Release]:
    rows = con.execute(
        """
        SELECT r.release_id, r.lab, r.family, coalesce(r.models, []), r.announced_at, r.total_params_b,
               r.active_params_b, r.context_tokens, r.license, r.open_weights, r.n_sources,
               r.first_source_url
        FROM releases r WHERE r.announced_at >= ? AND r.announced_at < ?
        ORDER BY r.announced_at, r.release_id""",
        [period.since, period.until],
    ).fetchall()
    return [Release(r[0], r[1], r[2], tuple(r[3]), *r[4:]) for r in rows]


def _release_charts(
    con: Any, period: Period
) -> tuple[list[tuple[str, int]], list[tuple[str, dict[str, int]]]]:
    per_lab = con.execute(
        """
        SELECT coalesce(lab, 'unknown'), count(*) FROM releases
        WHERE announced_at >= ? AND announced_at < ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 12""",
        [period.until - timedelta(days=364), period.until],
    ).fetchall()
    shares = con.execute(
        """
        SELECT CASE WHEN year(announced_at) <= 2023 THEN 'baseline'
                    WHEN year(announced_at) = 2024 THEN 'scaling' ELSE 'frontier' END AS phase,
               count(*) FILTER (WHERE open_weights = 'open'),
               count(*) FILTER (WHERE open_weights = 'restricted'),
               count(*) FILTER (WHERE open_weights = 'closed' OR open_weights IS NULL)
        FROM releases WHERE announced_at < ? GROUP BY 1""",
        [period.until],
    ).fetchall()
    by_phase = {r[0]: {"open": r[1], "restricted": r[2], "closed": r[3]} for r in shares}
    return (
        [(lab, n) for lab, n in per_lab],
        [(p, by_phase[p]) for p in PHASES if p in by_phase],
    )


def _behind(con: Any) -> bool:
    """Has this warehouse missed a migration of this version of owingest?"""
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0) < migrations()[-1][0]


def read_week(path: Path, period: Period) -> WeekData:
    """Read the period's items and everything around them (previous period, 12 weeks, health).
    Read-only, always: a warehouse from an older owingest (before migration 007) gets the
    silence rule as temporary macros of this connection, so an analyst's open connection never
    stands in the digest's way."""
    with connect(path, read_only=True) as con:
        if _behind(con):
            _silence_macros(con)
        return _read(con, period)


def _silence_macros(con: Any) -> None:
    """The macros of migration 007, the one definition of silence, for this connection only."""
    sql = next(text for version, _, text in migrations() if version == 7)
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    for statement in code.split(";"):
        if statement.strip().startswith("CREATE MACRO"):
            con.execute(statement.replace("CREATE MACRO", "CREATE OR REPLACE TEMP MACRO", 1))


def _read(con: Any, period: Period) -> WeekData:
    tracker = _has_table(con, "releases")
    linked = tracker and _has_table(con, "release_sources")
    previous_period = period.previous()
    prev = con.execute(
        _counts_sql(f"{_AT} >= ? AND {_AT} < ?"), [previous_period.since, previous_period.until]
    ).fetchone()
    previous = dict(zip(("items", "on_topic", *TOPICS), prev or (0,) * 5, strict=True))
    releases: list[Release] = []
    prev_releases = 0
    per_lab: list[tuple[str, int]] = []
    by_phase: list[tuple[str, dict[str, int]]] = []
    if tracker:
        releases = _releases(con, period)
        prev_releases = len(_releases(con, previous_period))
        per_lab, by_phase = _release_charts(con, period)
    return WeekData(
        items=_items(con, period, linked),
        previous=previous,
        weekly=_weekly(con, period),
        tracker=tracker,
        releases=releases,
        previous_releases=prev_releases,
        releases_per_lab=per_lab,
        open_by_phase=by_phase,
        health=read_health(con, period.until),
    )


def latest_week_start(path: Path, before: datetime) -> datetime | None:
    """The date of the newest item dated before ``before`` (for "the latest week with items")."""
    with connect(path, read_only=True) as con:
        row = con.execute(f"SELECT max({_AT}) FROM items i WHERE {_AT} < ?", [before]).fetchone()
    return row[0] if row else None
