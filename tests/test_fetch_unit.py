"""The fetcher's rules on httpx.MockTransport: conditional GET, retry policy, redirects."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from owingest.config import FetchSettings
from owingest.fetch import Fetcher
from owingest.fetch.fetcher import _retry_after
from owingest.models import FetchOutcome, SourceState

URL = "https://lab.example/feed.xml"


def fetch(handler: Callable[[httpx.Request], httpx.Response], state: SourceState | None = None,
          **settings: object) -> tuple[FetchOutcome, list[httpx.Request], list[float]]:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def go() -> FetchOutcome:
        async with Fetcher(FetchSettings(**settings), transport=httpx.MockTransport(record),  # type: ignore[arg-type]
                           sleep=fake_sleep, rng=random.Random(7)) as fetcher:
            return await fetcher.fetch(URL, state)

    return asyncio.run(go()), seen, sleeps


def test_conditional_headers_are_sent_and_304_is_not_modified() -> None:
    outcome, seen, _ = fetch(lambda r: httpx.Response(304, headers={"ETag": '"v2"'}),
                             SourceState(etag='"v1"', last_modified="Mon, 23 Nov 2026 09:00:00 GMT"))
    assert seen[0].headers["if-none-match"] == '"v1"'
    assert seen[0].headers["if-modified-since"] == "Mon, 23 Nov 2026 09:00:00 GMT"
    assert seen[0].headers["user-agent"].startswith("owingest/")
    assert (outcome.not_modified, outcome.document, outcome.etag) == (True, None, '"v2"')
    assert outcome.last_modified == "Mon, 23 Nov 2026 09:00:00 GMT"  # kept: the server sent none


def test_a_200_carries_the_body_and_the_new_validators() -> None:
    outcome, _, _ = fetch(lambda r: httpx.Response(200, content=b"<rss/>", headers={
        "ETag": '"new"', "Content-Type": "application/rss+xml"}), SourceState(etag='"old"'))
    assert outcome.document is not None and outcome.document.body == b"<rss/>"
    assert (outcome.etag, outcome.status, outcome.attempts) == ('"new"', 200, 1)


def test_transient_errors_are_retried_with_backoff_then_give_up() -> None:
    outcome, seen, sleeps = fetch(lambda r: httpx.Response(503), max_attempts=3, backoff_base=1.0)
    assert len(seen) == 3 and len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0
    assert (outcome.error, outcome.transient, outcome.attempts) == ("fetch: HTTP 503 Service Unavailable", True, 3)


def test_retry_after_is_honoured() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=b"ok")])
    outcome, seen, sleeps = fetch(lambda r: next(answers))
    assert sleeps == [7.0] and len(seen) == 2 and outcome.ok


def test_a_retry_after_beyond_the_cap_is_not_waited_for_in_the_run() -> None:
    outcome, seen, sleeps = fetch(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}), backoff_cap=30)
    assert sleeps == [] and len(seen) == 1
    assert outcome.transient and outcome.error == "fetch: HTTP 429 Too Many Requests"


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    assert _retry_after("Mon, 30 Nov 2026 12:00:42 GMT", now) == 42.0
    assert _retry_after("120", now) == 120.0
    assert _retry_after("soon", now) is None


@pytest.mark.parametrize("status", [404, 410, 401, 403])
def test_permanent_statuses_are_not_retried(status: int) -> None:
    outcome, seen, sleeps = fetch(lambda r: httpx.Response(status))
    assert len(seen) == 1 and sleeps == []
    assert outcome.error is not None and outcome.error.startswith(f"fetch: HTTP {status}")
    assert outcome.transient is False


def test_redirects_are_followed_up_to_the_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        return httpx.Response(301, headers={"Location": f"/feed.xml?n={n + 1}"})
    outcome, seen, _ = fetch(handler, max_redirects=4)
    assert len(seen) == 5
    assert outcome.error == "fetch: more than 4 redirects" and not outcome.transient


def test_a_redirect_keeps_the_final_url_as_the_base() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed.xml":
            return httpx.Response(308, headers={"Location": "https://cdn.lab.example/v2/feed.xml"})
        return httpx.Response(200, content=b"<rss/>")
    outcome, _, _ = fetch(handler, state=SourceState(etag='"x"'))
    assert outcome.document is not None
    assert outcome.document.url == URL
    assert outcome.document.final_url == "https://cdn.lab.example/v2/feed.xml"


@pytest.mark.parametrize(("location", "message"), [
    ("http://lab.example/feed.xml", "refused redirect from https to http"),
    ("file:///etc/passwd", "refused non-http URL"),
    ("javascript:alert(1)", "refused non-http URL 'javascript:alert(1)'"),
    ("http://[oops/feed.xml", "fetch: invalid URL 'http://[oops/feed.xml'"),
])
def test_unsafe_redirects_are_refused(location: str, message: str) -> None:
    outcome, seen, _ = fetch(lambda r: httpx.Response(302, headers={"Location": location}))
    assert len(seen) == 1
    assert outcome.error is not None and message in outcome.error


def test_an_unsupported_content_encoding_is_refused() -> None:
    outcome, _, _ = fetch(lambda r: httpx.Response(200, content=b"x", headers={"Content-Encoding": "br"}))
    assert outcome.error is not None and "unsupported Content-Encoding" in outcome.error


def test_the_guard_refuses_private_destinations_before_connecting() -> None:
    async def go() -> FetchOutcome:
        async with Fetcher(FetchSettings(max_attempts=1)) as fetcher:
            return await fetcher.fetch("http://127.0.0.1:9/feed")
    outcome = asyncio.run(go())
    assert outcome.error == ("fetch: refused to connect to '127.0.0.1': it resolves to "
                             "non-public address 127.0.0.1")
    assert outcome.transient is False


def test_a_name_that_does_not_resolve_is_a_transient_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_dns(self: object, host: str, port: int, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_dns)  # no network in tests

    async def go() -> FetchOutcome:
        async with Fetcher(FetchSettings(max_attempts=1)) as fetcher:
            return await fetcher.fetch("https://feeds.lab.example/feed.xml")
    outcome = asyncio.run(go())
    assert outcome.error == ("fetch: connection failed: cannot resolve 'feeds.lab.example': "
                             "[Errno -2] Name or service not known")
    assert (outcome.transient, outcome.status) == (True, None)
