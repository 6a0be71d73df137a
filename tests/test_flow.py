"""The Prefect `ingest` flow, run for real on the replay snapshot."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from owingest.serving import build_deployments, read_deployments

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.prefect


def load_flows() -> ModuleType:
    spec = importlib.util.spec_from_file_location("owingest_flows_ingest", REPO / "flows" / "ingest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ingest_flow_stores_the_snapshot_and_publishes_a_summary(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.testing.utilities import prefect_test_harness

    flows = load_flows()
    warehouse = tmp_path / "w.duckdb"
    with prefect_test_harness():
        result = asyncio.run(flows.ingest(sources=str(REPO / "sources.yaml"), warehouse=str(warehouse),
                                          replay=str(REPO / "snapshot")))

        async def artifact() -> str:
            async with get_client() as client:
                found = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"])))
                return str(found[0].data)
        summary = asyncio.run(artifact())
    con = duckdb.connect(str(warehouse), read_only=True)
    [(items, runs)] = con.execute("SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM runs)").fetchall()
    con.close()
    assert result["sources"] == 40 and result["failed"] == 2
    assert result["items_new"] == items >= 300 and runs == 1
    assert f"owingest replay run `{result['run_id']}`" in summary
    assert "| google-research-blog | failed |" in summary
    con = duckdb.connect(str(warehouse), read_only=True)
    [(unlabeled,)] = con.execute("SELECT count(*) FROM items WHERE model_version IS NULL").fetchall()
    con.close()
    assert unlabeled == 0


def test_the_reclassify_flow_relabels_and_reports(tmp_path: Path) -> None:
    from prefect.testing.utilities import prefect_test_harness

    spec = importlib.util.spec_from_file_location("owingest_flows_reclassify", REPO / "flows" / "reclassify.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    warehouse = tmp_path / "w.duckdb"
    done = subprocess.run([str(Path(sys.executable).with_name("owingest")), "ingest", "--replay",
                           str(REPO / "snapshot"), "--only", "vllm-releases", "--only", "hf-qwen",
                           "--warehouse", str(warehouse)], check=False, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    with prefect_test_harness():
        result = asyncio.run(module.reclassify(warehouse=str(warehouse), model="keyword"))
    assert result["model_version"] == "keyword-1" and result["items"] == 29
    con = duckdb.connect(str(warehouse), read_only=True)
    [(versions,)] = con.execute("SELECT list(DISTINCT model_version) FROM items").fetchall()
    con.close()
    assert versions == ["keyword-1"]


def test_plain_flow_runs_print_no_traceback_and_no_error_line(tmp_path: Path) -> None:
    # a cold run and a warm one (all 304): the temporary server's shutdown used to log
    # "Error flushing N events" tracebacks on some runs, before `runner.settle`
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    for expected_new in ("'items_new': 4", "'items_new': 0"):
        done = subprocess.run([sys.executable, str(REPO / "flows" / "ingest.py"), "--replay",
                               str(REPO / "snapshot"), "--warehouse", str(tmp_path / "w.duckdb"),
                               "--sources", str(REPO / "sources.yaml")],
                              check=False, capture_output=True, text=True, env=env, timeout=240, cwd=tmp_path)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "Traceback" not in output
        assert not [line for line in output.splitlines() if "| ERROR" in line or "| CRITICAL" in line]
        assert expected_new in done.stdout


def test_serve_builds_the_deployments_declared_in_prefect_yaml() -> None:
    declared = read_deployments(REPO)
    built = build_deployments(REPO)
    assert [d.name for d in built] == [d["name"] for d in declared] == ["ingest-hourly", "reclassify", "weekly-digest"]
    assert built[1].schedules in (None, [])
    schedule = built[0].schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("17 * * * *", "UTC")
    assert built[0].concurrency_limit == 1
    assert built[0].parameters == {"sources": "sources.yaml", "warehouse": "warehouse/owingest.duckdb"}
