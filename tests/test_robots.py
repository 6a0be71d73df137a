"""robots.txt is read and obeyed for scraped (``html``) pages, over real loopback servers.

Each server is one origin (its own port), so each has its own robots.txt.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from owingest.config import FetchSettings
from owingest.fetch import Fetcher
from owingest.fetch.robots import fetch_if_allowed
from owingest.models import FetchOutcome
from tests.loopback import LoopbackServer, Reply
from tests.test_ingest_loopback import configure, feed, ingest, rows

pytestmark = pytest.mark.integration

HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
SELECTORS = {"item": "article", "link": "a", "title": "h2", "date": "time", "summary": "p"}


def listing(prefix: str, n: int, *, dated: bool = True) -> bytes:
    cards = "".join(
        f"<article><a href='/{prefix}/{i}'><h2>{prefix} post {i}</h2></a>"
        + (
            f"<time datetime='2026-11-2{i}T10:00:00Z'>Nov 2{i}</time><p>About {prefix} {i}.</p>"
            if dated
            else ""
        )
        + "</article>"
        for i in range(n)
    )
    return f"<!DOCTYPE html><html><body>{cards}</body></html>".encode()


def article(title: str) -> bytes:
    return (
        f"<html><head><title>{title}</title><meta property='article:published_time' "
        f"content='2026-11-20T08:00:00Z'><meta name='description' content='{title}, in full.'>"
        "</head><body><p>Text.</p></body></html>"
    ).encode()


def html_source(server: LoopbackServer, sid: str, path: str, body: bytes) -> dict[str, Any]:
    return {
        "id": sid,
        "kind": "html",
        "url": server.route(path, Reply(200, body, HTML)),
        "selectors": SELECTORS,
    }


@pytest.fixture
def other() -> Iterator[LoopbackServer]:
    """A second origin (another port: another robots.txt)."""
    with LoopbackServer() as running:
        yield running


def test_a_disallowed_listing_is_not_fetched_and_the_source_says_why(
    server: LoopbackServer, other: LoopbackServer, tmp_path: Path
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /news\n", TEXT))
    config = configure(
        tmp_path,
        [
            html_source(server, "news", "/news", listing("news", 2)),
            html_source(server, "blog", "/blog", listing("blog", 3)),  # same host, allowed path
            {
                "id": "feed",
                "kind": "feed",
                "url": other.route(
                    "/feed.xml",
                    Reply(200, feed(2, "f.example"), {"Content-Type": "application/rss+xml"}),
                ),
            },
        ],
    )
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    refused = f"robots: {server.url('/robots.txt')} disallows {server.url('/news')} for owingest"
    assert server.requests("/news") == []
    assert len(server.requests("/robots.txt")) == 1  # once per host per run, shared by sources
    assert rows(
        wh, "SELECT source_id, error, transient, attempts FROM fetches ORDER BY source_id"
    ) == [("blog", None, None, 1), ("feed", None, None, 1), ("news", refused, False, 0)]
    assert rows(
        wh, "SELECT last_error, consecutive_failures FROM sources WHERE source_id = 'news'"
    ) == [(refused, 1)]
    assert rows(wh, "SELECT source_id, count(*) FROM items GROUP BY 1 ORDER BY 1") == [
        ("blog", 3),
        ("feed", 2),
    ]
    assert other.requests("/robots.txt") == []  # feeds are meant to be polled: no robots.txt


def test_rules_for_our_user_agent_apply_and_other_groups_do_not(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.route(
        "/robots.txt",
        Reply(
            200,
            (
                b"# comments and unknown lines are ignored\nSitemap: /sitemap.xml\n\n"
                b"User-agent: somebot\nDisallow: /\n\n"
                b"User-agent: owingest\nDisallow: /private\n\n"
                b"User-agent: *\nDisallow: /\n"
            ),
            TEXT,
        ),
    )
    config = configure(
        tmp_path,
        [
            html_source(server, "public", "/public", listing("public", 2)),
            html_source(server, "private", "/private/news", listing("private", 2)),
        ],
    )
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert rows(wh, "SELECT source_id, error IS NULL FROM fetches ORDER BY 1") == [
        ("private", False),
        ("public", True),
    ]
    assert server.requests("/private/news") == [] and len(server.requests("/public")) == 1
    sent = server.requests("/robots.txt")[0].headers["user-agent"]
    assert sent.startswith("owingest/")


@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_missing_robots_txt_allows_everything(
    server: LoopbackServer, tmp_path: Path, status: int
) -> None:
    server.route("/robots.txt", Reply(status, b"nothing here"))
    config = configure(tmp_path, [html_source(server, "news", "/news", listing("news", 3))])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert rows(wh, "SELECT error FROM fetches") == [(None,)]
    assert rows(wh, "SELECT count(*) FROM items") == [(3,)]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(503, b"down"),
        Reply(500),
        Reply(429, headers={"Retry-After": "3600"}),
        Reply(200, b"User-agent: *\n", TEXT, reset_after=3),
    ],
    ids=["503", "500", "429", "reset"],
)
def test_an_unreachable_robots_txt_disallows_the_host_for_this_run(
    server: LoopbackServer, tmp_path: Path, reply: Reply
) -> None:
    server.route("/robots.txt", reply)
    config = configure(tmp_path, [html_source(server, "news", "/news", listing("news", 3))])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    [(error, transient, attempts)] = rows(wh, "SELECT error, transient, attempts FROM fetches")
    assert error.startswith(f"robots: {server.url('/robots.txt')} unreachable (fetch: "), error
    assert error.endswith(f"; not fetching {server.url('/news')} this run")
    assert (transient, attempts) == (True, 0)
    assert server.requests("/news") == []
    assert rows(wh, "SELECT count(*) FROM items") == [(0,)]
    assert rows(wh, "SELECT last_error = ?, consecutive_failures FROM sources", [error]) == [
        (True, 1)
    ]


def test_disallowed_article_pages_are_not_fetched_and_the_listing_is_kept(
    server: LoopbackServer, other: LoopbackServer, tmp_path: Path
) -> None:
    # the listing lacks dates and summaries, so its article pages would be fetched for them;
    # the articles on this host are disallowed, one on another host is allowed
    server.route(
        "/robots.txt", Reply(200, b"User-agent: *\nAllow: /news\nDisallow: /posts/\n", TEXT)
    )
    other.route("/robots.txt", Reply(404))
    for i in range(2):
        server.route(f"/posts/{i}", Reply(200, article(f"post {i}"), HTML))
    elsewhere = other.route("/story", Reply(200, article("elsewhere"), HTML))
    page = listing("posts", 2, dated=False).replace(
        b"</body>",
        f"<article><a href='{elsewhere}'><h2>Elsewhere</h2></a></article></body>".encode(),
    )
    config = configure(tmp_path, [html_source(server, "news", "/news", page)])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert [r.path for r in server.requests()] == ["/robots.txt", "/news"]
    assert [r.path for r in other.requests()] == ["/robots.txt", "/story"]
    [(error, problems)] = rows(wh, "SELECT error, problems FROM fetches")
    assert error is None
    assert sorted(problems) == [
        f"article {server.url(f'/posts/{i}')}: robots: {server.url('/robots.txt')} disallows "
        f"{server.url(f'/posts/{i}')} for owingest"
        for i in range(2)
    ]
    assert rows(
        wh, "SELECT title, summary, published_at IS NOT NULL FROM items ORDER BY title"
    ) == [
        ("Elsewhere", "elsewhere, in full.", True),
        ("posts post 0", "", False),
        ("posts post 1", "", False),
    ]


# ---- matching (RFC 9309) and the run's lifetime, through fetch_if_allowed -----------------

FAST = FetchSettings(allow_private_hosts=True, connect_timeout=1.0, read_timeout=1.0,
                     total_timeout=3.0, max_attempts=1)


def fetch_one(server: LoopbackServer, path: str) -> FetchOutcome:
    async def go() -> FetchOutcome:
        async with Fetcher(FAST) as fetcher:
            return await fetch_if_allowed(fetcher, server.url(path))
    return asyncio.run(go())


@pytest.mark.parametrize(
    ("rules", "path", "allowed"),
    [
        ("Disallow: /*?page=", "/news?page=2", False),  # "*" matches any run of characters
        ("Disallow: /*?page=", "/news", True),
        ("Disallow: /news$", "/news", False),  # "$" anchors the end of the path
        ("Disallow: /news$", "/news/a", True),
        ("Disallow: /\nAllow: /news/", "/news/a", True),  # the longest match wins, not the first
        ("Disallow: /\nAllow: /news/", "/about", False),
        ("Allow: /news/\nDisallow: /news/a", "/news/a", False),  # longer, though listed later
        ("Disallow: /news\nAllow: /news", "/news", True),  # a tie goes to Allow
    ],
)
def test_rules_match_as_rfc_9309_says(
    server: LoopbackServer, rules: str, path: str, allowed: bool
) -> None:
    server.route("/robots.txt", Reply(200, f"User-agent: *\n{rules}\n".encode(), TEXT))
    server.route(path, Reply(200, article("page"), HTML))
    outcome = fetch_one(server, path)
    if allowed:
        assert outcome.error is None and outcome.document is not None
    else:
        robots_url = server.url("/robots.txt")
        assert outcome.error == f"robots: {robots_url} disallows {server.url(path)} for owingest"
    assert len(server.requests(path)) == (1 if allowed else 0)


def test_a_finished_run_leaves_nothing_holding_its_fetcher(server: LoopbackServer) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n", TEXT))
    server.route("/news", Reply(200, article("news"), HTML))

    async def go() -> weakref.ref[Fetcher]:
        async with Fetcher(FAST) as fetcher:
            outcome = await fetch_if_allowed(fetcher, server.url("/news"))
            assert outcome.document is not None
            return weakref.ref(fetcher)

    gone = asyncio.run(go())
    gc.collect()
    assert gone() is None  # the run's robots.txt verdicts went with it
