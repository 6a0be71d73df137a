"""The Fetcher against a real HTTP/1.1 server on 127.0.0.1: validators, retries, timeouts,
size caps, decompression bombs, redirects and the SSRF guard, over real sockets."""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from owingest.config import FetchSettings
from owingest.fetch import Fetcher, is_public_address
from owingest.fetch import fetcher as fetcher_module
from owingest.models import FetchOutcome, SourceState
from tests.loopback import SAMPLE_FEED, SCENARIOS, LoopbackServer, Reply, gzip_body

pytestmark = pytest.mark.integration

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
LAST_MODIFIED = "Mon, 23 Nov 2026 09:00:00 GMT"
BLOCK = bytes(range(256)) * 256  # 64 KiB, not compressible by accident
FEED_V2 = SAMPLE_FEED.replace(b"Loopback-7B", b"Loopback-8B")


def settings(**overrides: Any) -> FetchSettings:
    """Small timeouts and backoff so that every test stays well under a few seconds."""
    base: dict[str, Any] = {"allow_private_hosts": True, "connect_timeout": 1.0, "read_timeout": 0.5,
                            "total_timeout": 3.0, "max_bytes": 64 * 1024, "max_attempts": 3,
                            "backoff_base": 0.01, "backoff_cap": 3.0, "per_host": 4}
    return FetchSettings(**{**base, **overrides})


def fetch(url: str, state: SourceState | None = None, **overrides: Any) -> FetchOutcome:
    async def go() -> FetchOutcome:
        async with Fetcher(settings(**overrides)) as fetcher:
            return await fetcher.fetch(url, state)
    return asyncio.run(go())


# ---- conditional GET ------------------------------------------------------------------------

def test_an_etag_is_sent_back_and_a_304_is_not_modified(server: LoopbackServer) -> None:
    url = server.route("/feed", [Reply(200, SAMPLE_FEED, {**RSS, "ETag": '"v1"'}),
                                 Reply(304, headers={"ETag": '"v1"'})])
    first = fetch(url)
    assert first.document is not None and first.document.body == SAMPLE_FEED
    assert (first.status, first.etag, first.last_modified, first.attempts) == (200, '"v1"', None, 1)

    second = fetch(url, SourceState(etag=first.etag, last_modified=first.last_modified))
    assert (second.not_modified, second.document, second.status, second.error) == (True, None, 304, None)
    assert second.etag == '"v1"'

    sent = [r.headers for r in server.requests("/feed")]
    assert len(sent) == 2
    assert "if-none-match" not in sent[0] and "if-modified-since" not in sent[0]
    assert sent[1]["if-none-match"] == '"v1"' and "if-modified-since" not in sent[1]
    assert sent[1]["accept-encoding"] == "gzip, deflate"
    assert sent[1]["user-agent"].startswith("owingest/")


def test_a_new_etag_with_the_same_last_modified_updates_both_validators(server: LoopbackServer) -> None:
    url = server.route("/feed", [
        Reply(200, SAMPLE_FEED, {**RSS, "ETag": '"a"', "Last-Modified": LAST_MODIFIED}),
        Reply(200, FEED_V2, {**RSS, "ETag": '"b"', "Last-Modified": LAST_MODIFIED}),
        Reply(304, headers={"ETag": '"b"'}),
    ])
    first = fetch(url)
    assert (first.etag, first.last_modified) == ('"a"', LAST_MODIFIED)
    second = fetch(url, SourceState(first.etag, first.last_modified))
    assert second.document is not None and second.document.body == FEED_V2
    assert (second.etag, second.last_modified) == ('"b"', LAST_MODIFIED)
    third = fetch(url, SourceState(second.etag, second.last_modified))
    assert third.not_modified and (third.etag, third.last_modified) == ('"b"', LAST_MODIFIED)

    sent = [(r.headers.get("if-none-match"), r.headers.get("if-modified-since"))
            for r in server.requests("/feed")]
    assert sent == [(None, None), ('"a"', LAST_MODIFIED), ('"b"', LAST_MODIFIED)]


# ---- retries --------------------------------------------------------------------------------

def _http_date_in(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize("retry_after", ["1", "date"])
def test_a_429_with_retry_after_is_waited_for_then_succeeds(server: LoopbackServer, retry_after: str) -> None:
    value = _http_date_in(2) if retry_after == "date" else retry_after
    url = server.route("/feed", [Reply(429, b"slow down", {"Retry-After": value}), Reply(200, SAMPLE_FEED, RSS)])
    outcome = fetch(url)
    assert (outcome.ok, outcome.status, outcome.attempts) == (True, 200, 2)
    assert outcome.document is not None and outcome.document.body == SAMPLE_FEED
    first, second = server.requests("/feed")
    # "1" is one second; an HTTP-date 2 s ahead (whole seconds) is between 1 and 2 s away
    assert 0.9 <= second.time - first.time <= 3.5


def test_server_errors_are_retried_until_the_server_recovers(server: LoopbackServer) -> None:
    url = server.route("/feed", [Reply(500), Reply(503), Reply(200, SAMPLE_FEED, RSS)])
    outcome = fetch(url)
    assert (outcome.ok, outcome.status, outcome.attempts) == (True, 200, 3)
    assert [r.reply for r in server.requests("/feed")] == [0, 1, 2]


def test_a_404_is_not_retried(server: LoopbackServer) -> None:
    url = server.route("/feed", Reply(404, b"no such feed"))
    outcome = fetch(url)
    assert (outcome.error, outcome.transient, outcome.status, outcome.attempts) == (
        "fetch: HTTP 404 Not Found", False, 404, 1)
    assert len(server.requests()) == 1


def test_a_connection_reset_mid_body_is_retried(server: LoopbackServer) -> None:
    url = server.route("/feed", [Reply(200, SAMPLE_FEED, RSS, reset_after=100), Reply(200, SAMPLE_FEED, RSS)])
    outcome = fetch(url)
    assert (outcome.ok, outcome.attempts) == (True, 2)
    assert outcome.document is not None and outcome.document.body == SAMPLE_FEED
    first, second = server.requests("/feed")
    # the server thread marks a reply completed after its last write returns, which can be a
    # moment after the client has read it all
    deadline = time.monotonic() + 2.0
    while not second.completed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (first.sent, first.completed, second.completed) == (100, False, True)


# ---- timeouts -------------------------------------------------------------------------------

def test_a_server_slower_than_the_read_timeout_is_a_transient_error(server: LoopbackServer) -> None:
    url = server.route("/feed", Reply(200, SAMPLE_FEED, RSS, delay=5.0))
    started = time.monotonic()
    outcome = fetch(url, read_timeout=0.3, max_attempts=2)
    elapsed = time.monotonic() - started
    assert (outcome.error, outcome.transient, outcome.attempts) == ("fetch: timed out (ReadTimeout)", True, 2)
    assert len(server.requests("/feed")) == 2
    assert 0.6 <= elapsed < 3.0  # two read timeouts and a short backoff, not the server's 2 x 5 s


@pytest.mark.parametrize("path", ["/trickled-headers", "/slow-body"])
def test_a_trickling_server_is_cut_off_by_the_total_deadline(server: LoopbackServer, path: str) -> None:
    # each byte arrives within the read timeout, so only the per-attempt deadline stops it
    url = server.route(path, SCENARIOS[path])
    started = time.monotonic()
    outcome = fetch(url, read_timeout=1.0, total_timeout=1.2, max_attempts=1)
    elapsed = time.monotonic() - started
    assert (outcome.error, outcome.transient) == ("fetch: no complete answer within 1.2 s", True)
    assert 1.1 <= elapsed < 3.0  # the server would go on for 5 s (slow body) or 10 s (headers)
    assert server.requests(path)[0].completed is False


# ---- size caps and decoding -----------------------------------------------------------------

@pytest.mark.parametrize(("content_length", "error"), [
    ("auto", "fetch: Content-Length 67108864 is over the cap of 65536 bytes"),
    (None, "fetch: body larger than the cap of 65536 bytes"),
])
def test_a_body_over_the_cap_is_refused_and_not_downloaded(
        server: LoopbackServer, content_length: str | None, error: str) -> None:
    body = Reply(200, BLOCK, {"Content-Type": "application/xml"}, repeat=1024,  # 64 MiB
                 content_length=content_length)
    url = server.route("/big", body)
    outcome = fetch(url, max_bytes=64 * 1024)
    assert (outcome.error, outcome.transient, outcome.attempts) == (error, False, 1)
    [request] = server.wait(1, path="/big")
    assert request.completed is False
    assert request.sent < body.size // 4  # the client hung up long before the end


def test_a_gzip_bomb_is_stopped_at_the_cap_without_inflating_it(
        server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = gzip_body(bytes(2**20), repeat=256)  # 256 MiB of zeros in ~260 KB
    cap = 1024 * 1024
    assert len(bomb) < cap  # small on the wire: only the decoded size can trip the cap
    url = server.route("/bomb", Reply(200, bomb, {"Content-Type": "application/xml",
                                                  "Content-Encoding": "gzip"}))
    decoded: list[int] = []
    feed = fetcher_module._Decoder.feed

    def spy(self: Any, chunk: bytes) -> None:
        try:
            feed(self, chunk)
        finally:
            decoded.append(len(self._out))

    monkeypatch.setattr(fetcher_module._Decoder, "feed", spy)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    outcome = fetch(url, max_bytes=cap)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert outcome.error == f"fetch: body larger than the cap of {cap} bytes after decoding"
    assert (outcome.transient, outcome.attempts) == (False, 1)
    assert decoded and max(decoded) <= cap + 64 * 1024  # never more than the cap and one chunk
    assert grown < 64 * 1024  # KiB: the 256 MiB never existed in memory


@pytest.mark.parametrize("headers", [
    {"Content-Encoding": "gzip, gzip"},
    [("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")],
], ids=["one-header", "two-headers"])
def test_stacked_content_encodings_are_refused(server: LoopbackServer, headers: Any) -> None:
    url = server.route("/feed", Reply(200, gzip_body(SAMPLE_FEED, layers=2), headers))
    outcome = fetch(url)
    assert (outcome.error, outcome.transient, outcome.attempts) == (
        "fetch: unsupported Content-Encoding 'gzip, gzip'", False, 1)


# ---- redirects ------------------------------------------------------------------------------

def test_a_redirect_loop_stops_after_the_limit(server: LoopbackServer) -> None:
    url = server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    outcome = fetch(url, max_redirects=3)
    assert (outcome.error, outcome.transient, outcome.attempts) == ("fetch: more than 3 redirects", False, 1)
    assert len(server.requests("/loop")) == 4  # the first request and three hops


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml"])
def test_a_redirect_to_a_non_http_scheme_is_refused(server: LoopbackServer, location: str) -> None:
    url = server.route("/feed", Reply(301, headers={"Location": location}))
    outcome = fetch(url)
    assert (outcome.error, outcome.transient) == (f"fetch: refused non-http URL {location!r}", False)
    assert len(server.requests()) == 1


def test_a_followed_redirect_keeps_the_asked_url_and_the_final_url(server: LoopbackServer) -> None:
    url = server.route("/old", Reply(308, headers={"Location": "/new/feed.xml"}))
    server.route("/new/feed.xml", Reply(200, SAMPLE_FEED, RSS))
    outcome = fetch(url, SourceState(etag='"x"'))
    assert outcome.document is not None
    assert (outcome.document.url, outcome.document.final_url) == (url, server.url("/new/feed.xml"))
    # the validators belong to the asked URL: they are not sent to the redirect target
    assert [r.headers.get("if-none-match") for r in server.requests()] == ['"x"', None]


# ---- faults as data: each scenario of tests/loopback.py and what the fetcher must make of it -

@dataclass(frozen=True)
class Expect:
    error: str | None                   # exact, or a prefix when it ends with "…"
    transient: bool = False
    attempts: int = 1
    body: bytes | None = None


FAULTS: dict[str, tuple[dict[str, Any], Expect]] = {
    "/ok": ({}, Expect(None, body=SAMPLE_FEED)),
    "/not-found": ({}, Expect("fetch: HTTP 404 Not Found")),
    "/flaky": ({}, Expect(None, attempts=3, body=SAMPLE_FEED)),
    "/slow-headers": ({"max_attempts": 1}, Expect("fetch: timed out (ReadTimeout)", transient=True)),
    "/reset-mid-body": ({"max_attempts": 1}, Expect("fetch: connection failed: …", transient=True)),
    "/short-body": ({"max_attempts": 1}, Expect("fetch: connection failed: …", transient=True)),
    "/no-length": ({}, Expect(None, body=SAMPLE_FEED)),
    "/gzip": ({}, Expect(None, body=SAMPLE_FEED)),
    "/gzip-bomb": ({}, Expect("fetch: body larger than the cap of 65536 bytes after decoding")),
    "/gzip2": ({}, Expect("fetch: unsupported Content-Encoding 'gzip, gzip'")),
    "/redirect-loop": ({}, Expect("fetch: more than 5 redirects")),
    "/redirect-file": ({}, Expect("fetch: refused non-http URL 'file:///etc/passwd'")),
}


def test_every_loopback_scenario_has_an_expected_outcome() -> None:
    slow = {"/trickled-headers", "/slow-body"}  # covered by the deadline test above
    assert set(SCENARIOS) - slow == set(FAULTS)


@pytest.mark.parametrize("path", sorted(FAULTS))
def test_a_loopback_scenario_gives_its_expected_outcome(server: LoopbackServer, path: str) -> None:
    overrides, expect = FAULTS[path]
    url = server.route(path, SCENARIOS[path])
    outcome = fetch(url, **overrides)
    if expect.error is not None and expect.error.endswith("…"):
        assert outcome.error is not None and outcome.error.startswith(expect.error[:-1]), outcome.error
    else:
        assert outcome.error == expect.error
    assert (outcome.transient, outcome.attempts) == (expect.transient, expect.attempts)
    assert (outcome.document.body if outcome.document else None) == expect.body


# ---- the SSRF guard -------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"),
    ("localhost", "127.0.0.1"),
    ("[::1]", "::1"),
    ("0x7f000001", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
])
def test_the_guard_refuses_loopback_before_any_request_is_sent(
        server: LoopbackServer, host: str, address: str) -> None:
    server.route("/feed", Reply(200, SAMPLE_FEED, RSS))
    outcome = fetch(f"http://{host}:{server.port}/feed", allow_private_hosts=False)
    name = host.strip("[]")
    assert outcome.error == f"fetch: refused to connect to {name!r}: it resolves to non-public address {address}"
    assert (outcome.transient, outcome.attempts, outcome.status) == (False, 1, None)
    assert server.requests() == []
    # the same URL with private hosts allowed does reach the server (IPv4 only: it listens on 127.0.0.1)
    if address == "127.0.0.1":
        assert fetch(f"http://{host}:{server.port}/feed").ok
        assert len(server.requests("/feed")) == 1


@pytest.mark.parametrize(("address", "public"), [
    ("127.0.0.1", False), ("127.255.255.254", False), ("::1", False),
    ("10.0.0.1", False), ("172.16.0.1", False), ("172.31.255.255", False), ("192.168.1.1", False),
    ("100.64.0.1", False), ("100.127.255.254", False),
    ("169.254.0.1", False), ("169.254.169.254", False), ("fd00:ec2::254", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:169.254.169.254", False),
    ("2002:7f00:1::", False),                       # 6to4 wrapping 127.0.0.1
    ("fc00::1", False), ("fd12:3456:789a::1", False),
    ("fe80::1", False), ("fe80::1%eth0", False),
    ("0.0.0.0", False), ("::", False), ("0.1.2.3", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("ff02::1", False), ("255.255.255.255", False),
    ("192.0.2.1", False), ("198.18.0.1", False), ("2001:db8::1", False),
    ("localhost", False), ("127.1", False), ("not an address", False),  # not literals: never public
    ("8.8.8.8", True), ("1.1.1.1", True), ("172.32.0.1", True), ("::ffff:8.8.8.8", True),
    ("2606:4700:4700::1111", True), ("2001:4860:4860::8888", True),
])
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# ---- politeness, seen from the server ---------------------------------------------------------

def test_at_most_per_host_requests_and_connections_reach_one_host_at_once() -> None:
    with LoopbackServer() as one, LoopbackServer(host="127.0.0.2") as two:
        for server in (one, two):
            for n in range(8):
                server.route(f"/feed{n}", Reply(200, SAMPLE_FEED, RSS, delay=0.15))

        async def go() -> list[FetchOutcome]:
            async with Fetcher(settings(per_host=2, concurrency=10)) as fetcher:
                return await asyncio.gather(*(fetcher.fetch(s.url(f"/feed{n}"))
                                              for s in (one, two) for n in range(8)))
        started = time.monotonic()
        outcomes = asyncio.run(go())
        elapsed = time.monotonic() - started
    assert all(o.ok for o in outcomes)
    for server in (one, two):
        assert len(server.requests()) == 8
        assert server.peak_active == 2          # the limit is used, and never exceeded
        assert server.peak_connections <= 2
    # the two hosts are served side by side: 4 rounds of 0.15 s each, not 8
    assert elapsed < 8 * 0.15


@pytest.mark.parametrize(("retry_after", "attempts", "waited"), [
    ("3600", 1, None),                      # beyond backoff_cap: not waited for in this run
    ("999999999999", 1, None),
    ("date+3600", 1, None),                 # an HTTP-date an hour ahead: the same
    ("date-3600", 2, (0.0, 0.5)),           # an HTTP-date in the past: at once
    ("-5", 2, (0.0, 0.5)),                  # nonsense: the ordinary backoff
    ("soon", 2, (0.0, 0.5)),
])
def test_retry_after_is_clamped_to_the_backoff_cap(
        server: LoopbackServer, retry_after: str, attempts: int, waited: tuple[float, float] | None) -> None:
    if retry_after.startswith("date"):
        retry_after = _http_date_in(float(retry_after[4:]))
    url = server.route("/feed", [Reply(429, b"slow down", {"Retry-After": retry_after}),
                                 Reply(200, SAMPLE_FEED, RSS)])
    started = time.monotonic()
    outcome = fetch(url, backoff_cap=3.0)
    assert time.monotonic() - started < 2.0
    assert outcome.attempts == attempts
    assert len(server.requests("/feed")) == attempts
    if waited is None:
        assert (outcome.error, outcome.transient, outcome.status) == (
            "fetch: HTTP 429 Too Many Requests", True, 429)
    else:
        assert outcome.ok
        first, second = server.requests("/feed")
        assert waited[0] <= second.time - first.time <= waited[1]


def test_requests_carry_our_user_agent_and_ignore_proxy_settings(
        server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # a proxy in the environment would receive every request if trust_env were on
    with LoopbackServer(host="127.0.0.2") as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url())
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        url = server.route("/feed", Reply(200, SAMPLE_FEED, RSS))
        assert fetch(url).ok
        assert proxy.requests() == []
    [request] = server.requests("/feed")
    assert request.headers["user-agent"] == FetchSettings().user_agent
    assert "+https://" in request.headers["user-agent"]  # a contact URL
