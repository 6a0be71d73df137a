"""The ``ingest`` Prefect flow (``flows/ingest.py``) in one process, timed in phases:
import, start of Prefect's temporary server (the first API call), a cold flow run, the wait
until the server has recorded every task run (``flows/runner.settle``), and a warm flow run.

    python benchmarks/prefect_child.py --sources S.yaml --warehouse W

Prints one JSON line. The parent sets PREFECT_HOME (under benchmarks/.cache) and turns
Prefect's analytics off (the machine is offline).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent

# the imports of flows/ingest.py, at module level as there: on Python < 3.13 a fork-server child
# re-executes the main script (CPython gh-137996) unless ParserPool skips it, as it now does
import prefect  # noqa: F401

from owingest import pipeline  # noqa: F401
from owingest.classify.classifier import load_classifier  # noqa: F401


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _phases(flows: Any, runner: Any, sources: Path, warehouse: Path) -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    out: dict[str, Any] = {}
    start = time.perf_counter()
    async with get_client() as client:
        await client.hello()
    out["server_start_s"] = round(time.perf_counter() - start, 3)
    for label in ("cold", "warm"):
        start = time.perf_counter()
        state = await flows.ingest(sources=str(sources), warehouse=str(warehouse), return_state=True)
        out[f"{label}_flow_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        await runner.settle(state.state_details.flow_run_id)
        out[f"{label}_settle_s"] = round(time.perf_counter() - start, 3)
        out[f"{label}_result"] = await state.aresult()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "flows"))
    flows = _load("owingest_flows_ingest", ROOT / "flows" / "ingest.py")
    runner = _load("owingest_flows_runner", ROOT / "flows" / "runner.py")
    out = {"import_s": round(time.perf_counter() - T0, 3)}
    out.update(asyncio.run(_phases(flows, runner, args.sources, args.warehouse)))
    out["child_wall_s"] = round(time.perf_counter() - T0, 3)
    print(json.dumps(out, default=str), flush=True)


if __name__ == "__main__":
    main()
