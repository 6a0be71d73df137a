"""Items linked into release events: a pure, deterministic function of the items' facts.

Each item that names a model family plays one *role* towards that family's release:

- ``announcement``: the family's own lab says it, in a post whose title names the family;
- ``weights``: a Hub repository of the family's own lab;
- ``engine-support``: a GitHub release note of an inference engine or model library;
- ``derivative``: a Hub repository of another organisation, or one whose ``base_models``
  point at a release's repositories (it is then also linked to that release);
- ``coverage``: anything else that names the family (news, other labs' blogs, engine blogs).

Events are built per family. Dated announcements open events (two within a week are one
event); a lab's Hub repositories join the announcement they fit (the model it names, else the
nearest in time, from 45 days before to 14 days after), else open an event of their own;
coverage and engine notes join the latest event that started before them (or, failing that,
one starting within 30 days after: engines often add support before launch), and open one
only when the family has none.

Linking runs over every stored item inside the write transaction, so each step finds items
and events by family and by date (sorted lists, bisection) rather than by scanning them all:
the work grows with the number of items, not with its square.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from owingest.releases.events import Event, LinkItem, Timeline, squash

__all__ = ["ROLES", "link_events", "role_of"]

ROLES = ("announcement", "weights", "engine-support", "derivative", "coverage")
_SAME_ANNOUNCEMENT = timedelta(days=7)
_WEIGHTS_BEFORE, _WEIGHTS_AFTER = timedelta(days=45), timedelta(days=14)
_WEIGHTS_CHAIN = timedelta(days=14)
_VERSION = re.compile(r"[- ]?v?\d[\w.]*")       # what a versioned family adds to the bare name


def role_of(*, kind: str, title: str, family: str, family_lab: str | None, source_lab: str | None,
            source_tags: Iterable[str], repo_lab: str | None) -> str:
    """The role an item plays towards the release of the family it names."""
    tags = set(source_tags)
    if kind == "hf_models":
        return "weights" if repo_lab is not None and repo_lab == family_lab else "derivative"
    if "github-releases" in tags and tags & {"engine", "library"}:
        return "engine-support"
    if family_lab is not None and source_lab == family_lab and squash(family) in squash(title):
        return "announcement"
    return "coverage"


def _order(item: LinkItem) -> tuple[bool, datetime, str]:
    return (item.day is None, item.day or datetime.max, item.item_id)


def _announcements(items: Sequence[LinkItem]) -> list[Event]:
    events: list[Event] = []
    for item in items:
        last = events[-1] if events else None
        if last and last.latest and item.day and item.day - last.latest <= _SAME_ANNOUNCEMENT:
            last.add(item, "announcement")
        else:
            events.append(Event(item.family, [(item, "announcement")]))
    return events


def _join_weights(events: list[Event], items: Sequence[LinkItem]) -> None:
    """Weights (in date order) join the announcement whose model they name, else the nearest,
    from 45 days before it to 14 after; else the chain of the lab's own repositories."""
    announced = list(events)
    # announced events were opened in date order; a start only moves earlier, once, by at
    # most _WEIGHTS_BEFORE (a weights item joining before it; later ones are later still)
    opened = [e.start for e in announced if e.start is not None]
    assert len(opened) == len(announced)
    own: list[Event] = []
    for item in items:
        day = item.day
        fits = []
        if day is not None:
            window = announced[bisect_left(opened, day - _WEIGHTS_AFTER):
                               bisect_right(opened, day + 2 * _WEIGHTS_BEFORE)]
            fits = [e for e in window if e.start and e.start - _WEIGHTS_BEFORE <= day <= e.start + _WEIGHTS_AFTER]
        if fits:
            assert day is not None
            mine = squash(item.repo.rpartition("/")[2] if item.repo else "")
            named = [e for e in fits if e.names_in(mine)]
            best = min(named or fits, key=lambda e: (abs(((e.start or day) - day).total_seconds()),
                                                     e.start or day))
            best.add(item, "weights")
            continue
        last = own[-1] if own else None
        latest = last.latest if last else None
        if last and item.day and latest and item.day - latest <= _WEIGHTS_CHAIN or last and item.day is None:
            last.add(item, "weights")
        else:
            own.append(Event(item.family, [(item, "weights")]))
            events.append(own[-1])


def _family_events(items: Sequence[LinkItem]) -> list[Event]:
    items = sorted(items, key=_order)
    dated = [i for i in items if i.role == "announcement" and i.day]
    events = _announcements(dated)
    _join_weights(events, [i for i in items if i.role == "weights"])
    timeline = Timeline(events)
    for item in items:
        if item.role in ("weights", "derivative") or (item.role == "announcement" and item.day):
            continue
        host = timeline.host(item.day)
        if host is None:
            host = Event(item.family)
            timeline.new(host)
        timeline.add(host, item, item.role)
    return events


def _derivatives(events: Sequence[Event], items: Sequence[LinkItem],
                 family_of: dict[str, str]) -> None:
    """Link Hub repositories to the releases they derive from."""
    by_repo = {i.repo.lower(): e for e in events for i, r in e.members if i.repo and r == "weights"}
    by_family: dict[str, list[Event]] = {}
    for event in events:
        by_family.setdefault(event.family, []).append(event)
    timelines = {family: Timeline(found) for family, found in by_family.items()}

    def host(family: str, day: datetime | None) -> Event | None:
        line = timelines.get(family)
        return line.host(day) if line else None

    for item in sorted(items, key=_order):
        targets = []
        for base in item.bases:
            target = by_repo.get(base.lower())
            if target is None and family_of.get(base.lower()):
                target = host(family_of[base.lower()], item.day)
            targets.append(target)
        if item.role == "derivative" and not item.bases:
            targets.append(host(item.family, item.day))
        for target in dict.fromkeys(t for t in targets if t is not None):
            if not target.holds(item.item_id):
                timelines[target.family].add(target, item, "derivative")


def _newer(families: set[str]) -> dict[str, list[str]]:
    """Family -> the families that add a version to its name ("Mistral Large" -> "Mistral Large 2")."""
    found: dict[str, list[str]] = {}
    for name in sorted(families):
        for cut in range(len(name)):
            if name[:cut] in families and _VERSION.fullmatch(name[cut:]):
                found.setdefault(name[:cut], []).append(name)
    return found


def _first_on(dated: list[tuple[datetime, str]], day: datetime) -> str:
    """The first family (by name) with an item on ``day``, in (day, family) order."""
    return dated[bisect_left(dated, (day,))][1]


def _nearest(dated: list[tuple[datetime, str]], day: datetime) -> tuple[timedelta, str] | None:
    """(distance, family) of the item nearest ``day``, ties to the first family by name."""
    at = bisect_left(dated, (day,))
    found = [(dated[at][0] - day, dated[at][1])] if at < len(dated) else []
    if at:
        found.append((day - dated[at - 1][0], _first_on(dated, dated[at - 1][0])))
    return min(found) if found else None


def _latest_by(dated: list[tuple[datetime, str]], day: datetime) -> str | None:
    """The family of the latest item on or before ``day``, ties to the first by name."""
    at = bisect_left(dated, (day,))
    if at < len(dated) and dated[at][0] == day:
        return dated[at][1]
    return _first_on(dated, dated[at - 1][0]) if at else None


def _versioned(items: Sequence[LinkItem]) -> list[LinkItem]:
    """Items that name a family without its version ("Mistral-Large-Instruct-2407") moved to
    the versioned family ("Mistral Large 2") whose items are nearest in time, within two weeks;
    an engine note or coverage item also when its bare family has no release of its own."""
    newer = _newer({i.family for i in items})
    anchored = {i.family for i in items if i.role in ("announcement", "weights")}
    days: dict[str, list[tuple[datetime, str]]] = {}
    for item in items:
        if item.day is not None:
            days.setdefault(item.family, []).append((item.day, item.family))
    # per bare family, the dated items of its versioned families in (day, family) order
    dated = {fam: sorted(d for g in found for d in days.get(g, ())) for fam, found in newer.items()}
    moved = []
    for item in items:
        fam, day = item.family, item.day
        if fam not in dated or day is None:
            moved.append(item)
            continue
        near = _nearest(dated[fam], day)
        target = near[1] if near and near[0] <= _WEIGHTS_CHAIN else None
        if target is None and fam not in anchored and item.role not in ("announcement", "weights"):
            target = _latest_by(dated[fam], day)
        moved.append(item if target is None else replace(item, family=target))
    return moved


def link_events(items: Sequence[LinkItem], family_of: dict[str, str] | None = None) -> list[Event]:
    """The release events of ``items``, in a deterministic order. ``family_of`` maps a Hub
    repository id (lowercase) to the family it names, for base models not in ``items``."""
    items = _versioned(items)
    by_family: dict[str, list[LinkItem]] = {}
    for item in items:
        by_family.setdefault(item.family, []).append(item)
    events = [e for fam in sorted(by_family) for e in _family_events(by_family[fam])]
    _derivatives(events, [i for i in items if i.repo and (i.bases or i.role == "derivative")],
                 family_of or {})
    return [e for e in events if any(r != "derivative" for _, r in e.members)]
