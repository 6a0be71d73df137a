"""Parse: documents to normalized items through the pipeline's own parse step, vs plain lxml.

The real path is ``parse.work.items_from_documents`` (the kind's parser, then
``normalize_entry``: canonical URL, HTML to text, dates, ids, hashes) with its safety
measures (XML entity declarations refused, feedparser's sanitizer off, untrusted markup
parsed in ``ParserPool`` worker processes under a deadline and a memory cap). It runs
once in this process (one core) and once through ``ParserPool`` (2 workers, the pipeline's
way). The floor is a minimal lxml (or ``json``) extraction of the same fields, summary
HTML to text included, on one core.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import common
import fixtures
import lxml.etree
import lxml.html

ATOM = "{http://www.w3.org/2005/Atom}"


def _text(fragment: str | None) -> str:
    if not fragment:
        return ""
    if "<" not in fragment:
        return " ".join(fragment.split())
    return " ".join(lxml.html.fragment_fromstring(fragment, create_parent="div").text_content().split())


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None  # 3.11 reads a trailing "Z"


def lxml_floor(kind: str, body: bytes) -> list[tuple[Any, ...]]:
    """(title, link, id, date, summary text) per entry, as directly as lxml (or json) allows."""
    if kind == "hub":
        return [(m["id"], "https://huggingface.co/" + m["id"], m["id"], _iso(m.get("createdAt")),
                 " · ".join(t for t in m.get("tags", []) if t.startswith("license:")))
                for m in json.loads(body)]
    if kind == "html":
        root = lxml.html.fromstring(body)
        return [(" ".join(a.xpath("string(.//h3)").split()), a.xpath("string(.//a/@href)"), None,
                 _iso(a.xpath("string(.//time/@datetime)") or None), " ".join(a.xpath("string(.//p)").split()))
                for a in root.xpath("//article")]
    root = lxml.etree.fromstring(body, lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    if kind == "rss":
        return [(e.findtext("title"), e.findtext("link"), e.findtext("guid"),
                 parsedate_to_datetime(e.findtext("pubDate")), _text(e.findtext("description")))
                for e in root.iter("item")]
    return [(e.findtext(ATOM + "title"), e.find(ATOM + "link").get("href"), e.findtext(ATOM + "id"),
             _iso(e.findtext(ATOM + "published") or e.findtext(ATOM + "updated")),
             _text(e.findtext(ATOM + "summary") or e.findtext(ATOM + "content")))
            for e in root.iter(ATOM + "entry")]


def source_for(kind: str, seed: int = 0) -> Any:
    from owingest.config import FeedSource, HtmlSource, HubSource

    url = f"https://lab{seed}.example/{kind}"
    if kind == "hub":
        return HubSource(id=f"hub{seed}", kind="hf_models", url="https://huggingface.co/api/models?author=x")
    if kind == "html":
        return HtmlSource(id=f"html{seed}", kind="html", url=url, selectors={
            "item": "article", "link": "a", "title": "h3", "date": "time", "summary": "p"})
    tags = ("github-releases",) if kind == "github" else ()
    return FeedSource(id=f"{kind}{seed}", kind="feed", url=url, tags=tags)


def _jobs(kind: str, count: int) -> list[tuple[Any, list[Any]]]:
    from owingest.models import Document, FetchedDocument

    jobs = []
    for seed in range(count):
        src = source_for(kind, seed)
        doc = Document(url=src.url, final_url=src.url, status=200, body=fixtures.document(kind, seed),
                       content_type=fixtures.CONTENT_TYPES[kind], etag=None, last_modified=None)
        jobs.append((src, [FetchedDocument("listing", 0, doc)]))
    return jobs


def _timed(fn: Any, repeats: int) -> tuple[dict[str, Any], int]:
    walls, n = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        n = fn()
        walls.append(time.perf_counter() - start)
    return common.summary(walls), n


async def _through_pool(pool: Any, jobs: list[tuple[Any, list[Any]]], now: datetime) -> int:
    from owingest.parse.work import items_from_documents

    results = await asyncio.gather(*(pool.run(items_from_documents, src, docs, now) for src, docs in jobs))
    return sum(len(items) for items, _seen, _problems in results)


def _pool_class() -> Any:
    try:
        from owingest.parse.pool import ParserPool
    except ImportError:  # older trees parse in the event loop's thread
        return None
    return ParserPool


def run(quick: bool) -> dict[str, Any]:
    """Items per second for RSS, Atom, GitHub releases, Hub JSON (and an HTML listing) through
    the real parse + normalize path, in one process and through the ParserPool (2 cores), vs a
    minimal lxml extraction of the same fields. Target: >= 1,500 feed items/s on 2 cores."""
    from owingest.parse import parse_document
    from owingest.parse.work import items_from_documents

    docs_per_kind, repeats = (4, 3) if quick else (12, 5)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    pool_cls = _pool_class()
    formats: dict[str, Any] = {}
    pool_start_s = None
    pool = pool_cls() if pool_cls else None
    try:
        if pool is not None:
            start = time.perf_counter()
            asyncio.run(_through_pool(pool, _jobs("rss", 2), now))  # starts both workers
            pool_start_s = round(time.perf_counter() - start, 3)
        for kind in ("rss", "atom", "github", "hub", "html"):
            jobs = _jobs(kind, docs_per_kind)
            size = sum(len(d[0].document.body) for _, d in jobs) / len(jobs)
            items_from_documents(*jobs[0], now)  # warm-up
            real, n = _timed(lambda jobs=jobs: sum(len(items_from_documents(s, d, now)[0]) for s, d in jobs),
                             repeats)
            parse_only, _ = _timed(
                lambda jobs=jobs: sum(len(parse_document(s, d[0].document).entries) for s, d in jobs), repeats)
            floor, n_floor = _timed(
                lambda jobs=jobs, kind=kind: sum(len(lxml_floor(kind, d[0].document.body)) for _, d in jobs), repeats)
            row: dict[str, Any] = {
                "documents": len(jobs), "items": n, "kb_per_document": round(size / 1024, 1),
                "items_per_s_1core": round(n / real["median"]), "wall_1core_s": real,
                "parse_share_of_1core": round(parse_only["median"] / real["median"], 2),
                "floor_items_per_s_1core": round(n_floor / floor["median"]), "floor_wall_s": floor,
            }
            row["ratio_1core_to_floor"] = round(row["floor_items_per_s_1core"] / row["items_per_s_1core"], 1)
            if pool is not None:
                pooled, _ = _timed(lambda jobs=jobs: asyncio.run(_through_pool(pool, jobs, now)), repeats)
                row["items_per_s_pool"] = round(n / pooled["median"])
                row["wall_pool_s"] = pooled
                row["pool_speedup_vs_1core"] = round(real["median"] / pooled["median"], 2)
            formats[kind] = row
    finally:
        if pool is not None:
            pool.close()
    key = "items_per_s_pool" if pool is not None else "items_per_s_1core"
    feed_rate = min(formats["rss"][key], formats["atom"][key])
    return {
        "path": "parse.work.items_from_documents via ParserPool(workers=2)" if pool else
                "parse.work.items_from_documents in-process (no ParserPool in this tree)",
        "pool_start_s": pool_start_s, "formats": formats,
        "items_per_s": {k: v[key] for k, v in formats.items()},
        "ratio_to_floor": {k: round(v["floor_items_per_s_1core"] / v[key], 1) for k, v in formats.items()},
        "feed_items_per_s": feed_rate,
        "target": ">= 1,500 feed items/s (RSS and Atom) on 2 cores",
        "target_met": feed_rate >= 1500,
    }


if __name__ == "__main__":
    common.main(run)
