"""robots.txt for the pages owingest scrapes (``html`` sources and their article pages).

Feeds and APIs are published to be polled; scraped pages are not, so before an
``html`` source's listing or article page is fetched, the host's ``/robots.txt``
is read once per run, through the run's own ``Fetcher`` (the same SSRF guard,
size cap, redirect and retry rules as every other request), and parsed with
``protego`` (Scrapy's RFC 9309 parser: ``*`` and ``$`` in paths, the longest matching rule
wins, Allow on a tie) for our User-Agent's product token. RFC 9309, 2.3.1:

* 2xx: the rules apply;
* 4xx (robots.txt "unavailable"): everything is allowed;
* 5xx, 429, a network failure or a body over the cap ("unreachable"): everything
  is disallowed for this run; the source records why, as a transient error.

An unreachable result is asked again after ``RETRY_UNREACHABLE`` seconds (a
retried task in the same run), a definite one is kept for the run. The verdicts live on
the run's ``Fetcher`` (``fetcher.robots``) and go away with it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from owingest.models import FetchOutcome, SourceState

if TYPE_CHECKING:  # fetcher.py holds the run's RobotsRules, so it imports this module
    from owingest.fetch.fetcher import Fetcher

__all__ = ["RETRY_UNREACHABLE", "RobotsRules", "fetch_if_allowed"]

RETRY_UNREACHABLE = 25.0  # seconds


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What one host's robots.txt says: a parser (2xx), allow-all (4xx), or unreachable."""

    parser: Protego | None
    unreachable: str | None       # why the file could not be read; None when it was decided
    at: float                     # time.monotonic() when it was read


def _robots_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "/robots.txt", "", ""))


def _token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against ("owingest")."""
    return user_agent.split("/", 1)[0].split()[0].strip() or "owingest"


def _verdict(outcome: FetchOutcome) -> _Verdict:
    now = time.monotonic()
    if outcome.document is not None:
        text = outcome.document.body.decode("utf-8", errors="replace")
        return _Verdict(Protego.parse(text), None, now)
    status = outcome.status
    if status is not None and 400 <= status < 500 and status != 429:
        return _Verdict(None, None, now)  # unavailable: no rules at all
    return _Verdict(None, outcome.error or f"HTTP {status}", now)


class RobotsRules:
    """The robots.txt verdicts of one run, per origin (scheme, host, port). It is kept by
    the run's fetcher and given that fetcher on each call (it holds no reference to it)."""

    def __init__(self, user_agent: str) -> None:
        self._token = _token(user_agent)
        self._verdicts: dict[str, _Verdict] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _verdict_for(self, fetcher: Fetcher, robots_url: str) -> _Verdict:
        lock = self._locks.setdefault(robots_url, asyncio.Lock())
        async with lock:  # sources on one host share one request
            known = self._verdicts.get(robots_url)
            if known is not None and (known.unreachable is None
                                      or time.monotonic() - known.at < RETRY_UNREACHABLE):
                return known
            outcome = await fetcher.fetch(robots_url, accept="text/plain, */*;q=0.5")
            self._verdicts[robots_url] = verdict = _verdict(outcome)
            return verdict

    async def refusal(self, fetcher: Fetcher, url: str) -> tuple[str, bool] | None:
        """None when ``url`` may be fetched; else the reason (one line) and whether it is
        transient (robots.txt unreachable) rather than a rule."""
        robots_url = _robots_url(url)
        if robots_url is None:
            return None  # not http(s): the fetcher refuses it with its own message
        verdict = await self._verdict_for(fetcher, robots_url)
        if verdict.unreachable is not None:
            reason = (f"robots: {robots_url} unreachable ({verdict.unreachable}); "
                      f"not fetching {url[:200]} this run")
            return reason, True
        if verdict.parser is not None and not verdict.parser.can_fetch(url, self._token):
            return f"robots: {robots_url} disallows {url[:200]} for {self._token}", False
        return None


async def fetch_if_allowed(fetcher: Fetcher, url: str, state: SourceState | None = None, *,
                           accept: str = "*/*") -> FetchOutcome:
    """``fetcher.fetch(url)`` when the host's robots.txt allows it; else an outcome carrying
    the refusal (transient when robots.txt was unreachable), and no request for ``url``."""
    refused = await fetcher.robots.refusal(fetcher, url)
    if refused is None:
        return await fetcher.fetch(url, state, accept=accept)
    reason, transient = refused
    state = state or SourceState()
    return FetchOutcome(url=url, error=reason, transient=transient, attempts=0,
                        etag=state.etag, last_modified=state.last_modified)
