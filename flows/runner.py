"""Run a flow once from the command line, and let the temporary Prefect server settle.

Without a Prefect server (``PREFECT_API_URL`` unset), Prefect starts a temporary
one for the process and stops it at exit. Task-run events still in flight at
that moment are cut off and logged as errors, though the run itself is fine.
``run`` waits (a few seconds at most) until the server has recorded every task
run's final state, so a normal run ends quietly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import State
from prefect.events.worker import EventsWorker


async def settle(flow_run_id: UUID, *, timeout: float = 15.0, quiet: float = 1.0) -> None:
    """Send the events still queued in this process, then wait until the server shows every
    task run of ``flow_run_id`` in a final state and nothing has changed for ``quiet`` seconds."""
    await asyncio.to_thread(EventsWorker.drain_all, timeout=timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, since = None, loop.time()
    async with get_client() as client:
        while loop.time() < deadline:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            seen = sorted((str(r.id), r.state.timestamp.isoformat() if r.state else "") for r in runs)
            if seen != last:
                last, since = seen, loop.time()
            elif (runs and all(r.state is not None and r.state.is_final() for r in runs)
                  and loop.time() - since >= quiet):
                return
            await asyncio.sleep(0.2)


def run(flow: Flow[..., Coroutine[Any, Any, Any]], **parameters: Any) -> Any:
    """Run an async ``flow`` to completion, settle, and return its result (raising on failure)."""
    async def go() -> Any:
        state: State[Any] = await flow(**parameters, return_state=True)
        if state.state_details.flow_run_id is not None:
            await settle(state.state_details.flow_run_id)
        return await state.aresult()
    return asyncio.run(go())
