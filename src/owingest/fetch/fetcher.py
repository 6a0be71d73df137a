"""All HTTP rules of owingest in one place.

One ``Fetcher`` per run holds one httpx transport (a connection pool on asyncio
streams behind the SSRF guard, ``network.py``), a global and a per-host
concurrency bound, and applies: http/https only; conditional GET
with the stored ETag / Last-Modified; connect/read timeouts and a total
deadline per attempt; a redirect limit, re-checking the scheme of every hop
(and refusing https → http); a size cap enforced while streaming *and* on the
decompressed size (httpx's own decoder is unbounded, so we read raw bytes and
decode gzip/deflate ourselves); and retries with exponential backoff and full
jitter on the transient failures only, honouring ``Retry-After``.

Requests go to the transport directly, not through an ``httpx.AsyncClient``: this
module already does everything the client would add (redirects, headers, timeouts),
and the client's per-request work (URL merging, a cookie jar we do not want) was a
fifth of the fetch CPU.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from owingest.config import FetchSettings
from owingest.errors import PermanentError, SourceError, TransientError
from owingest.fetch.network import FetchTransport
from owingest.fetch.robots import RobotsRules
from owingest.models import Document, FetchOutcome, SourceState

__all__ = ["RETRYABLE_STATUSES", "Fetcher", "build_transport"]

#: The HTTP statuses worth retrying. Everything else >= 400 is permanent.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ENCODINGS = {"": None, "identity": None, "gzip": 47, "x-gzip": 47, "deflate": 15}

Sleep = Callable[[float], Awaitable[None]]


def build_transport(settings: FetchSettings) -> httpx.AsyncBaseTransport:
    """The run's one connection pool: every connection goes through the SSRF guard unless
    private hosts are allowed."""
    limits = httpx.Limits(max_connections=settings.concurrency,
                          max_keepalive_connections=settings.concurrency)
    return FetchTransport(limits=limits, guard=not settings.allow_private_hosts)


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _status_error(status: int, retry_after: float | None) -> SourceError:
    reason = httpx.codes.get_reason_phrase(status) or "error"
    if status in RETRYABLE_STATUSES or status >= 500:
        return TransientError("fetch", f"HTTP {status} {reason}", status=status, retry_after=retry_after)
    return PermanentError("fetch", f"HTTP {status} {reason}", status=status)


def _next_link(response: httpx.Response, base: str) -> str | None:
    """The ``Link: <...>; rel="next"`` target, resolved against the page's URL (RFC 8288)."""
    target = response.links.get("next", {}).get("url")
    try:
        return urljoin(base, target) if target else None
    except ValueError:  # a malformed target: there is no next page to follow
        return None


def _split(url: str, base: str | None = None) -> tuple[str, SplitResult]:
    """``url`` (resolved against ``base``) and its parts; a URL that cannot be parsed (such as
    ``http://[oops/``, from a stranger's ``Location`` header) is a permanent error."""
    try:
        url = urljoin(base, url) if base is not None else url
        return url, urlsplit(url)
    except ValueError as err:
        raise PermanentError("fetch", f"invalid URL {url[:100]!r}: {err}") from err


class _Decoder:
    """Bounded decoding of one content coding (``max_length`` on every call)."""

    def __init__(self, coding: str, limit: int) -> None:
        if coding not in _ENCODINGS:
            raise PermanentError("fetch", f"unsupported Content-Encoding {coding!r}")
        wbits = _ENCODINGS[coding]
        self._z = zlib.decompressobj(wbits) if wbits is not None else None
        self._limit = limit
        self._out = bytearray()

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._out += chunk
        else:
            room = self._limit - len(self._out) + 1
            try:
                self._out += self._z.decompress(chunk, room)
            except zlib.error as err:
                raise PermanentError("fetch", f"corrupt compressed body: {err}") from err
            if self._z.unconsumed_tail:
                self._out += b"x"  # more output is waiting: over the cap
        if len(self._out) > self._limit:
            raise PermanentError("fetch", f"body larger than the cap of {self._limit} bytes after decoding")

    def finish(self) -> bytes:
        if self._z is not None:
            self._out += self._z.flush(self._limit - len(self._out) + 1)
            if len(self._out) > self._limit:
                raise PermanentError("fetch", f"body larger than the cap of {self._limit} bytes after decoding")
        return bytes(self._out)


class Fetcher:
    """Fetch URLs under the run's limits. Create one per run, use as an async context manager."""

    def __init__(self, settings: FetchSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep = asyncio.sleep, rng: random.Random | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self._transport = transport or build_transport(settings)
        self._timeouts = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout).as_dict()
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self.robots = RobotsRules(settings.user_agent)  # this run's robots.txt verdicts

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._transport.aclose()

    async def fetch(self, url: str, state: SourceState | None = None, *, accept: str = "*/*") -> FetchOutcome:
        """Fetch ``url`` with retries; never raises for a source failure, returns the outcome.
        Its ``queued`` is how long the first request waited for a slot under the run's
        concurrency bounds (the rest of the time is this URL's own)."""
        state = state or SourceState()
        attempt = 0
        queued: list[float] = []
        while True:
            attempt += 1
            try:
                return replace(await self._attempt(url, state, accept, attempt, queued), queued=queued[0])
            except SourceError as err:
                delay = self._backoff(attempt, err)
                if not err.transient or attempt >= self.settings.max_attempts or delay is None:
                    return FetchOutcome(url=url, status=err.status, error=str(err),
                                        transient=err.transient, attempts=attempt,
                                        etag=state.etag, last_modified=state.last_modified,
                                        queued=queued[0] if queued else 0.0)
                await self._sleep(delay)

    def _backoff(self, attempt: int, err: SourceError) -> float | None:
        """Seconds to wait before the next attempt, or None when waiting is not worth it."""
        cap = self.settings.backoff_cap
        if err.retry_after is not None:
            return err.retry_after if err.retry_after <= cap else None
        return self._rng.uniform(0, min(cap, self.settings.backoff_base * 2 ** (attempt - 1)))

    async def _attempt(self, url: str, state: SourceState, accept: str, attempt: int,
                       queued: list[float]) -> FetchOutcome:
        host = (_split(url)[1].hostname or "").lower()
        sem = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        waiting = time.monotonic()
        async with self._global, sem:
            queued.append(time.monotonic() - waiting)
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    return await self._follow(url, state, accept, attempt)
            except TimeoutError as err:
                raise TransientError("fetch", f"no complete answer within {self.settings.total_timeout:g} s") from err
            except httpx.InvalidURL as err:
                raise PermanentError("fetch", f"invalid URL: {err}") from err
            except httpx.UnsupportedProtocol as err:
                raise PermanentError("fetch", f"refused: {err}") from err
            except httpx.TimeoutException as err:
                raise TransientError("fetch", f"timed out ({type(err).__name__})") from err
            except httpx.TransportError as err:
                raise TransientError("fetch", f"connection failed: {err or type(err).__name__}") from err

    async def _follow(self, url: str, state: SourceState, accept: str, attempt: int) -> FetchOutcome:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            scheme = _split(current)[1].scheme
            if scheme not in ("http", "https"):
                raise PermanentError("fetch", f"refused non-http URL {current[:100]!r}")
            headers = {"User-Agent": self.settings.user_agent, "Accept": accept,
                       "Accept-Encoding": "gzip, deflate"}
            if current == url and state.etag:
                headers["If-None-Match"] = state.etag
            if current == url and state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
            request = httpx.Request("GET", current, headers=headers, extensions={"timeout": self._timeouts})
            response = await self._transport.handle_async_request(request)
            try:
                if response.status_code in _REDIRECTS:
                    nxt, parts = _split(response.headers.get("location", ""), current)
                    if scheme == "https" and parts.scheme == "http":
                        raise PermanentError("fetch", f"refused redirect from https to http ({nxt[:100]})")
                    current = nxt
                    continue
                return await self._outcome(url, current, response, state, attempt)
            finally:
                await response.aclose()
        raise PermanentError("fetch", f"more than {self.settings.max_redirects} redirects")

    async def _outcome(self, url: str, final: str, response: httpx.Response, state: SourceState,
                       attempt: int) -> FetchOutcome:
        status = response.status_code
        etag = response.headers.get("etag") or state.etag
        last_modified = response.headers.get("last-modified") or state.last_modified
        if status == 304:
            return FetchOutcome(url=url, not_modified=True, status=304, attempts=attempt,
                                etag=etag, last_modified=last_modified)
        if status >= 400 or status < 200 or status == 204:
            if status == 204 or status < 200:
                raise PermanentError("fetch", f"HTTP {status} with no document", status=status)
            raise _status_error(status, _retry_after(response.headers.get("retry-after"), self._clock()))
        body = await self._read_body(response)
        doc = Document(url=url, final_url=final, status=status, body=body,
                       content_type=response.headers.get("content-type"),
                       etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                       next_url=_next_link(response, final))
        return FetchOutcome(url=url, document=doc, status=status, attempts=attempt,
                            etag=etag, last_modified=last_modified)

    async def _read_body(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise PermanentError("fetch", f"Content-Length {declared} is over the cap of {cap} bytes")
        coding = response.headers.get("content-encoding", "").strip().lower()
        decoder = _Decoder(coding, cap)
        if response.is_stream_consumed:
            # in-memory transports (httpx.MockTransport) hand over a body already read and decoded
            if len(response.content) > cap:
                raise PermanentError("fetch", f"body larger than the cap of {cap} bytes")
            return response.content
        received = 0
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > cap:
                raise PermanentError("fetch", f"body larger than the cap of {cap} bytes")
            decoder.feed(chunk)
        if declared and declared.isdigit() and received < int(declared) and not coding:
            raise TransientError("fetch", f"body ended after {received} of {declared} bytes")
        return decoder.finish()
