"""The ``weekly_digest`` Prefect flow, run for real, and its scheduled deployment."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from owingest.errors import ConfigError
from owingest.serving import build_deployments, read_deployments
from tests.test_digest_fixture import WEEK, build_fixed

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.prefect


def load_flow() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "owingest_flows_digest", REPO / "flows" / "digest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_flow_writes_the_digest_and_publishes_its_headline(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.testing.utilities import prefect_test_harness

    flows = load_flow()
    warehouse = build_fixed(tmp_path / "w.duckdb")
    with prefect_test_harness():
        result = asyncio.run(flows.weekly_digest(warehouse=str(warehouse), week=WEEK))

        async def artifact() -> str:
            async with get_client() as client:
                found = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["digest-headline"]))
                )
                return str(found[0].data)

        headline = asyncio.run(artifact())
        # the flow takes the period as the CLI does (one resolve_period), days included
        days = asyncio.run(
            flows.weekly_digest(
                warehouse=str(warehouse), since="2026-11-23", until="2026-11-29", formats="json"
            )
        )
        with pytest.raises(ConfigError, match="^--week: no such ISO week: '2025-W53'$"):
            asyncio.run(flows.weekly_digest(warehouse=str(warehouse), week="2025-W53"))
    folder = tmp_path / "digests" / WEEK  # default: digests/ beside the warehouse
    assert result["folder"] == str(folder) and result["items"] == 8 and result["releases"] == 1
    assert sorted(p.name for p in folder.iterdir()) == [
        "charts",
        "digest.html",
        "digest.json",
        "digest.md",
    ]
    assert (tmp_path / "digests" / "feed.xml").exists() and (
        tmp_path / "digests" / "index.html"
    ).exists()
    assert headline.startswith("# owingest digest 2026-W48")
    assert "| items | 8 | 2 | +6 |" in headline
    assert headline == (folder / "digest.md").read_text(encoding="utf-8")[: len(headline)]
    assert days["period"] == "2026-11-23_2026-11-29" and days["items"] == result["items"]


def test_the_digest_deployment_runs_on_mondays_at_seven_utc() -> None:
    declared = {d["name"]: d for d in read_deployments(REPO)}
    assert declared["weekly-digest"]["entrypoint"] == "flows/digest.py:weekly_digest"
    built = {d.name: d for d in build_deployments(REPO)}
    schedule = built["weekly-digest"].schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 7 * * 1", "UTC")
    assert built["weekly-digest"].parameters == {"warehouse": "warehouse/owingest.duckdb"}
