"""The `owingest` command as a user meets it: a real process, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OWINGEST = Path(sys.executable).with_name("owingest")


def owingest(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([str(OWINGEST), *args], check=False, cwd=cwd, capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_sources_check_prints_the_table() -> None:
    done = owingest("sources", "check")
    assert done.returncode == 0, done.stderr
    assert "vllm-releases" in done.stdout and "hf_models" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("ok: ")


def test_an_invalid_sources_file_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - {id: a, kind: rss, url: 'https://x.org/f'}\n"
                   "  - {id: b, kind: feed, url: 'gopher://x.org'}\n")
    check = owingest("sources", "check", "--sources", str(bad))
    assert check.returncode == 2
    assert check.stderr.splitlines() == [
        "owingest: sources.yaml: source 'a': field 'kind': unknown kind 'rss' (expected one of feed, hf_models, html)",
        "owingest: sources.yaml: source 'b': field 'url': must be an http or https URL",
    ]
    run = owingest("ingest", "--sources", str(bad), "--warehouse", str(tmp_path / "w.duckdb"))
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_an_unknown_only_id_is_a_usage_error(tmp_path: Path) -> None:
    done = owingest("ingest", "--only", "no-such-source", "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    assert done.stderr.strip() == "owingest: sources.yaml: no source with id 'no-such-source'"


def test_a_missing_replay_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = owingest("ingest", "--replay", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"owingest: {tmp_path / 'nope'}: replay snapshot folder not found"


def test_when_no_source_can_be_fetched_the_exit_status_is_1(tmp_path: Path) -> None:
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / "index.yaml").write_text(
        "documents:\n  - {url: 'https://elsewhere.example/', file: index.yaml}\n")
    done = owingest("ingest", "--replay", str(tmp_path / "snap"), "--only", "vllm-releases",
                    "--only", "hf-qwen", "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "owingest: no source could be fetched"
    assert "fetch: HTTP 404 Not Found" in done.stdout


def test_a_corrupt_warehouse_is_one_line_and_left_as_it_was(tmp_path: Path) -> None:
    bad = tmp_path / "w.duckdb"
    bad.write_bytes(b"\x00garbage" * 512)
    done = owingest("ingest", "--replay", str(REPO / "snapshot"), "--only", "vllm-releases",
                    "--warehouse", str(bad))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("owingest: warehouse: ")
    assert bad.read_bytes() == b"\x00garbage" * 512


def test_reparse_without_a_warehouse_is_a_usage_error(tmp_path: Path) -> None:
    done = owingest("reparse", "--warehouse", str(tmp_path / "none.duckdb"))
    assert done.returncode == 2
    assert "no warehouse yet" in done.stderr


def test_the_warehouse_can_come_from_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "env.duckdb"
    done = owingest("ingest", "--replay", str(REPO / "snapshot"), "--only", "vllm-releases",
                    env={"OWINGEST_WAREHOUSE": str(target)})
    assert done.returncode == 0, done.stderr
    assert target.exists()


def test_snapshot_writes_a_copy_readable_while_the_live_file_is_busy(tmp_path: Path) -> None:
    live = tmp_path / "w.duckdb"
    assert owingest("ingest", "--replay", str(REPO / "snapshot"), "--only", "vllm-releases",
                    "--warehouse", str(live)).returncode == 0
    done = owingest("snapshot", "--warehouse", str(live))
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "w.snapshot.duckdb"
    assert done.stdout.strip() == f"wrote {copy}"
    parquet = owingest("snapshot", "--parquet", "--out", str(tmp_path / "pq"), "--warehouse", str(live))
    assert parquet.returncode == 0, parquet.stderr
    import duckdb

    writer = duckdb.connect(str(live))  # the live file is now busy; the copies still read
    try:
        con = duckdb.connect(str(copy), read_only=True)
        assert con.execute("SELECT count(*) FROM items").fetchone() == (12,)
        con.close()
        assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'pq' / 'items.parquet'}'").fetchall() == [(12,)]
    finally:
        writer.close()
