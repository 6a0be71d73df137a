"""The warehouse: migrations, idempotent batches, cross-source merging, source health."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from owingest.config import FeedSource
from owingest.errors import WarehouseError
from owingest.models import Document, FetchedDocument, RawEntry, SourceRun
from owingest.normalize import normalize_entry
from owingest.store import archived_bodies, commit_run, connect, latest_documents, source_states
from owingest.store.connection import migrations
from tests.warehouse import query as rows

T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
A = FeedSource(id="a", kind="feed", url="https://a.example/feed")
B = FeedSource(id="b", kind="feed", url="https://b.example/feed")


def item(source: str, title: str, link: str, summary: str = "", when: datetime | None = None):
    entry = RawEntry(title=title, link=link, summary_html=summary)
    made = normalize_entry(entry, source_id=source, kind="feed", base_url="https://x.example/", now=T0)
    assert made is not None
    return made if when is None else replace(made, published_at=when)


def run(source: str, items=(), *, error: str | None = None, status: int | None = 200, etag: str | None = '"e1"',
        body: bytes = b"<rss/>", not_modified: bool = False) -> SourceRun:
    doc = Document(url=f"https://{source}.example/feed", final_url=f"https://{source}.example/feed",
                   status=200, body=body, content_type="application/rss+xml", etag=etag, last_modified=None)
    docs = () if error or not_modified else (FetchedDocument("listing", 0, doc),)
    return SourceRun(source_id=source, url=doc.url, started_at=T0, finished_at=T0, status=status,
                     not_modified=not_modified, attempts=1, etag=etag, last_modified=None, documents=docs,
                     items=tuple(items), entries_seen=len(items), error=error,
                     transient=False if error else None)


def commit(path: Path, runs: list[SourceRun], at: datetime = T0, run_id: str = "r1"):
    return commit_run(path, run_id=run_id, mode="live", started_at=at, finished_at=at, sources=[A, B], runs=runs)



def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    for _ in range(2):
        with connect(path):
            pass
    assert rows(path, "SELECT version, name FROM schema_migrations") == [(v, n) for v, n, _ in migrations()]
    tables = {r[0] for r in rows(path, "SELECT table_name FROM information_schema.tables")}
    assert {"sources", "fetches", "items", "item_sources", "runs", "raw_documents", "documents"} <= tables


def test_the_same_batch_twice_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    batch = [run("a", [item("a", "Llama 3.1 405B is out", "https://ai.meta.com/blog/llama-3-1/")])]
    first = commit(path, batch, run_id="r1")
    before = rows(path, "SELECT * FROM items ORDER BY item_id")
    second = commit(path, batch, T0 + timedelta(hours=1), run_id="r2")
    assert (first.items_new, second.items_new, second.items_updated) == (1, 0, 0)
    assert rows(path, "SELECT * FROM items ORDER BY item_id") == before
    assert rows(path, "SELECT count(*) FROM raw_documents") == [(1,)]
    assert rows(path, "SELECT count(*) FROM documents") == [(2,)]


def test_an_item_carried_by_two_sources_is_one_row_with_both(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    link = "https://developers.googleblog.com/en/introducing-gemma-3/"
    report = commit(path, [run("a", [item("a", "Introducing Gemma 3", link)]),
                           run("b", [item("b", "Introducing Gemma 3", link + "?utm_source=rss")])])
    assert report.items_new == 1
    assert rows(path, "SELECT source_id, sources FROM items") == [("a", ["a", "b"])]
    assert rows(path, "SELECT source_id FROM item_sources ORDER BY 1") == [("a",), ("b",)]


def test_the_same_story_at_two_urls_merges_by_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    text = "We are releasing gpt-oss-120b and gpt-oss-20b, two open-weight reasoning models under Apache 2.0."
    commit(path, [run("a", [item("a", "Introducing gpt-oss models today", "https://openai.com/index/gpt-oss/", text)])])
    report = commit(path, [run("b", [item("b", "Introducing gpt-oss models today",
                                          "https://mirror.example/gpt-oss", text)])], run_id="r2")
    assert report.items_new == 0
    assert rows(path, "SELECT url, sources FROM items") == [("https://openai.com/index/gpt-oss/", ["a", "b"])]


def test_a_changed_entry_updates_and_keeps_its_first_seen_time(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    link = "https://qwenlm.github.io/blog/qwen3/"
    commit(path, [run("a", [item("a", "Qwen3", link, "draft")])])
    later = T0 + timedelta(days=1)
    report = commit(path, [run("a", [item("a", "Qwen3: Think Deeper, Act Faster", link, "final")])], later, "r2")
    assert (report.items_new, report.items_updated) == (0, 1)
    assert rows(path, "SELECT title, summary, first_seen_at, updated_at FROM items") == [
        ("Qwen3: Think Deeper, Act Faster", "final", T0, later)]


def test_another_source_never_overwrites_the_first_sources_text(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    link = "https://qwenlm.github.io/blog/qwen3/"
    commit(path, [run("a", [item("a", "Qwen3", link, "original")])])
    report = commit(path, [run("b", [item("b", "Qwen3 (repost)", link, "other words")])], run_id="r2")
    assert (report.items_new, report.items_updated) == (0, 0)
    assert rows(path, "SELECT title, sources FROM items") == [("Qwen3", ["a", "b"])]


def test_duplicate_keys_within_one_batch_keep_the_first(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    link = "https://mistral.ai/news/mixtral-8x22b"
    report = commit(path, [run("a", [item("a", "Mixtral 8x22B", link, "one"), item("a", "Mixtral 8x22B!", link, "two")])])
    assert report.items_new == 1
    assert rows(path, "SELECT title FROM items") == [("Mixtral 8x22B",)]


def test_source_health_counts_failures_and_keeps_validators(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    commit(path, [run("a", etag='"v1"')], run_id="r1")
    commit(path, [run("a", error="fetch: HTTP 503 Service Unavailable", status=503, etag='"v1"')], run_id="r2")
    commit(path, [run("a", error="fetch: HTTP 503 Service Unavailable", status=503, etag='"v1"')], run_id="r3")
    assert rows(path, "SELECT etag, last_status, consecutive_failures, last_error FROM sources WHERE source_id='a'") \
        == [('"v1"', 503, 2, "fetch: HTTP 503 Service Unavailable")]
    commit(path, [run("a", etag='"v2"')], run_id="r4")
    assert rows(path, "SELECT etag, consecutive_failures, last_error FROM sources WHERE source_id='a'") \
        == [('"v2"', 0, None)]
    assert source_states(path)["a"].etag == '"v2"'
    # b was configured but never run: present, with no state
    assert rows(path, "SELECT last_attempt_at, consecutive_failures FROM sources WHERE source_id='b'") == [(None, 0)]


def test_a_failing_source_backs_off_exponentially_up_to_48_hours_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    waits = []
    for n in range(1, 12):
        at = T0 + timedelta(days=n)
        commit(path, [run("a", error="fetch: HTTP 503 Service Unavailable", status=503)], at, f"r{n}")
        [(until,)] = rows(path, "SELECT next_attempt_at FROM sources WHERE source_id = 'a'")
        waits.append((until - at).total_seconds())
    assert all(0.5 * 900 * 2 ** i <= w <= 900 * 2 ** i for i, w in enumerate(waits[:7]))
    assert waits[4] > waits[0] * 4
    assert max(waits) <= 48 * 3600 and waits[-1] >= 24 * 3600
    commit(path, [run("a")], T0 + timedelta(days=20), "ok")
    assert rows(path, "SELECT consecutive_failures, next_attempt_at FROM sources WHERE source_id = 'a'") == [(0, None)]


def test_raw_documents_are_archived_once_and_readable_back(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    commit(path, [run("a", body=b"<rss>first</rss>")], run_id="r1")
    commit(path, [run("a", body=b"<rss>second</rss>")], run_id="r2")
    latest = latest_documents(path, ["a"])
    assert [d.document.body for d in latest["a"]] == [b"<rss>second</rss>"]
    assert archived_bodies(path, ["https://a.example/feed"])["https://a.example/feed"].body == b"<rss>second</rss>"
    assert rows(path, "SELECT compression, size_bytes FROM raw_documents ORDER BY size_bytes") == [
        ("gzip", 16), ("gzip", 17)]


def _holder(path: Path) -> subprocess.Popen[str]:
    """Another process holding the warehouse open (as an analyst's duckdb session would)."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        con.close()
        print("released", flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def test_a_warehouse_held_past_the_wait_bound_is_a_one_line_error(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    monkeypatch.setenv("OWINGEST_LOCK_WAIT", "0.5")
    holder = _holder(path)
    try:
        with pytest.raises(WarehouseError) as err:
            commit(path, [run("a")])
        assert str(err.value).startswith(f"warehouse: cannot open {path}: ")
        assert "\n" not in str(err.value)
    finally:
        holder.communicate("\n", timeout=30)
    assert rows(path, "SELECT count(*) FROM runs") == [(0,)]  # nothing half-written


def test_a_run_waits_for_a_warehouse_another_process_holds_then_completes(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    monkeypatch.setenv("OWINGEST_LOCK_WAIT", "60")
    holder = _holder(path)
    release = threading.Timer(1.0, lambda: holder.stdin and (holder.stdin.write("\n"), holder.stdin.flush()))
    release.start()
    try:
        report = commit(path, [run("a", [item("a", "Mistral Small 3", "https://mistral.ai/news/mistral-small-3")])])
    finally:
        release.join()
        holder.wait(timeout=30)
    assert report.items_new == 1
    assert rows(path, "SELECT count(*) FROM items") == [(1,)]


def test_a_file_that_is_not_duckdb_is_a_clear_error_and_stays_untouched(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(WarehouseError, match="warehouse: "):
        commit(path, [run("a")])
    assert path.read_bytes() == b"not a database at all" * 100
