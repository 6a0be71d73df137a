"""The period a digest covers: an ISO week, or any run of whole days.

Resolving "last week" needs the clock, so it happens at the edge (CLI, flow) with
``now`` passed in; everything past this module takes a ``Period`` and never reads
the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Period", "day_range", "iso_week", "last_complete_week", "parse_week", "week_of"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open UTC interval ``[since, until)`` with a label used as the folder name."""

    label: str
    since: datetime
    until: datetime

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(days=1)).date()

    @property
    def is_week(self) -> bool:
        return bool(_WEEK.match(self.label))

    def previous(self) -> Period:
        """The period of the same length just before this one (the comparison in the headline)."""
        if self.is_week:
            return week_of(self.since.date() - timedelta(days=7))
        return day_range(
            self.since.date() - timedelta(days=self.days), self.since.date() - timedelta(days=1)
        )

    def weeks_back(self, count: int) -> list[Period]:
        """The ``count`` ISO weeks ending with the one holding this period's last day, oldest first."""
        last = week_of(self.last_day)
        return [
            week_of(last.since.date() - timedelta(days=7 * n)) for n in range(count - 1, -1, -1)
        ]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def iso_week(year: int, week: int) -> Period:
    """ISO week ``week`` of ``year`` (Monday 00:00 UTC to the next Monday)."""
    monday = date.fromisocalendar(year, week, 1)  # ValueError for week 53 of a 52-week year
    return Period(f"{year}-W{week:02d}", _midnight(monday), _midnight(monday + timedelta(days=7)))


def week_of(day: date) -> Period:
    """The ISO week that holds ``day``."""
    year, week, _ = day.isocalendar()
    return iso_week(year, week)


def parse_week(text: str) -> Period:
    """``2026-W48`` → that week; ValueError with a readable reason otherwise."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ValueError(f"not an ISO week (YYYY-Www, e.g. 2026-W48): {text!r}")
    try:
        return iso_week(int(match.group(1)), int(match.group(2)))
    except ValueError:
        raise ValueError(f"no such ISO week: {text!r}") from None


def last_complete_week(now: datetime) -> Period:
    """The latest ISO week that ended at or before ``now``."""
    return week_of(now.astimezone(UTC).date() - timedelta(days=7))


def day_range(first: date, last: date) -> Period:
    """Whole UTC days from ``first`` to ``last``, both included."""
    if last < first:
        raise ValueError(f"--until {last} is before --since {first}")
    return Period(
        f"{first.isoformat()}_{last.isoformat()}",
        _midnight(first),
        _midnight(last + timedelta(days=1)),
    )
