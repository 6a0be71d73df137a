"""A fixed warehouse for the digest tests (built with the real migrations), and the reads
that the digest makes from it: the period, the previous week, the 12 weeks, health as of
the week's end.

Other digest test files import ``build_fixed``, ``add_items`` and ``WEEK`` from here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from owingest.digest import parse_week, read_week
from owingest.store.connection import connect

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SOURCES = [  # id, kind, name, lab
    ("acme-blog", "feed", "Acme AI blog", "Acme"),
    ("hf-acme", "hf_models", "Acme on the Hub", "Acme"),
    ("aggregator", "feed", "Open Models Weekly", None),
    ("vllm-releases", "feed", "vLLM releases", "vLLM"),
    ("engine-news", "html", "Engine News", "Engine News"),
    ("safety-blog", "feed", "Alignment notes", "Alignment Lab"),
    ("llama-cpp-releases", "feed", "llama.cpp releases", "ggml"),
    ("quiet-blog", "feed", "Quiet Lab blog", "Quiet Lab"),
    ("broken-feed", "feed", "Broken feed", None),
]


def item(
    item_id: str,
    title: str,
    at: str | None,
    source: str,
    *,
    topics: tuple[str, ...] = (),
    probs: tuple[float, float, float] = (0.1, 0.1, 0.1),
    phase: str = "frontier",
    phase_probs: tuple[float, float, float] = (0.01, 0.04, 0.95),
    also: tuple[str, ...] = (),
    summary: str = "",
    url: str | None = None,
    seen: str | None = None,
    human: bool = False,
    facts: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """One item row; ``at`` None makes it undated (``seen`` then places it in a week)."""
    return {
        "item_id": item_id,
        "title": title,
        "published_at": ts(at) if at else None,
        "source": source,
        "topics": list(topics),
        "probs": probs,
        "phase": phase,
        "phase_probs": phase_probs,
        "also": also,
        "summary": summary,
        "url": url or f"https://{source}.example/{item_id}",
        "seen": ts(seen or at or "2026-11-30T06:00:00"),
        "human": human,
        "facts": facts,
    }


FIXED_ITEMS = [
    # the week: a release carried by two sources, and the same release on the Hub (merged by family)
    item(
        "i01",
        "Acme-LM 2: an open 70B model under Apache 2.0",
        "2026-11-24T09:00:00",
        "acme-blog",
        topics=("release",),
        probs=(0.97, 0.2, 0.03),
        also=("aggregator",),
        facts=("acme", "Acme-LM 2"),
        summary="Acme releases Acme-LM 2, a 70B dense model with a 128K context window, "
        "under Apache 2.0. Weights on the Hub today.",
    ),
    item(
        "i02",
        "acme/Acme-LM-2-70B-Instruct",
        "2026-11-24T10:30:00",
        "hf-acme",
        topics=("release",),
        probs=(0.91, 0.1, 0.02),
        facts=("acme", "Acme-LM 2"),
        url="https://huggingface.co/acme/Acme-LM-2-70B-Instruct",
    ),
    # an engine release and a near-identical report of it (merged by title)
    item(
        "i03",
        "vLLM v0.30.0: Acme-LM 2 support and faster prefix caching",
        "2026-11-25T18:00:00",
        "vllm-releases",
        topics=("infra",),
        probs=(0.05, 0.88, 0.01),
        facts=("acme", "Acme-LM 2"),
        summary="Adds Acme-LM 2; prefix caching is 30% faster; drops Python 3.9.",
        url="https://github.com/vllm-project/vllm/releases/tag/v0.30.0",
    ),
    item(
        "i04",
        "vLLM v0.30.0 released: Acme-LM 2 support, faster prefix caching",
        "2026-11-26T08:00:00",
        "engine-news",
        topics=("infra",),
        probs=(0.04, 0.62, 0.02),
    ),
    item(
        "i05",
        "A red-team study of refusal training in open-weights models",
        "2026-11-27T12:00:00",
        "safety-blog",
        topics=("safety",),
        probs=(0.03, 0.1, 0.55),
        summary="Fine-tuning on 100 examples removes most refusals; what that means for releases.",
    ),
    item(
        "i06",
        "Photos from our autumn meetup",
        "2026-11-28T15:00:00",
        "aggregator",
        probs=(0.03, 0.04, 0.02),
        phase_probs=(0.3, 0.2, 0.5),
    ),
    item(
        "i07",
        "Evaluating long-context retrieval in open models",
        "2026-11-26T07:00:00",
        "safety-blog",
        topics=("safety", "infra"),
        probs=(0.1, 0.4, 0.45),
        human=True,
    ),
    item(
        "i08",
        "b9000",
        None,
        "llama-cpp-releases",
        topics=("infra",),
        probs=(0.0, 0.71, 0.0),
        seen="2026-11-29T23:00:00",
        summary="server: add Acme-LM 2 chat template",
    ),
    # the previous week
    item(
        "p01",
        "Beta-MoE 1: 235B total, 22B active",
        "2026-11-18T09:00:00",
        "aggregator",
        topics=("release",),
        probs=(0.93, 0.1, 0.02),
    ),
    item(
        "p02",
        "b8950",
        "2026-11-19T09:00:00",
        "llama-cpp-releases",
        topics=("infra",),
        probs=(0.0, 0.8, 0.0),
    ),
    # earlier weeks, and a source that stopped publishing in September (silent by the week's end)
    item(
        "e01",
        "vLLM v0.29.0",
        "2026-10-14T09:00:00",
        "vllm-releases",
        topics=("infra",),
        probs=(0.0, 0.9, 0.0),
    ),
    item(
        "e02",
        "Acme-LM 1.5 technical report",
        "2026-09-30T09:00:00",
        "acme-blog",
        topics=("release",),
        probs=(0.8, 0.1, 0.05),
    ),
    *[
        item(
            f"q{n:02d}",
            f"Quiet Lab note {n}",
            (datetime(2026, 8, 4) + timedelta(days=7 * n)).isoformat(),
            "quiet-blog",
            probs=(0.02, 0.02, 0.02),
        )
        for n in range(5)
    ],
]

# release_id, lab, family, models, announced_at, total, active, context, license, weights, n_sources, url
FIXED_RELEASES = [
    (
        "r-acme-lm-2",
        "acme",
        "Acme-LM 2",
        ["Acme-LM-2-70B-Instruct"],
        "2026-11-24T09:00:00",
        70.0,
        None,
        131072,
        "apache-2.0",
        "open",
        3,
        "https://acme-blog.example/i01",
    ),
    (
        "r-beta-moe-1",
        "beta",
        "Beta-MoE 1",
        [],
        "2026-11-18T09:00:00",
        235.0,
        22.0,
        262144,
        "beta-community",
        "restricted",
        1,
        "https://aggregator.example/p01",
    ),
    (
        "r-acme-lm-1",
        "acme",
        "Acme-LM 1",
        [],
        "2025-06-02T09:00:00",
        34.0,
        None,
        32768,
        "apache-2.0",
        "open",
        2,
        None,
    ),
    (
        "r-gamma-2",
        "gamma",
        "Gamma 2",
        [],
        "2024-05-01T09:00:00",
        None,
        None,
        None,
        "proprietary",
        "closed",
        1,
        None,
    ),
    (
        "r-old-7b",
        "acme",
        "Acme-7B",
        [],
        "2023-03-01T09:00:00",
        7.0,
        None,
        4096,
        "mit",
        "open",
        1,
        None,
    ),
]

# source, run started, error (None: success)
FIXED_FETCHES = [
    ("broken-feed", "2026-11-20T06:00:00", None),
    ("broken-feed", "2026-11-25T06:00:00", "fetch: HTTP 503 Service Unavailable"),
    ("broken-feed", "2026-11-27T06:00:00", "fetch: HTTP 503 Service Unavailable"),
    ("acme-blog", "2026-11-27T06:00:00", None),
    ("acme-blog", "2026-12-01T06:00:00", "fetch: HTTP 500 after the week (must not show)"),
]

RELEASES_DDL = [
    """CREATE TABLE IF NOT EXISTS releases (release_id VARCHAR PRIMARY KEY, lab VARCHAR, family VARCHAR,
        models VARCHAR[], announced_at TIMESTAMPTZ, total_params_b DOUBLE, active_params_b DOUBLE,
        context_tokens BIGINT, license VARCHAR, open_weights VARCHAR, modalities VARCHAR[],
        reasoning BOOLEAN, n_sources INTEGER, first_source_url VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS release_sources (release_id VARCHAR, item_id VARCHAR, role VARCHAR)",
]


def add_sources(con: Any, sources: list[tuple[str, str, str, str | None]]) -> None:
    con.executemany(
        "INSERT INTO sources (source_id, kind, url, name, lab, enabled, consecutive_failures) "
        "VALUES (?, ?, ?, ?, ?, true, 0)",
        [(sid, kind, f"https://{sid}.example/feed", name, lab) for sid, kind, name, lab in sources],
    )


def add_items(con: Any, items: list[dict[str, Any]]) -> None:
    for it in items:
        r, i, s = it["probs"]
        b, sc, f = it["phase_probs"]
        con.execute(
            """
            INSERT INTO items (item_id, source_id, sources, kind, url, title, summary, published_at,
                               content_hash, first_seen_at, updated_at, topics, phase, relevant, model_version,
                               topic_probs, phase_probs, label_source)
            SELECT ?, ?, ?, coalesce((SELECT kind FROM sources WHERE source_id = ?), 'feed'), ?, ?, ?, ?, ?, ?, ?,
                   ?, ?, ?, 'mtest0000001', struct_pack(release := ?::DOUBLE, infra := ?::DOUBLE, safety := ?::DOUBLE),
                   struct_pack(baseline := ?::DOUBLE, scaling := ?::DOUBLE, frontier := ?::DOUBLE), ?""",
            [
                it["item_id"],
                it["source"],
                [it["source"], *it["also"]],
                it["source"],
                it["url"],
                it["title"],
                it["summary"],
                it["published_at"],
                f"h-{it['item_id']}",
                it["seen"],
                it["seen"],
                it["topics"],
                it["phase"],
                bool(it["topics"]),
                r,
                i,
                s,
                b,
                sc,
                f,
                "human" if it["human"] else "model",
            ],
        )
        for n, sid in enumerate([it["source"], *it["also"]]):
            con.execute(
                "INSERT INTO item_sources VALUES (?, ?, ?, ?)",
                [
                    it["item_id"],
                    sid,
                    it["url"] if n == 0 else f"https://{sid}.example/{it['item_id']}",
                    it["seen"],
                ],
            )
        if it["facts"]:
            con.execute(
                "INSERT INTO item_facts (item_id, lab, family, models, extracted_at) VALUES (?, ?, ?, [], ?)",
                [it["item_id"], *it["facts"], it["seen"]],
            )


def add_releases(con: Any, releases: list[tuple[Any, ...]], links: list[tuple[str, str]]) -> None:
    for ddl in RELEASES_DDL:
        con.execute(ddl)
    # the release tracker's migration may add columns of its own; fill its required one
    built = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'releases' "
        "AND column_name = 'built_at'"
    ).fetchone()[0]
    extra, marks = (", built_at", ", ?") if built else ("", "")
    for r in releases:
        con.execute(
            "INSERT INTO releases (release_id, lab, family, models, announced_at, total_params_b, "
            f"active_params_b, context_tokens, license, open_weights, n_sources, first_source_url{extra}) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{marks})",
            [*r[:4], ts(r[4]), *r[5:], *([ts("2026-11-30T06:00:00")] if built else [])],
        )
    if links:
        con.executemany("INSERT INTO release_sources VALUES (?, ?, 'announcement')", links)


def add_fetches(con: Any, fetches: list[tuple[str, str, str | None]]) -> None:
    for sid, started, error in fetches:
        at = ts(started)
        con.execute(
            "INSERT INTO fetches (run_id, source_id, url, started_at, finished_at, not_modified, "
            "attempts, documents, bytes, items_seen, items_new, items_updated, error) "
            "VALUES (?, ?, ?, ?, ?, false, 1, 1, 100, 0, 0, 0, ?)",
            [f"{at:%Y%m%dT%H%M%SZ}-test", sid, f"https://{sid}.example/feed", at, at, error],
        )


def build_fixed(path: Path, *, tracker: bool = True) -> Path:
    """The warehouse the golden files were made from (``tracker``: with the release tables)."""
    with connect(path) as con:
        add_sources(con, SOURCES)
        add_items(con, FIXED_ITEMS)
        add_fetches(con, FIXED_FETCHES)
        if tracker:
            add_releases(
                con,
                FIXED_RELEASES,
                [("r-acme-lm-2", "i01"), ("r-acme-lm-2", "i02"), ("r-beta-moe-1", "p01")],
            )
        else:
            con.execute("DROP TABLE IF EXISTS release_sources")
            con.execute("DROP TABLE IF EXISTS releases")
        con.execute("CHECKPOINT")
    return path


def test_the_week_reads_its_items_including_undated_ones_first_seen_in_it(tmp_path: Path) -> None:
    data = read_week(build_fixed(tmp_path / "w.duckdb"), parse_week(WEEK))
    assert [i.item_id for i in data.items] == [
        "i01",
        "i02",
        "i03",
        "i04",
        "i05",
        "i06",
        "i07",
        "i08",
    ]
    undated = next(i for i in data.items if i.item_id == "i08")
    assert not undated.dated and undated.at == ts("2026-11-29T23:00:00")
    assert [s.source_id for s in data.items[0].sources] == ["acme-blog", "aggregator"]
    assert data.items[0].release_id == "r-acme-lm-2" and data.items[2].release_id is None
    assert data.previous == {"items": 2, "on_topic": 2, "release": 1, "infra": 1, "safety": 0}
    assert data.tracker and [r.release_id for r in data.releases] == ["r-acme-lm-2"]
    assert data.previous_releases == 1


def test_the_twelve_weeks_end_with_the_digest_week_and_count_each_topic(tmp_path: Path) -> None:
    data = read_week(build_fixed(tmp_path / "w.duckdb"), parse_week(WEEK))
    assert len(data.weekly) == 12
    assert data.weekly[-1][0] == ts("2026-11-23T00:00:00") and data.weekly[0][0] == ts(
        "2026-09-07T00:00:00"
    )
    counts = dict(data.weekly)
    assert counts[ts("2026-11-23T00:00:00")] == {
        "items": 8,
        "on_topic": 7,
        "release": 2,
        "infra": 4,
        "safety": 2,
    }
    assert counts[ts("2026-10-12T00:00:00")]["infra"] == 1
    assert counts[ts("2026-09-28T00:00:00")]["release"] == 1


def test_source_health_is_read_as_of_the_end_of_the_week(tmp_path: Path) -> None:
    data = read_week(build_fixed(tmp_path / "w.duckdb"), parse_week(WEEK))
    health = {h.source_id: h for h in data.health}
    assert health["broken-feed"].last_error == "fetch: HTTP 503 Service Unavailable"
    assert health["broken-feed"].failing_since == ts("2026-11-25T06:00:00")
    assert health["broken-feed"].failures == 2
    assert health["acme-blog"].last_error is None  # its failure came after the week
    assert health["quiet-blog"].newest_item_at == ts("2026-09-01T00:00:00")
    assert health["quiet-blog"].usual_interval == timedelta(days=7)
    earlier = {
        h.source_id: h for h in read_week(tmp_path / "w.duckdb", parse_week("2026-W47")).health
    }
    assert earlier["broken-feed"].last_error is None


def test_without_the_release_tracker_the_release_fields_are_empty(tmp_path: Path) -> None:
    data = read_week(build_fixed(tmp_path / "w.duckdb", tracker=False), parse_week(WEEK))
    assert not data.tracker and data.releases == [] and data.releases_per_lab == []
    assert all(i.release_id is None for i in data.items)
