"""Linking scales with the warehouse: the work of ``link_events`` on 4N synthetic items is
well under 16 times its work on N (it ran inside the write transaction and grew
quadratically). Work is counted as lines of ``link.py`` and ``events.py`` executed, not as
time, so the test is exact on a busy machine. ``synthetic_items`` also feeds benchmarks/releases_link.py."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import pytest

from owingest.releases import events, link
from owingest.releases.events import LinkItem
from owingest.releases.link import link_events

BASE = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365
PER_FAMILY = 40           # two releases of 20 items each
POPULAR = 5               # families whose derivatives and coverage grow with the warehouse


class _Items:
    def __init__(self) -> None:
        self.items: list[LinkItem] = []
        self.family_of: dict[str, str] = {}

    def add(self, family: str, lab: str, role: str, day: datetime | None, *, repo: str | None = None,
            bases: tuple[str, ...] = (), models: tuple[str, ...] = ()) -> None:
        n = len(self.items)
        self.items.append(LinkItem(item_id=f"i{n:06d}", family=family, family_lab=lab, role=role, day=day,
                                   url=f"https://example.org/{n}", repo=repo, bases=bases, models=models))


def _release(out: _Items, rng: random.Random, family: str, lab: str, start: datetime,
             bare: str | None) -> None:
    """One release of 20 items; with ``bare``, two of its repositories name the family
    without its version (as "Mistral-Large-Instruct-2407" does)."""
    def near(lo: int, hi: int) -> datetime:
        return start + timedelta(days=rng.randint(lo, hi), hours=rng.randrange(24))

    slug = family.replace(" ", "-")
    sizes = rng.sample([1, 3, 7, 8, 14, 32, 70, 235], 6)
    out.add(family, lab, "announcement", start, models=tuple(f"{family} {s}B" for s in sizes[:3]))
    repos = [f"{lab}/{slug}-{s}B" for s in sizes]
    for n, repo in enumerate(repos):
        named = bare if bare and n < 2 else family
        out.add(named, lab, "weights", near(-3, 5), repo=repo, models=(repo.partition("/")[2],))
    for _ in range(5):
        out.add(family, lab, "coverage", None if rng.random() < 0.1 else near(0, 60))
    for _ in range(3):
        out.add(family, lab, "engine-support", near(-20, 30))
    for n in range(5):
        base = rng.choice(repos)
        if n == 3:
            base = f"other{rng.randrange(9)}/{slug}-base"
            out.family_of[base.lower()] = family
        bases = () if n == 4 else (base,)
        out.add(family, lab, "derivative", near(0, 90), repo=f"org{n}/{slug}-{rng.randrange(99)}-GGUF",
                bases=bases)


def synthetic_items(n: int, seed: int = 7, *, history: bool = False) -> tuple[list[LinkItem], dict[str, str]]:
    """About ``n`` items as a growing warehouse holds them, and the ``family_of`` of the base
    repositories they cite. Four fifths are releases of 20 items; every fifth family's odd
    releases are versioned ("Fam5a 2") and named bare by two of their repositories. One fifth
    are items of a few popular families announced every two months, whose repositories,
    derivatives and coverage grow with the warehouse. Families grow in number with ``n``
    (two releases each, over three years), or with ``history`` the same 10 families are
    released again and again over a span that grows with ``n``."""
    rng = random.Random(seed)
    out = _Items()
    releases = max(2, n * 4 // 5 // 20)
    families = min(10, releases // 2) if history else max(1, releases // 2)
    span = SPAN_DAYS
    for k in range(families):
        day = BASE + timedelta(days=rng.randrange(200 if history else SPAN_DAYS - 200))
        for r in range(releases // families):
            versioned = k % 5 == 0 and r % 2 == 1
            family = f"Fam{k}a {r // 2 + 2}" if versioned else f"Fam{k}a"
            _release(out, rng, family, f"lab{k % 50}", day, f"Fam{k}a" if versioned else None)
            day += timedelta(days=rng.randint(90, 200))
            span = max(span, (day - BASE).days)
    popular = [(f"Popular{j}x", f"plab{j}") for j in range(POPULAR)]
    for family, lab in popular:
        for r in range(span // 60):
            out.add(family, lab, "announcement", BASE + timedelta(days=60 * r))
    while len(out.items) < n:
        family, lab = rng.choice(popular)
        day = BASE + timedelta(days=rng.randrange(span), hours=rng.randrange(24))
        role = rng.choice(("weights", "coverage", "coverage", "engine-support", "derivative", "derivative"))
        slug = f"{family}-{rng.randrange(40)}B"
        if role == "weights":
            out.add(family, lab, role, day, repo=f"{lab}/{slug}", models=(slug,))
        elif role == "derivative":
            out.add(family, lab, role, day, repo=f"org{rng.randrange(500)}/{slug}-ft",
                    bases=(f"{lab}/{slug}",))
        else:
            out.add(family, lab, role, day)
    return out.items, out.family_of


def _lines_run(items: list[LinkItem], family_of: dict[str, str]) -> int:
    """Lines of link.py and events.py executed while linking ``items``."""
    count = 0
    targets = {link.__file__, events.__file__}

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename in targets else None

    sys.settrace(tracer)
    try:
        link_events(items, family_of)
    finally:
        sys.settrace(None)
    return count


def test_the_synthetic_warehouse_links_into_the_releases_it_was_built_from() -> None:
    items, family_of = synthetic_items(400)
    events = link_events(items, family_of)
    small = [e for e in events if e.family.startswith("Fam")]
    assert len(small) == 2 * (400 * 4 // 5 // PER_FAMILY)
    assert all(sum(r in ("announcement", "weights") for _, r in e.members) >= 7 for e in small)
    versioned = {e.family for e in small} - {f"Fam{k}a" for k in range(8)}
    assert versioned == {"Fam0a 2", "Fam5a 2"}


@pytest.mark.parametrize("history", [False, True], ids=["more-families", "longer-history"])
def test_linking_four_times_the_items_takes_well_under_sixteen_times_the_work(history: bool) -> None:
    # quadratic linking did 10x the work at 4x the items; linear does 4x
    small, large = (_lines_run(*synthetic_items(n, history=history)) for n in (500, 2000))
    assert large < 6 * small, (small, large)
