"""The ingest-level fault table: every scenario is a source in a real run (``run_ingest``, or
the same pipeline functions with a short parser deadline), served by ``tests/loopback.py``
beside good sources; then each scenario's stated outcome is read back from the warehouse.

For every scenario: the run completes within its bound, the good sources are stored in full,
the bad source is recorded in ``fetches`` and ``sources`` with its error, the source's own time
stays bounded; for the whole table: memory stays bounded, and no local file content or
expanded entity reaches the warehouse. The scenarios are grouped into four runs (the main
table, SSRF with private hosts refused, and two documents that overrun the parser deadline,
each in its own run because a killed parser takes its pool with it).
"""

from __future__ import annotations

import asyncio
import resource
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import yaml

from owingest import pipeline
from owingest.config import SourcesConfig, load_sources
from owingest.fetch import guard
from owingest.parse.pool import ParserPool
from tests.loopback import LoopbackServer, Reply, deflate_body, gzip_body
from tests.scenario_docs import (
    ATOM_TYPE,
    HTML_TYPE,
    JSON_TYPE,
    RSS_TYPE,
    atom,
    entity_bomb,
    hub_page,
    rss,
    rss_items,
    xxe,
)
from tests.test_ingest_loopback import rows

pytestmark = pytest.mark.integration

CAP = 1024 * 1024  # max_bytes of the main table
SETTINGS = {
    "connect_timeout": 1.0,
    "read_timeout": 0.5,
    "total_timeout": 1.5,
    "max_attempts": 2,
    "backoff_base": 0.01,
    "backoff_cap": 2.5,
    "per_host": 10,
    "concurrency": 30,
    "max_bytes": CAP,
    "max_redirects": 3,
}
SOURCE_BOUND = 2 * 1.5 + 2.5 + 2.0  # attempts x deadline + the longest wait + parsing
RUN_BOUND = 30.0
PARSE_DEADLINE = 3.0
MARKER = f"local-secret-{secrets.token_hex(8)}"
EXPANDED = "lol" * 20  # what an expanded billion-laughs entity would leave in a title


@dataclass(frozen=True)
class Servers:
    """The harness's server, and a canary on another loopback address that nothing may reach."""

    main: LoopbackServer
    canary: LoopbackServer


@dataclass(frozen=True)
class Scenario:
    """A source, what the server does for it, and what the warehouse must say afterwards."""

    replies: Sequence[Reply] | Callable[[Servers], str]  # or: build the routes, return the URL
    error: str | None = None  # exact, or a prefix when it ends with "…"
    transient: bool | None = None
    items: int = 0  # items stored from this source
    attempts: int | None = None
    kind: str = "feed"
    group: str = "main"
    check: Callable[[Ctx], None] | None = None  # what else this scenario promises
    extra: dict[str, Any] = field(default_factory=dict)  # more source settings (max_pages)


@dataclass(frozen=True)
class Ctx:
    sid: str
    warehouse: Path
    server: LoopbackServer

    def one(self, sql: str) -> tuple[Any, ...]:
        [row] = rows(self.warehouse, sql.replace("$sid", "?"), [self.sid] * sql.count("$sid"))
        return row

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        return rows(self.warehouse, sql.replace("$sid", "?"), [self.sid] * sql.count("$sid"))


def feed_ok(n: int, tag: str, **headers: str) -> list[Reply]:
    return [Reply(200, rss(rss_items(tag, n)), {"Content-Type": RSS_TYPE, **headers})]


def chain(hops: int, final: Reply) -> Callable[[Servers], str]:
    def build(servers: Servers) -> str:
        server = servers.main
        tag = secrets.token_hex(3)
        for n in range(hops):
            server.route(
                f"/chain-{tag}-{n}", Reply(302, headers={"Location": f"/chain-{tag}-{n + 1}"})
            )
        server.route(f"/chain-{tag}-{hops}", final)
        return server.url(f"/chain-{tag}-0")

    return build


def hub_pages(pages: int, *, loop: bool = False) -> Callable[[Servers], str]:
    """A Hub listing whose ``Link: rel=next`` goes on to ``pages`` pages (or back to page 0)."""

    def build(servers: Servers) -> str:
        server = servers.main
        tag = secrets.token_hex(3)
        for n in range(pages):
            nxt = f"/api/{tag}?cursor={0 if loop else n + 1}"
            server.route(
                f"/api/{tag}?cursor={n}",
                Reply(
                    200,
                    hub_page(f"{tag}/m{n}a", f"{tag}/m{n}b"),
                    {"Content-Type": JSON_TYPE, "Link": f'<{nxt}>; rel="next"'},
                ),
            )
        return server.url(f"/api/{tag}?cursor=0")

    return build


# ---- what some scenarios promise beyond their error and item count ---------------------------


def waited(low: float, high: float) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        first, second = ctx.server.requests(f"/{ctx.sid}")
        assert low <= second.time - first.time <= high

    return check


def requests_seen(count: int, prefix: str) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        assert len([r for r in ctx.server.requests() if r.path.startswith(prefix)]) == count

    return check


def cut_off_early(ctx: Ctx) -> None:
    """The client hung up long before the server's body ended: nothing big was read."""
    [request] = ctx.server.requests(f"/{ctx.sid}")
    assert (
        not request.completed and request.sent < 16 * CAP
    )  # of 64 MiB (socket buffers hold a few)


def titled(*titles: str) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        assert ctx.all("SELECT title FROM items WHERE source_id = $sid ORDER BY title") == [
            (t,) for t in sorted(titles)
        ]

    return check


def with_problem(text: str) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        (problems,) = ctx.one("SELECT problems FROM fetches WHERE source_id = $sid")
        assert any(p.startswith(text) for p in problems), problems

    return check


def summary_truncated(ctx: Ctx) -> None:
    assert ctx.one("SELECT length(summary) FROM items WHERE source_id = $sid") == (4000,)


def first_duplicate_kept(ctx: Ctx) -> None:
    assert ctx.all("SELECT title, url FROM items WHERE source_id = $sid") == [
        ("Dup 0", "https://d.example/same")
    ]
    assert ctx.one("SELECT items_seen, items_new FROM fetches WHERE source_id = $sid") == (3, 1)


def implausible_date_kept_as_candidate(year: int) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        published, candidates = ctx.one(
            "SELECT published_at, date_candidates FROM items WHERE source_id = $sid"
        )
        assert published is None  # never stored as the publication date
        assert [c["value"].year for c in candidates] == [year]  # but recorded where it was found

    return check


def no_markup(ctx: Ctx) -> None:
    for title, summary, url, author in ctx.all(
        "SELECT title, summary, url, author FROM items WHERE source_id = $sid"
    ):
        for text in (title, summary, author or ""):
            parsed = lxml.html.fragment_fromstring(f"<div>{text}</div>")
            assert [e.tag for e in parsed.iter()] == ["div"], text  # plain text: no element at all
        assert url is None or url.startswith("https://")
    assert ctx.one(
        "SELECT count(*) FROM items WHERE source_id = $sid "
        "AND (summary ILIKE '%<script%' OR title ILIKE '%<script%')"
    ) == (0,)


def no_control_characters(ctx: Ctx) -> None:
    [(title,)] = ctx.all("SELECT title FROM items WHERE source_id = $sid")
    assert title == "Null and bell in a title"


def pages_read(count: int) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        assert ctx.one("SELECT documents FROM fetches WHERE source_id = $sid") == (count,)

    return check


def both(*checks: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        for one in checks:
            one(ctx)

    return check


# ---- the table -------------------------------------------------------------------------------

GARBAGE = bytes((n * 7919 + 13) % 251 for n in range(4096))
BIG = bytes(range(256)) * 256  # 64 KiB that does not compress
TRUNCATED = rss(rss_items("trunc", 5))[:-260]  # cut inside the last item
HOSTILE = rss(
    "<item><title>Hostile &lt;script&gt;alert(1)&lt;/script&gt; title</title>"
    "<link>javascript:alert(1)</link><guid>hostile-1</guid><author>&lt;img src=x onerror=alert(2)&gt;</author>"
    "<description><![CDATA[<p>Weights <script>alert(3)</script><img src=x onerror=alert(4)>"
    "<a href='javascript:alert(5)'>card</a> &amp;lt;script&amp;gt;alert(6)&amp;lt;/script&amp;gt;"
    " <svg><a xlink:href='javascript:alert(7)'>x</a></svg></p>]]></description></item>"
    "<item><title>Double-escaped</title><link>https://h.example/2</link>"
    "<description>&amp;lt;script&amp;gt;alert(8)&amp;lt;/script&amp;gt; ok "
    "&lt;iframe src=javascript:alert(9)&gt;</description></item>"
)

SCENARIOS: dict[str, Scenario] = {
    # the good sources: stored in full beside every fault
    "good-rss": Scenario(feed_ok(20, "good-rss"), items=20, attempts=1),
    "good-atom": Scenario(
        [Reply(200, atom("good-atom", 10), {"Content-Type": ATOM_TYPE})], items=10
    ),
    "good-hub": Scenario(
        [Reply(200, hub_page(*(f"lab/Model-{n}B" for n in range(5))), {"Content-Type": JSON_TYPE})],
        kind="hf_models",
        items=5,
    ),
    "good-large": Scenario(feed_ok(5000, "good-large"), items=5000),
    "good-gzip": Scenario(
        [
            Reply(
                200,
                gzip_body(rss(rss_items("gz", 15))),
                {"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"},
            )
        ],
        items=15,
    ),
    "good-deflate": Scenario(
        [
            Reply(
                200,
                deflate_body(rss(rss_items("df", 12))),
                {"Content-Type": RSS_TYPE, "Content-Encoding": "deflate"},
            )
        ],
        items=12,
    ),
    # slow servers: cut off by the read timeout or the per-attempt deadline, retried, recorded
    # (the trickles come every 0.1 s, well inside the 0.5 s read timeout even on a busy machine)
    "slow-headers": Scenario(
        [Reply(200, rss(rss_items("x", 1)), delay=5.0)],
        "fetch: timed out (ReadTimeout)",
        True,
        attempts=2,
    ),
    "trickled-headers": Scenario(
        [Reply(200, rss(rss_items("x", 1)), [("X-Pad", "x")] * 40, header_gap=0.1)],
        "fetch: no complete answer within 1.5 s",
        True,
        attempts=2,
    ),
    "slowloris-body": Scenario(
        [Reply(200, rss(rss_items("x", 40)), {"Content-Type": RSS_TYPE}, chunk=64, chunk_gap=0.1)],
        "fetch: no complete answer within 1.5 s",
        True,
        attempts=2,
    ),
    "stalled-body": Scenario(
        [
            Reply(
                200, rss(rss_items("x", 40)), {"Content-Type": RSS_TYPE}, chunk=1024, chunk_gap=3.0
            )
        ],
        "fetch: timed out (ReadTimeout)",
        True,
        attempts=2,
    ),
    # broken connections
    "reset-mid-body": Scenario(
        [Reply(200, rss(rss_items("x", 9)), {"Content-Type": RSS_TYPE}, reset_after=200)],
        "fetch: connection failed: …",
        True,
        attempts=2,
    ),
    "length-over-body": Scenario(
        [Reply(200, rss(rss_items("x", 3)), {"Content-Type": RSS_TYPE}, content_length=5000)],
        "fetch: connection failed: …",
        True,
        attempts=2,
    ),
    # statuses
    "flaky-then-ok": Scenario([Reply(503), *feed_ok(3, "flaky")], items=3, attempts=2),
    "429-seconds": Scenario(
        [Reply(429, headers={"Retry-After": "1"}), *feed_ok(2, "ra-s")],
        items=2,
        attempts=2,
        check=waited(0.9, 3.5),
    ),
    "429-http-date": Scenario(
        lambda s: s.main.route(
            "/429-http-date",
            [Reply(429, headers={"Retry-After": lambda: _http_date_in(2)}), *feed_ok(2, "ra-d")],
        ),
        items=2,
        attempts=2,
        check=waited(0.9, 3.5),
    ),
    "429-too-long": Scenario(
        [Reply(429, headers={"Retry-After": "86400"})],
        "fetch: HTTP 429 Too Many Requests",
        True,
        attempts=1,
    ),
    "storm-500": Scenario([Reply(500)], "fetch: HTTP 500 Internal Server Error", True, attempts=2),
    "storm-502": Scenario([Reply(502)], "fetch: HTTP 502 Bad Gateway", True, attempts=2),
    "storm-503": Scenario(
        [Reply(503, headers={"Retry-After": "0"})],
        "fetch: HTTP 503 Service Unavailable",
        True,
        attempts=2,
    ),
    "not-found": Scenario([Reply(404, b"no")], "fetch: HTTP 404 Not Found", False, attempts=1),
    "gone": Scenario([Reply(410)], "fetch: HTTP 410 Gone", False, attempts=1),
    # redirects
    "redirect-loop": Scenario(
        [Reply(302, headers={"Location": "/redirect-loop"})],
        "fetch: more than 3 redirects",
        False,
        attempts=1,
        check=requests_seen(4, "/redirect-loop"),
    ),
    "redirect-chain-too-long": Scenario(
        chain(4, feed_ok(1, "far")[0]), "fetch: more than 3 redirects", False
    ),
    "redirect-chain-ok": Scenario(chain(2, feed_ok(3, "near")[0]), items=3),
    "redirect-to-file": Scenario(
        [Reply(302, headers={"Location": "file:///etc/passwd"})],
        "fetch: refused non-http URL 'file:///etc/passwd'",
        False,
    ),
    # sizes and codings
    "over-cap-with-length": Scenario(
        [Reply(200, BIG, {"Content-Type": RSS_TYPE}, repeat=1024)],
        f"fetch: Content-Length {1024 * len(BIG)} is over the cap of {CAP} bytes",
        False,
        attempts=1,
        check=cut_off_early,
    ),
    "over-cap-no-length": Scenario(
        [Reply(200, BIG, {"Content-Type": RSS_TYPE}, repeat=1024, content_length=None)],
        f"fetch: body larger than the cap of {CAP} bytes",
        False,
        check=cut_off_early,
    ),
    "gzip-bomb": Scenario(
        [Reply(200, gzip_body(bytes(2**20), repeat=256), {"Content-Encoding": "gzip"})],
        f"fetch: body larger than the cap of {CAP} bytes after decoding",
        False,
    ),
    "deflate-bomb": Scenario(
        [Reply(200, deflate_body(bytes(2**20), repeat=256), {"Content-Encoding": "deflate"})],
        f"fetch: body larger than the cap of {CAP} bytes after decoding",
        False,
    ),
    "stacked-gzip": Scenario(
        [
            Reply(
                200, gzip_body(rss(rss_items("x", 1)), layers=2), {"Content-Encoding": "gzip, gzip"}
            )
        ],
        "fetch: unsupported Content-Encoding 'gzip, gzip'",
        False,
    ),
    "brotli": Scenario(
        [Reply(200, b"\x8b\x02\x80hello\x03", {"Content-Encoding": "br"})],
        "fetch: unsupported Content-Encoding 'br'",
        False,
    ),
    # what the body is
    "wrong-content-type": Scenario(feed_ok(4, "wct", **{"Content-Type": "text/plain"}), items=4),
    "no-content-type": Scenario([Reply(200, rss(rss_items("nct", 4)))], items=4),
    "html-not-feed": Scenario(
        [
            Reply(
                200,
                b"<!DOCTYPE html><html><body><p>We moved.</p></body></html>",
                {"Content-Type": HTML_TYPE},
            )
        ],
        "parse: not a feed: the server sent an HTML page (text/html)",
        False,
    ),
    "binary-garbage": Scenario(
        [Reply(200, GARBAGE, {"Content-Type": "application/octet-stream"})],
        "parse: not a usable feed (application/octet-stream): …",
        False,
    ),
    "empty-body": Scenario(
        [Reply(200, b"", {"Content-Type": RSS_TYPE})],
        "parse: not a usable feed (application/rss+xml): no RSS or Atom elements",
        False,
    ),
    "utf8-bom": Scenario(
        [Reply(200, b"\xef\xbb\xbf" + rss(rss_items("Café BOM", 2)), {"Content-Type": RSS_TYPE})],
        items=2,
        check=titled("Café BOM post 0", "Café BOM post 1"),
    ),
    "wrong-declared-encoding": Scenario(
        [
            Reply(
                200,
                rss(rss_items("Zoë’s €5", 1), declare="windows-1252"),
                {"Content-Type": "application/rss+xml; charset=utf-8"},
            )
        ],
        items=1,
        check=titled("Zoë’s €5 post 0"),
    ),
    "invalid-utf8": Scenario(
        [
            Reply(
                200,
                rss(rss_items("Bad", 2)).replace(b"Bad post 1", b"Bad \xff post 1"),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=2,
        check=both(
            titled("Bad post 0", "Bad ÿ post 1"),
            with_problem(
                "ill-formed document: document declared as utf-8, but parsed as windows-1252"
            ),
        ),
    ),
    "control-characters": Scenario(
        [
            Reply(
                200,
                rss(
                    "<item><title>Null\x00 and bell\x07 in a title</title>"
                    "<link>https://c.example/1</link></item>"
                ),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=1,
        check=no_control_characters,
    ),
    # hostile XML
    "entity-bomb": Scenario(
        [Reply(200, entity_bomb(), {"Content-Type": RSS_TYPE})],
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "entity-bomb-utf16": Scenario(
        [Reply(200, entity_bomb("utf-16"), {"Content-Type": RSS_TYPE})],
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "entity-bomb-between-false-cdata": Scenario(
        [Reply(200, entity_bomb(hidden=True), {"Content-Type": RSS_TYPE})],
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "entity-bomb-ebcdic": Scenario(
        [Reply(200, entity_bomb("cp037"), {"Content-Type": RSS_TYPE})],
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "xxe-local-file": Scenario(
        lambda s: s.main.route(
            "/xxe-local-file", Reply(200, xxe(_marker_file()), {"Content-Type": RSS_TYPE})
        ),
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "xxe-after-padding": Scenario(
        lambda s: s.main.route(
            "/xxe-after-padding",
            Reply(200, xxe(_marker_file(), padding=70_000), {"Content-Type": RSS_TYPE}),
        ),
        "parse: document declares XML entities (refused: entity-expansion risk)",
        False,
    ),
    "ill-formed-usable": Scenario(
        [Reply(200, TRUNCATED, {"Content-Type": RSS_TYPE})],
        items=4,
        check=with_problem("ill-formed document: "),
    ),
    "ill-formed-unusable": Scenario(
        [Reply(200, b"<?xml version='1.0'?><rss><chan", {"Content-Type": RSS_TYPE})],
        "parse: not a usable feed (application/rss+xml): ill-formed document: …",
        False,
    ),
    "enormous-item": Scenario(
        [
            Reply(
                200,
                rss(
                    "<item><title>Huge</title><link>https://e.example/1</link>"
                    f"<description>{'weights ' * 110_000}</description></item>"
                ),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=1,
        check=summary_truncated,
    ),
    "duplicate-guids": Scenario(
        [
            Reply(
                200,
                rss(
                    "".join(
                        f"<item><title>Dup {n}</title><link>https://d.example/same</link><guid>same-guid</guid></item>"
                        for n in range(3)
                    )
                ),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=1,
        check=first_duplicate_kept,
    ),
    "far-future-date": Scenario(
        [
            Reply(
                200,
                rss(rss_items("future", 1, date="Tue, 01 Jan 2999 00:00:00 GMT")),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=1,
        check=implausible_date_kept_as_candidate(2999),
    ),
    "far-past-date": Scenario(
        [
            Reply(
                200,
                rss(rss_items("past", 1, date="Tue, 01 Jan 1901 00:00:00 GMT")),
                {"Content-Type": RSS_TYPE},
            )
        ],
        items=1,
        check=implausible_date_kept_as_candidate(1901),
    ),
    "hostile-markup": Scenario(
        [Reply(200, HOSTILE, {"Content-Type": RSS_TYPE})], items=2, check=no_markup
    ),
    # the Hub API
    "hub-truncated": Scenario(
        [Reply(200, hub_page("lab/A", "lab/B")[:40], {"Content-Type": JSON_TYPE})],
        "parse: Hub listing is not valid JSON: …",
        False,
        kind="hf_models",
    ),
    "hub-wrong-shape": Scenario(
        [Reply(200, b'{"error": "rate limited"}', {"Content-Type": JSON_TYPE})],
        "parse: Hub listing should be a JSON array, got dict",
        False,
        kind="hf_models",
    ),
    "hub-deep-json": Scenario(
        [Reply(200, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": JSON_TYPE})],
        "parse: Hub listing is not valid JSON: …",
        False,
        kind="hf_models",
    ),
    "hub-endless-pages": Scenario(
        hub_pages(1000),
        kind="hf_models",
        items=6,
        extra={"max_pages": 3},
        check=both(pages_read(3), with_problem("stopped after 3 pages (max_pages)")),
    ),
    "hub-pagination-loop": Scenario(
        hub_pages(1, loop=True),
        kind="hf_models",
        items=2,
        extra={"max_pages": 5},
        check=with_problem("pagination loops back to a page already read"),
    ),
}

# SSRF: private hosts refused (the default). The harness's server on 127.0.0.1 stands in for a
# public host (the guard is told so: nothing public is reachable offline); the canary on
# 127.0.0.2 is what an attacker would aim at. Host names resolve through a stub resolver.
REFUSED = "fetch: refused to connect to {!r}: it resolves to non-public address {}"


def to_canary(path: str) -> Callable[[Servers], str]:
    return lambda s: s.canary.url(path)


def redirect_to(location: Callable[[Servers], str], name: str) -> Callable[[Servers], str]:
    return lambda s: s.main.route(f"/{name}", Reply(302, headers={"Location": location(s)}))


def stub_url(host: str) -> Callable[[Servers], str]:
    return lambda s: f"http://{host}:{s.canary.port}/feed"


SSRF: dict[str, Scenario] = {
    "ssrf-good": Scenario(feed_ok(3, "ssrf-good"), items=3, group="ssrf"),
    "ssrf-direct-canary": Scenario(
        to_canary("/feed"),
        REFUSED.format("127.0.0.2", "127.0.0.2"),
        False,
        attempts=1,
        group="ssrf",
    ),
    "ssrf-redirect-to-canary": Scenario(
        redirect_to(lambda s: s.canary.url("/feed"), "ssrf-redirect-to-canary"),
        REFUSED.format("127.0.0.2", "127.0.0.2"),
        False,
        group="ssrf",
    ),
    "ssrf-redirect-to-metadata": Scenario(
        redirect_to(
            lambda s: "http://169.254.169.254/latest/meta-data/", "ssrf-redirect-to-metadata"
        ),
        REFUSED.format("169.254.169.254", "169.254.169.254"),
        False,
        group="ssrf",
    ),
    "ssrf-name-to-loopback": Scenario(
        stub_url("feeds.innocent.example"),
        REFUSED.format("feeds.innocent.example", "127.0.0.2"),
        False,
        group="ssrf",
    ),
    "ssrf-rebinding": Scenario(
        stub_url("rebind.example"),
        REFUSED.format("rebind.example", "127.0.0.2"),
        False,
        group="ssrf",
    ),
    "ssrf-private-10": Scenario(
        lambda s: "http://10.0.0.1/feed",
        REFUSED.format("10.0.0.1", "10.0.0.1"),
        False,
        group="ssrf",
    ),
    "ssrf-ipv6-loopback": Scenario(
        lambda s: f"http://[::1]:{s.canary.port}/feed",
        REFUSED.format("::1", "::1"),
        False,
        group="ssrf",
    ),
    "ssrf-hex-ip": Scenario(
        lambda s: f"http://0x7f000002:{s.canary.port}/feed",
        REFUSED.format("0x7f000002", "127.0.0.2"),
        False,
        group="ssrf",
    ),
}
STUB_DNS = {"feeds.innocent.example": ["127.0.0.2"], "rebind.example": ["127.0.0.1", "127.0.0.2"]}

# two documents that overrun the parser deadline (each in a run of its own, beside a good source)
SLOW = {
    "redos-author": Scenario(
        [
            Reply(
                200,
                rss(
                    rss_items("redos", 1),
                    author="<managingEditor>x@" + "a." * 40_000 + "!</managingEditor>",
                ),
                {"Content-Type": RSS_TYPE},
            )
        ],
        f"parse: gave up after {PARSE_DEADLINE:g} s; the parser process was stopped",
        False,
        group="redos",
    ),
    "good-beside-redos": Scenario(feed_ok(5, "beside-redos"), items=5, group="redos"),
    "100k-items": Scenario(
        [
            Reply(
                200,
                rss(
                    "".join(
                        f"<item><title>k{i}</title><link>https://k.example/{i}</link></item>"
                        for i in range(100_000)
                    )
                ),
                {"Content-Type": RSS_TYPE},
            )
        ],
        f"parse: gave up after {PARSE_DEADLINE:g} s; the parser process was stopped",
        False,
        group="huge",
    ),
    "good-beside-huge": Scenario(feed_ok(5, "beside-huge"), items=5, group="huge"),
}
TABLE = {**SCENARIOS, **SSRF, **SLOW}
GROUPS = {
    "main": dict(SETTINGS, allow_private_hosts=True),
    "ssrf": dict(SETTINGS, allow_private_hosts=False),
    "redos": dict(SETTINGS, allow_private_hosts=True, max_bytes=15 * 1024 * 1024),
    "huge": dict(SETTINGS, allow_private_hosts=True, max_bytes=15 * 1024 * 1024),
}


def _http_date_in(seconds: float) -> str:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


def _marker_file() -> Path:
    path = Path(tempfile.gettempdir()) / f"owingest-{MARKER}.txt"
    path.write_text(MARKER, encoding="utf-8")
    return path


# ---- running the groups ----------------------------------------------------------------------


@dataclass
class Outcome:
    warehouse: Path
    servers: Servers
    elapsed: dict[str, float]
    rss_growth_kib: int


def _url(servers: Servers, sid: str, scenario: Scenario) -> str:
    if callable(scenario.replies):
        return scenario.replies(servers)
    return servers.main.route(f"/{sid}", list(scenario.replies))


async def _run(config: SourcesConfig, warehouse: Path, deadline: float) -> None:
    """The pipeline as the flow wires it, with a parser deadline of ``deadline`` seconds."""
    run = pipeline.prepare(config, warehouse)
    async with pipeline.open_fetcher(run) as fetcher:
        with ParserPool(deadline=deadline) as parser:
            runs = await asyncio.gather(
                *(pipeline.collect_source(fetcher, parser, run, s) for s in run.sources)
            )
    pipeline.commit(run, runs)


def _stub_resolver(real: Callable[..., Any]) -> Callable[..., Any]:
    """``socket.getaddrinfo`` with a few host names answered from ``STUB_DNS``."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in STUB_DNS:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port))) for a in STUB_DNS[host]
            ]
        return real(host, port, *args, **kwargs)

    return getaddrinfo


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    root = tmp_path_factory.mktemp("scenarios")
    warehouse = root / "w.duckdb"
    elapsed = {}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    real_is_public = guard.is_public_address
    with (
        LoopbackServer() as main,
        LoopbackServer(host="127.0.0.2") as canary,
        pytest.MonkeyPatch.context() as mp,
    ):
        servers = Servers(main, canary)
        canary.route("/feed", Reply(200, rss(rss_items("canary", 1)), {"Content-Type": RSS_TYPE}))
        mp.setattr(guard, "is_public_address", lambda a: a == "127.0.0.1" or real_is_public(a))
        mp.setattr(socket, "getaddrinfo", _stub_resolver(socket.getaddrinfo))
        for group, settings in GROUPS.items():
            sources = [
                {"id": sid, "kind": sc.kind, "url": _url(servers, sid, sc), **sc.extra}
                for sid, sc in TABLE.items()
                if sc.group == group
            ]
            config = _configure(root, group, sources, settings)
            started = time.monotonic()
            deadline = PARSE_DEADLINE if group in ("redos", "huge") else 20.0
            asyncio.run(_run(config, warehouse, deadline))
            elapsed[group] = time.monotonic() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        yield Outcome(warehouse, servers, elapsed, grown)
    (Path(tempfile.gettempdir()) / f"owingest-{MARKER}.txt").unlink(missing_ok=True)


def _configure(
    root: Path, group: str, sources: list[dict[str, Any]], settings: dict[str, Any]
) -> SourcesConfig:
    path = root / f"{group}.yaml"
    fetch = {k: v for k, v in settings.items() if k != "allow_private_hosts"}
    path.write_text(
        yaml.safe_dump(
            {
                "allow_private_hosts": settings["allow_private_hosts"],
                "fetch": fetch,
                "sources": sources,
            }
        ),
        encoding="utf-8",
    )
    return load_sources(path)


# ---- the checks ------------------------------------------------------------------------------


def test_the_table_is_large_enough() -> None:
    good = [sid for sid in TABLE if "good" in sid]
    assert all(TABLE[sid].error is None and TABLE[sid].items > 0 for sid in good)
    assert len(TABLE) - len(good) >= 30  # faults injected
    assert len(TABLE) == len(SCENARIOS) + len(SSRF) + len(SLOW)  # no id used twice
    assert all(any(TABLE[sid].group == g for sid in good) for g in GROUPS)  # good sources in every run
    print(f"{len(TABLE)} sources in {len(GROUPS)} runs: {len(TABLE) - len(good)} faults, "
          f"{sum(1 for s in TABLE.values() if s.error)} recorded as errors")


@pytest.mark.parametrize("sid", sorted(TABLE))
def test_scenario(outcome: Outcome, sid: str) -> None:
    scenario = TABLE[sid]
    ctx = Ctx(sid, outcome.warehouse, outcome.servers.main)
    error, transient, attempts, seconds = ctx.one(
        "SELECT error, transient, attempts, epoch(finished_at - started_at) FROM fetches WHERE source_id = $sid"
    )
    if scenario.error is not None and scenario.error.endswith("…"):
        assert error is not None and error.startswith(scenario.error[:-1]), error
    else:
        assert error == scenario.error
    assert transient == scenario.transient
    if scenario.attempts is not None:
        assert attempts == scenario.attempts
    bound = PARSE_DEADLINE + 3.0 if scenario.group in ("redos", "huge") else SOURCE_BOUND
    assert seconds <= bound
    assert ctx.one(
        "SELECT last_error, consecutive_failures FROM sources WHERE source_id = $sid"
    ) == (error, 1 if error else 0)
    assert ctx.one("SELECT count(*) FROM items WHERE source_id = $sid") == (scenario.items,)
    if scenario.check is not None:
        scenario.check(ctx)


def test_good_sources_are_stored_in_full(outcome: Outcome) -> None:
    titles = [
        t
        for (t,) in rows(outcome.warehouse, "SELECT title FROM items WHERE source_id = 'good-rss'")
    ]
    assert sorted(titles) == sorted(f"good-rss post {i}" for i in range(20))
    assert rows(
        outcome.warehouse, "SELECT count(DISTINCT url) FROM items WHERE source_id = 'good-large'"
    ) == [(5000,)]


def test_every_run_completes_within_its_bound(outcome: Outcome) -> None:
    assert set(outcome.elapsed) == set(GROUPS)
    assert all(seconds < RUN_BOUND for seconds in outcome.elapsed.values()), outcome.elapsed
    print("seconds per run:", {g: round(t, 1) for g, t in outcome.elapsed.items()})
    counted = rows(
        outcome.warehouse, "SELECT sources_total, sources_failed FROM runs ORDER BY started_at"
    )
    expected = [
        (
            len([s for s in TABLE.values() if s.group == g]),
            len([s for s in TABLE.values() if s.group == g and s.error]),
        )
        for g in GROUPS
    ]
    assert counted == expected


def test_memory_stays_bounded(outcome: Outcome) -> None:
    # bombs of 256 MiB and a 100,000-item feed went through; the parent grew by less than this
    assert outcome.rss_growth_kib < 256 * 1024, outcome.rss_growth_kib
    print(f"peak RSS growth of the test process: {outcome.rss_growth_kib / 1024:.0f} MiB")


def test_no_local_file_content_or_expanded_entity_reaches_the_warehouse(outcome: Outcome) -> None:
    columns = rows(
        outcome.warehouse,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND data_type <> 'BLOB'",
    )
    tables = {t for t, _ in columns}
    assert {"items", "fetches", "sources", "documents", "item_facts"} <= tables
    for table, column in columns:
        found = rows(
            outcome.warehouse,
            f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) '
            'LIKE ? OR CAST("{column}" AS VARCHAR) LIKE ?'.replace("{column}", column),
            [f"%{MARKER}%", f"%{EXPANDED}%"],
        )
        assert found == [(0,)], (table, column)


def test_nothing_reached_the_canary(outcome: Outcome) -> None:
    assert outcome.servers.canary.requests() == []
