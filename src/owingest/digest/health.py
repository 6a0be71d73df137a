"""Each enabled source's health as of a moment: its failing streak and its silence.

Silence has one definition, in the warehouse (migration 007): the ``source_cadence_at``
and ``source_silent`` macros, which the ``source_health`` view uses with the clock and the
digest with the end of its period. The failing streak is read from the fetches made
before that moment, so an old week's digest shows the sources as they were then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["HealthRow", "read_health"]


@dataclass(frozen=True, slots=True)
class HealthRow:
    source_id: str
    name: str | None
    last_error: str | None
    failing_since: datetime | None
    failures: int
    newest_item_at: datetime | None
    usual_interval: timedelta | None
    silent: bool  # as of the period's end, by the warehouse's one definition (source_silent)


def read_health(con: Any, until: datetime) -> list[HealthRow]:
    """Every enabled source, as of ``until``, in ``source_id`` order."""
    rows = con.execute(
        """
        WITH before AS (SELECT * FROM fetches WHERE started_at < $until
        ), last AS (
            SELECT source_id, error FROM before
            QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY started_at DESC, run_id DESC) = 1
        ), ok AS (SELECT source_id, max(started_at) AS ok_at FROM before WHERE error IS NULL GROUP BY 1
        ), streak AS (
            SELECT b.source_id, min(b.started_at) AS since, count(*) AS failures
            FROM before b LEFT JOIN ok USING (source_id)
            WHERE b.error IS NOT NULL AND (ok.ok_at IS NULL OR b.started_at > ok.ok_at) GROUP BY 1)
        SELECT s.source_id, s.name, last.error, streak.since, coalesce(streak.failures, 0),
               c.newest_item_at, c.usual_interval,
               source_silent(c.newest_item_at, c.usual_interval, $until)
        FROM sources s LEFT JOIN source_cadence_at($until) c USING (source_id)
             LEFT JOIN last USING (source_id) LEFT JOIN streak USING (source_id)
        WHERE s.enabled ORDER BY s.source_id""",
        {"until": until},
    ).fetchall()
    return [HealthRow(*r) for r in rows]
