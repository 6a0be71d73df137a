"""The whole ingest (sources.yaml → fetch → parse → normalize → DuckDB) against a real HTTP
server on 127.0.0.1, checked by reading the warehouse tables back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from owingest.config import SourcesConfig, load_sources
from owingest.models import IngestReport
from owingest.pipeline import run_ingest
from tests.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.integration

RSS_TYPE = "application/rss+xml"
DATE = "Mon, 23 Nov 2026 09:00:00 GMT"


def rss(items: list[tuple[str, str]], *, encoding: str = "utf-8", title: str = "Lab") -> bytes:
    """An RSS 2.0 document of (title, link) items, encoded as it declares."""
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{DATE}</pubDate>"
                      f"<description>{t}, with weights and a report.</description></item>\n"
                      for t, link in items)
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://lab.example/</link>\n{entries}</channel></rss>\n")
    return text.encode(encoding)


def feed(n: int, host: str = "lab.example") -> bytes:
    return rss([(f"Post {i} from {host}", f"https://{host}/posts/{i}") for i in range(n)])


def hub_page(*repos: str) -> bytes:
    return json.dumps([{"id": repo, "author": repo.split("/")[0], "createdAt": "2026-11-20T10:00:00.000Z",
                        "tags": ["license:apache-2.0", "text-generation"], "pipeline_tag": "text-generation",
                        "library_name": "transformers", "downloads": 10, "likes": 2}
                       for repo in repos]).encode()


def configure(tmp_path: Path, sources: list[dict[str, Any]]) -> SourcesConfig:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({
        "allow_private_hosts": True,
        "fetch": {"connect_timeout": 1.0, "read_timeout": 1.0, "total_timeout": 3.0, "max_attempts": 2,
                  "backoff_base": 0.01, "per_host": 10},
        "sources": sources}), encoding="utf-8")
    return load_sources(path)


def ingest(config: SourcesConfig, warehouse: Path) -> IngestReport:
    return asyncio.run(run_ingest(config, warehouse))


def rows(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def feed_source(server: LoopbackServer, sid: str, body: bytes | list[Reply], **headers: str) -> dict[str, Any]:
    replies = body if isinstance(body, list) else [Reply(200, body, {"Content-Type": RSS_TYPE, **headers})]
    return {"id": sid, "kind": "feed", "url": server.route(f"/{sid}.xml", replies)}


def titles(warehouse: Path, source_id: str) -> list[str]:
    return [r[0] for r in rows(warehouse, "SELECT title FROM items WHERE source_id = ? ORDER BY title",
                               [source_id])]


def test_an_ill_formed_feed_with_usable_items_is_stored_with_its_problem(
        server: LoopbackServer, tmp_path: Path) -> None:
    sloppy = rss([("Weights & biases of Sloppy-2B", "https://sloppy.example/2b"),  # a bare "&"
                  ("Sloppy-2B: the report", "https://sloppy.example/report")])
    config = configure(tmp_path, [feed_source(server, "sloppy", sloppy)])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert titles(wh, "sloppy") == ["Sloppy-2B: the report", "Weights & biases of Sloppy-2B"]
    [(error, problems, seen, new)] = rows(wh, "SELECT error, problems, items_seen, items_new FROM fetches")
    assert (error, seen, new) == (None, 2, 2)
    assert problems == ["ill-formed document: <unknown>:3:22: not well-formed (invalid token)"]
    assert rows(wh, "SELECT consecutive_failures, last_error, last_status FROM sources") == [(0, None, 200)]


def test_a_bare_ampersand_before_a_word_is_stored_as_written(server: LoopbackServer, tmp_path: Path) -> None:
    # "AT&T", "R&D", "Q&A" are common in real titles; feedparser's loose parser turns them
    # into "AT&T;", "R&D;", "Q&A;" (an unknown entity reference, closed)
    config = configure(tmp_path, [feed_source(server, "sloppy", rss([
        ("Q&A with the R&D team", "https://sloppy.example/qa")]))])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert rows(wh, "SELECT title, summary FROM items") == [
        ("Q&A with the R&D team", "Q&A with the R&D team, with weights and a report.")]


def test_an_html_page_instead_of_a_feed_fails_that_source_only(server: LoopbackServer, tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>Blog</title></head><body><p>Our blog moved.</body></html>"
    config = configure(tmp_path, [
        feed_source(server, "a", feed(3, "a.example")),
        {"id": "moved", "kind": "feed",
         "url": server.route("/moved.xml", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))},
        feed_source(server, "b", feed(2, "b.example")),
    ])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    html_error = "parse: not a feed: the server sent an HTML page (text/html)"
    assert rows(wh, "SELECT last_error, consecutive_failures, last_status, last_success_at FROM sources "
                    "WHERE source_id = 'moved'") == [(html_error, 1, 200, None)]
    assert rows(wh, "SELECT error, transient, items_seen, items_new FROM fetches "
                    "WHERE source_id = 'moved'") == [(html_error, False, 0, 0)]
    assert titles(wh, "a") == [f"Post {i} from a.example" for i in range(3)]
    assert titles(wh, "b") == [f"Post {i} from b.example" for i in range(2)]
    assert rows(wh, "SELECT count(*) FROM items") == [(5,)]
    assert rows(wh, "SELECT source_id, consecutive_failures FROM sources ORDER BY source_id") == [
        ("a", 0), ("b", 0), ("moved", 1)]
    assert rows(wh, "SELECT sources_total, sources_failed FROM runs") == [(3, 1)]


def test_legacy_encodings_are_stored_as_unicode(server: LoopbackServer, tmp_path: Path) -> None:
    latin = "Café Müller: Überblick über naïve Modelle"
    cp1252 = "“Smart” quotes — Zoë’s €5 model, très bien"
    latin_body = rss([(latin, "https://latin.example/1")], encoding="iso-8859-1")
    cp1252_body = rss([(cp1252, "https://cp1252.example/1")], encoding="windows-1252")
    assert b"Caf\xe9 M\xfcller" in latin_body and b"\x93Smart\x94" in cp1252_body  # not UTF-8 on the wire
    config = configure(tmp_path, [
        # declared in the XML declaration only
        feed_source(server, "latin", latin_body),
        # declared in both the XML declaration and the Content-Type
        {"id": "cp1252", "kind": "feed", "url": server.route("/cp1252.xml", Reply(
            200, cp1252_body, {"Content-Type": "application/rss+xml; charset=windows-1252"}))},
    ])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert rows(wh, "SELECT source_id, title, summary FROM items ORDER BY source_id") == [
        ("cp1252", cp1252, f"{cp1252}, with weights and a report."),
        ("latin", latin, f"{latin}, with weights and a report."),
    ]
    assert rows(wh, "SELECT error, problems FROM fetches ORDER BY source_id") == [(None, []), (None, [])]


def test_the_same_link_from_two_sources_is_one_item(server: LoopbackServer, tmp_path: Path) -> None:
    story = "Lab-70B released with open weights"
    config = configure(tmp_path, [
        feed_source(server, "src-a", rss([(story, "https://lab.example/posts/70b"),
                                          ("Only in A", "https://lab.example/posts/a")])),
        feed_source(server, "src-b", rss([(story, "https://lab.example/posts/70b?utm_source=rss&utm_medium=feed"),
                                          ("Only in B", "https://news.example/b")])),
    ])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    assert rows(wh, "SELECT title, url, source_id, sources FROM items ORDER BY title") == [
        (story, "https://lab.example/posts/70b", "src-a", ["src-a", "src-b"]),
        ("Only in A", "https://lab.example/posts/a", "src-a", ["src-a"]),
        ("Only in B", "https://news.example/b", "src-b", ["src-b"]),
    ]
    assert rows(wh, "SELECT s.source_id, s.url FROM item_sources s JOIN items i USING (item_id) "
                    "WHERE i.title = ? ORDER BY s.source_id", [story]) == [
        ("src-a", "https://lab.example/posts/70b"), ("src-b", "https://lab.example/posts/70b")]
    assert rows(wh, "SELECT source_id, items_seen, items_new FROM fetches ORDER BY source_id") == [
        ("src-a", 2, 2), ("src-b", 2, 1)]


def _unchanged_sources(server: LoopbackServer, *, validators: bool) -> list[dict[str, Any]]:
    def replies(body: bytes, ctype: str, tag: str) -> list[Reply]:
        if not validators:
            return [Reply(200, body, {"Content-Type": ctype})]
        return [Reply(200, body, {"Content-Type": ctype, "ETag": tag, "Last-Modified": DATE}),
                Reply(304, headers={"ETag": tag})]
    return [
        feed_source(server, "blog", replies(feed(4, "blog.example"), RSS_TYPE, '"blog-1"')),
        feed_source(server, "news", replies(feed(3, "news.example"), RSS_TYPE, '"news-1"')),
        {"id": "hub", "kind": "hf_models", "url": server.route(
            "/api/models", replies(hub_page("lab/A-7B", "lab/B-1B"), "application/json", '"hub-1"'))},
    ]


def test_a_second_run_on_unchanged_content_is_not_modified_and_changes_nothing(
        server: LoopbackServer, tmp_path: Path) -> None:
    config = configure(tmp_path, _unchanged_sources(server, validators=True))
    wh = tmp_path / "w.duckdb"
    first = ingest(config, wh)
    before = rows(wh, "SELECT * FROM items ORDER BY item_id")
    second = ingest(config, wh)
    assert len(before) == 9
    assert rows(wh, "SELECT * FROM items ORDER BY item_id") == before
    assert rows(wh, "SELECT * FROM item_sources ORDER BY item_id, source_id") == [
        (r[0], r[1], r[4], r[17]) for r in before]  # item_id, source_id, url, first_seen_at
    assert rows(wh, "SELECT source_id, not_modified, http_status, items_new, documents FROM fetches "
                    "WHERE run_id = ? ORDER BY source_id", [second.run_id]) == [
        ("blog", True, 304, 0, 0), ("hub", True, 304, 0, 0), ("news", True, 304, 0, 0)]
    assert rows(wh, "SELECT run_id, sources_total, sources_not_modified, items_new, items_updated "
                    "FROM runs ORDER BY started_at") == [(first.run_id, 3, 0, 9, 0), (second.run_id, 3, 3, 0, 0)]
    for path, tag in (("/blog.xml", '"blog-1"'), ("/news.xml", '"news-1"'), ("/api/models", '"hub-1"')):
        sent = [r.headers.get("if-none-match") for r in server.requests(path)]
        assert sent == [None, tag], path
    assert rows(wh, "SELECT count(*) FROM raw_documents") == [(3,)]


def test_a_second_run_without_validators_stores_nothing_new(server: LoopbackServer, tmp_path: Path) -> None:
    config = configure(tmp_path, _unchanged_sources(server, validators=False))
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    before = rows(wh, "SELECT * FROM items ORDER BY item_id")
    second = ingest(config, wh)
    assert len(before) == 9
    assert rows(wh, "SELECT * FROM items ORDER BY item_id") == before
    assert rows(wh, "SELECT count(*) FROM item_sources") == [(9,)]
    assert rows(wh, "SELECT source_id, not_modified, items_seen, items_new, items_updated FROM fetches "
                    "WHERE run_id = ? ORDER BY source_id", [second.run_id]) == [
        ("blog", False, 4, 0, 0), ("hub", False, 2, 0, 0), ("news", False, 3, 0, 0)]
    assert rows(wh, "SELECT count(*) FROM raw_documents") == [(3,)]  # same bodies, stored once


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute-link", "relative-link"])
def test_a_hub_listing_follows_link_rel_next(server: LoopbackServer, tmp_path: Path, absolute: bool) -> None:
    page2 = "/api/models?author=lab&cursor=p2"
    link = f'<{server.url(page2) if absolute else page2}>; rel="next"'
    first = server.route("/api/models?author=lab", Reply(
        200, hub_page("lab/Alpha-7B", "lab/Beta-3B"), {"Content-Type": "application/json", "Link": link}))
    server.route(page2, Reply(200, hub_page("lab/Gamma-1B", "lab/Delta-70B"), {"Content-Type": "application/json"}))
    config = configure(tmp_path, [{"id": "lab-hub", "kind": "hf_models", "url": first, "max_pages": 3}])
    wh = tmp_path / "w.duckdb"
    ingest(config, wh)
    # RFC 8288: a relative target is resolved against the page's URL
    assert rows(wh, "SELECT documents, items_seen, items_new, error, problems FROM fetches") == [(2, 4, 4, None, [])]
    assert rows(wh, "SELECT title, url FROM items ORDER BY title") == [
        (f"lab/{m}", f"https://huggingface.co/lab/{m}") for m in ("Alpha-7B", "Beta-3B", "Delta-70B", "Gamma-1B")]
    assert rows(wh, "SELECT url, role, seq FROM documents ORDER BY seq") == [
        (first, "listing", 0), (server.url(page2), "listing", 1)]
    assert [r.path for r in server.requests()] == ["/api/models?author=lab", page2]


def test_a_404_source_never_stops_the_others(server: LoopbackServer, tmp_path: Path) -> None:
    config = configure(tmp_path, [
        feed_source(server, "first", feed(2, "first.example")),
        {"id": "gone", "kind": "feed", "url": server.route("/gone.xml", Reply(404, b"not here"))},
        feed_source(server, "last", feed(3, "last.example")),
    ])
    wh = tmp_path / "w.duckdb"
    report = ingest(config, wh)
    assert [(s.source_id, s.error) for s in report.failed] == [("gone", "fetch: HTTP 404 Not Found")]
    assert rows(wh, "SELECT source_id, http_status, error, transient, attempts, items_new FROM fetches "
                    "ORDER BY source_id") == [
        ("first", 200, None, None, 1, 2), ("gone", 404, "fetch: HTTP 404 Not Found", False, 1, 0),
        ("last", 200, None, None, 1, 3)]
    assert len(server.requests("/gone.xml")) == 1  # permanent: not retried
    assert titles(wh, "first") == ["Post 0 from first.example", "Post 1 from first.example"]
    assert titles(wh, "last") == [f"Post {i} from last.example" for i in range(3)]
    assert rows(wh, "SELECT source_id, consecutive_failures, last_error FROM sources ORDER BY source_id") == [
        ("first", 0, None), ("gone", 1, "fetch: HTTP 404 Not Found"), ("last", 0, None)]
