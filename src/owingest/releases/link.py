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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

__all__ = ["ROLES", "Event", "LinkItem", "link_events", "role_of"]

ROLES = ("announcement", "weights", "engine-support", "derivative", "coverage")
_SAME_ANNOUNCEMENT = timedelta(days=7)
_WEIGHTS_BEFORE, _WEIGHTS_AFTER = timedelta(days=45), timedelta(days=14)
_WEIGHTS_CHAIN = timedelta(days=14)
_EARLY_SUPPORT = timedelta(days=30)
_SAME_DAY = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class LinkItem:
    """One item with release facts, as linking sees it."""

    item_id: str
    family: str
    family_lab: str | None          # the lab whose family it is (from the gazetteer)
    role: str                       # its role towards its family's release (``role_of``)
    day: datetime | None            # published; None when no source gave a date
    url: str | None = None
    repo: str | None = None         # Hub repository id
    bases: tuple[str, ...] = ()     # Hub base_models
    models: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)   # field -> stated value (non-null only)


@dataclass(eq=False)
class Event:
    """One release: the items linked to it, with their roles."""

    family: str
    members: list[tuple[LinkItem, str]] = field(default_factory=list)

    @property
    def start(self) -> datetime | None:
        days = [i.day for i, r in self.members if i.day and r in ("announcement", "weights")]
        days = days or [i.day for i, _ in self.members if i.day]
        return min(days) if days else None

    def item_ids(self) -> set[str]:
        return {i.item_id for i, _ in self.members}


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


def squash(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _order(item: LinkItem) -> tuple[bool, datetime, str]:
    return (item.day is None, item.day or datetime.max, item.item_id)


def _names_match(item: LinkItem, event: Event) -> bool:
    """The repository names a model its event's announcement names ("gemma-2-2b-it" and
    "Gemma 2 2B"), beyond the family name itself."""
    mine = squash(item.repo.rpartition("/")[2] if item.repo else "")
    family = squash(event.family)
    named = {squash(m) for i, _ in event.members for m in i.models}
    return any(n != family and len(n) > len(family) and n in mine for n in named if n)


def _announcements(items: Sequence[LinkItem]) -> list[Event]:
    events: list[Event] = []
    for item in items:
        last = events[-1] if events else None
        latest = max((i.day for i, _ in last.members if i.day), default=None) if last else None
        if last and latest and item.day and item.day - latest <= _SAME_ANNOUNCEMENT:
            last.members.append((item, "announcement"))
        else:
            events.append(Event(item.family, [(item, "announcement")]))
    return events


def _join_weights(events: list[Event], items: Sequence[LinkItem]) -> None:
    announced = list(events)
    own: list[Event] = []
    for item in items:
        fits = [e for e in announced if item.day and e.start
                and e.start - _WEIGHTS_BEFORE <= item.day <= e.start + _WEIGHTS_AFTER]
        named = [e for e in fits if _names_match(item, e)]
        if fits:
            assert item.day is not None
            day = item.day
            best = min(named or fits, key=lambda e: (abs(((e.start or day) - day).total_seconds()),
                                                     e.start or day))
            best.members.append((item, "weights"))
            continue
        last = own[-1] if own else None
        latest = max((i.day for i, _ in last.members if i.day), default=None) if last else None
        if last and item.day and latest and item.day - latest <= _WEIGHTS_CHAIN or last and item.day is None:
            last.members.append((item, "weights"))
        else:
            own.append(Event(item.family, [(item, "weights")]))
            events.append(own[-1])


def _host(events: Sequence[Event], day: datetime | None) -> Event | None:
    """The event a later item about the family belongs to."""
    dated = sorted((e for e in events if e.start), key=lambda e: (e.start, e.family))
    if day is None:
        return dated[-1] if dated else (events[0] if events else None)
    before = [e for e in dated if e.start and e.start <= day + _SAME_DAY]
    if before:
        return before[-1]
    after = [e for e in dated if e.start and e.start <= day + _EARLY_SUPPORT]
    return after[0] if after else None


def _family_events(items: Sequence[LinkItem]) -> list[Event]:
    items = sorted(items, key=_order)
    dated = [i for i in items if i.role == "announcement" and i.day]
    events = _announcements(dated)
    _join_weights(events, [i for i in items if i.role == "weights"])
    for item in items:
        if item.role in ("weights", "derivative") or (item.role == "announcement" and item.day):
            continue
        host = _host(events, item.day)
        if host is None:
            host = Event(item.family)
            events.append(host)
        host.members.append((item, item.role))
    return events


def _derivatives(events: Sequence[Event], items: Sequence[LinkItem],
                 family_of: dict[str, str]) -> None:
    """Link Hub repositories to the releases they derive from."""
    by_repo = {i.repo.lower(): e for e in events for i, r in e.members if i.repo and r == "weights"}
    by_family: dict[str, list[Event]] = {}
    for event in events:
        by_family.setdefault(event.family, []).append(event)
    for item in sorted(items, key=_order):
        targets = []
        for base in item.bases:
            target = by_repo.get(base.lower())
            if target is None and family_of.get(base.lower()):
                target = _host(by_family.get(family_of[base.lower()], []), item.day)
            targets.append(target)
        if item.role == "derivative" and not item.bases:
            targets.append(_host(by_family.get(item.family, []), item.day))
        for target in dict.fromkeys(t for t in targets if t is not None):
            if item.item_id not in target.item_ids():
                target.members.append((item, "derivative"))


def _versioned(items: Sequence[LinkItem]) -> list[LinkItem]:
    """Items that name a family without its version ("Mistral-Large-Instruct-2407") moved to
    the versioned family ("Mistral Large 2") whose items are nearest in time, within two weeks;
    an engine note or coverage item also when its bare family has no release of its own."""
    families = {i.family for i in items}
    anchored = {i.family for i in items if i.role in ("announcement", "weights")}
    moved = []
    for item in items:
        fam = item.family
        newer = [g for g in families if g != fam and g.startswith(fam)
                 and re.fullmatch(r"[- ]?v?\d[\w.]*", g[len(fam):])]
        if not newer or item.day is None:
            moved.append(item)
            continue
        day = item.day
        dated = [(abs((i.day - day).total_seconds()), i.family) for i in items
                 if i.family in newer and i.day is not None]
        near = sorted(d for d in dated if d[0] <= _WEIGHTS_CHAIN.total_seconds())
        if not near and fam not in anchored and item.role not in ("announcement", "weights"):
            near = sorted(((day - i.day).total_seconds(), i.family) for i in items
                          if i.family in newer and i.day is not None and i.day <= day)[:1]
        moved.append(replace(item, family=near[0][1]) if near else item)
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
