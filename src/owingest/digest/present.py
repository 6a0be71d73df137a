"""How numbers, dates and releases read, shared by the Markdown and HTML renderers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from owingest.digest.model import TOPICS, Digest, Release
from owingest.digest.period import Period

__all__ = [
    "HEADLINE_ROWS",
    "SECTION_TITLES",
    "change",
    "long_date",
    "number",
    "period_title",
    "release_cells",
]

SECTION_TITLES = {"release": "Release news", "infra": "Infrastructure", "safety": "Safety"}


def _rows(d: Digest) -> list[tuple[str, int | None, int | None]]:
    rows: list[tuple[str, int | None, int | None]] = [
        ("items", d.current.items, d.previous.items),
        ("on topic", d.current.on_topic, d.previous.on_topic),
        ("new releases", d.current.releases, d.previous.releases),
    ]
    rows += [(f"topic: {t}", d.current.topics[t], d.previous.topics[t]) for t in TOPICS]
    return rows


HEADLINE_ROWS: Callable[[Digest], list[tuple[str, int | None, int | None]]] = _rows


def number(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def change(now: int | None, before: int | None) -> str:
    if now is None or before is None:
        return "n/a"
    return (
        f"+{now - before:,}" if now > before else ("0" if now == before else f"−{before - now:,}")
    )


def long_date(value: datetime | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


def period_title(period: Period) -> str:
    first, last = period.since, period.last_day
    kind = f"ISO week {period.label}" if period.is_week else f"{period.days} days"
    return f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y} (UTC), {kind}."


def _size(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:g}T" if value >= 1000 else f"{value:g}B"


def _context(tokens: int | None) -> str:
    if not tokens:
        return ""
    return f"{tokens / 1048576:g}M" if tokens >= 1048576 else f"{tokens / 1024:g}K"


def release_cells(r: Release) -> list[str]:
    """lab, release, total params, active params, context, license, weights, sources."""
    name = r.family or r.release_id
    if r.models:
        name += (
            ": "
            + ", ".join(r.models[:4])
            + (f" and {len(r.models) - 4} more" if len(r.models) > 4 else "")
        )
    return [
        r.lab or "",
        name,
        _size(r.total_params_b),
        _size(r.active_params_b),
        _context(r.context_tokens),
        r.license or "",
        r.open_weights or "",
        "" if r.n_sources is None else str(r.n_sources),
    ]
