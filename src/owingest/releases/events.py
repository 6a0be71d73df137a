"""What release linking works on: the items (``LinkItem``), the events they join (``Event``)
and a family's events in time order (``Timeline``), kept so that each lookup is a bisection."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["Event", "LinkItem", "Timeline", "squash"]

_SAME_DAY = timedelta(days=3)
_EARLY_SUPPORT = timedelta(days=30)


def squash(name: str) -> str:
    """A name reduced to ASCII letters and digits, for comparing names however written."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())



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
    """One release: the items linked to it, with their roles. Members join through ``add``,
    which keeps the start, the latest day, the ids and the model names current."""

    family: str
    members: list[tuple[LinkItem, str]] = field(default_factory=list)
    #: the earliest day of its announcements and weights, else of any member
    start: datetime | None = field(init=False, default=None)
    #: the latest day of any member
    latest: datetime | None = field(init=False, default=None)
    _held: datetime | None = field(init=False, default=None, repr=False)
    _any: datetime | None = field(init=False, default=None, repr=False)
    _ids: set[str] = field(init=False, default_factory=set, repr=False)
    _names: set[str] = field(init=False, default_factory=set, repr=False)
    _key: str = field(init=False, default="", repr=False)

    def __post_init__(self) -> None:
        self._key = squash(self.family)
        members, self.members = self.members, []
        for item, role in members:
            self.add(item, role)

    def add(self, item: LinkItem, role: str) -> None:
        self.members.append((item, role))
        self._ids.add(item.item_id)
        self._names.update(n for m in item.models
                           if (n := squash(m)) != self._key and len(n) > len(self._key))
        day = item.day
        if day is None:
            return
        if role in ("announcement", "weights"):
            self._held = day if self._held is None else min(self._held, day)
        self._any = day if self._any is None else min(self._any, day)
        self.latest = day if self.latest is None else max(self.latest, day)
        self.start = self._held if self._held is not None else self._any

    def holds(self, item_id: str) -> bool:
        return item_id in self._ids

    def item_ids(self) -> set[str]:
        return set(self._ids)

    def names_in(self, text: str) -> bool:
        """A model its members name, beyond the family name itself, is part of ``text`` (a
        squashed repository name: "gemma22bit" holds "Gemma 2 2B")."""
        return any(n in text for n in self._names)


class Timeline:
    """A family's events in order of start (then of creation), to find the event a later item
    belongs to. Starts move as members join, so members join through ``add``."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self._pos = {e: n for n, e in enumerate(events)}
        self._keys = sorted((e.start, n) for e, n in self._pos.items() if e.start is not None)

    def new(self, event: Event) -> None:
        self._pos[event] = len(self.events)
        self.events.append(event)
        if event.start is not None:
            insort(self._keys, (event.start, self._pos[event]))

    def add(self, event: Event, item: LinkItem, role: str) -> None:
        before = event.start
        event.add(item, role)
        if event.start != before:
            n = self._pos[event]
            if before is not None:
                del self._keys[bisect_left(self._keys, (before, n))]
            assert event.start is not None
            insort(self._keys, (event.start, n))

    def host(self, day: datetime | None) -> Event | None:
        """The event a later item about the family belongs to: the latest that started before
        it (or within three days after), else the first starting within 30 days after it."""
        keys = self._keys
        if day is None:
            return self.events[keys[-1][1]] if keys else (self.events[0] if self.events else None)
        n = bisect_left(keys, (day + _SAME_DAY, len(self.events)))
        if n:
            return self.events[keys[n - 1][1]]
        if keys and keys[0][0] <= day + _EARLY_SUPPORT:
            return self.events[keys[0][1]]
        return None
