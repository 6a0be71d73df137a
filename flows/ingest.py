"""The ``ingest`` flow: Prefect wiring only. The work is in ``owingest.pipeline``.

One task per source (fetch → parse → normalize, all sources concurrent on one
HTTP client), then one task that labels the run's items (the shipped classifier,
in one batch) and stores the whole run in one transaction.
A source that still fails transiently after the fetcher's own retries is
retried by Prefect; permanent failures are recorded and not retried.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import Task

from owingest import pipeline
from owingest.classify.labeler import Labeler
from owingest.config import load_sources
from owingest.fetch import Fetcher
from owingest.models import IngestReport, SourceRun
from owingest.parse.pool import ParserPool
from owingest.report import report_markdown


class SourceStillFailing(Exception):
    """Raised so that Prefect retries a transiently failing source; carries its result."""

    def __init__(self, result: SourceRun) -> None:
        super().__init__(result.error)
        self.result = result


def _transient_only(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry only a source that is still failing transiently (not a bug, not a 404)."""
    try:
        state.result(raise_on_failure=True, _sync=True)  # type: ignore[call-overload]
    except SourceStillFailing:
        return True
    except Exception:  # noqa: BLE001 - any other failure is final: no retry
        return False
    return False


@task(name="collect-source", task_run_name="collect-{source.id}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=[30, 120], retry_jitter_factor=0.5,
      retry_condition_fn=_transient_only)
async def collect(fetcher: Fetcher, parser: ParserPool, run: pipeline.Run,
                  source: pipeline.AnySource) -> SourceRun:
    result = await pipeline.collect_source(fetcher, parser, run, source)
    if result.transient:
        raise SourceStillFailing(result)
    return result


@task(name="store-run", cache_policy=NO_CACHE)
def store(run: pipeline.Run, results: list[SourceRun]) -> IngestReport:
    return pipeline.commit(run, results)


async def _result(state: State[SourceRun]) -> SourceRun:
    try:
        return await state.aresult()
    except SourceStillFailing as failing:
        return failing.result


@flow(name="ingest", description="Fetch every enabled source and store new and changed items.")
async def ingest(sources: str = "sources.yaml", warehouse: str = "warehouse/owingest.duckdb",
                 replay: str | None = None, only: list[str] | None = None) -> dict[str, Any]:
    config = load_sources(Path(sources))
    run = pipeline.prepare(config, Path(warehouse), only=only, mode="replay" if replay else "live",
                           classifier=Labeler())
    async with pipeline.open_fetcher(run, replay=Path(replay) if replay else None) as fetcher:
        with ParserPool() as parser:
            # Prefect types an async task's return_state call as a State; it returns an awaitable
            states = await asyncio.gather(*(collect(fetcher, parser, run, s, return_state=True)
                                            for s in run.sources))  # type: ignore[call-overload]
    report = store(run, [await _result(s) for s in states])
    await acreate_markdown_artifact(markdown=report_markdown(report), key="ingest-summary",
                                    description=f"owingest run {report.run_id}")
    return {"run_id": report.run_id, "sources": len(report.sources), "failed": len(report.failed),
            "items_new": report.items_new, "items_updated": report.items_updated}


if __name__ == "__main__":
    import argparse

    from runner import run

    parser = argparse.ArgumentParser(description="Run the ingest flow once.")
    parser.add_argument("--sources", default="sources.yaml")
    parser.add_argument("--warehouse", default="warehouse/owingest.duckdb")
    parser.add_argument("--replay", default=None, help="answer from this snapshot folder (offline)")
    parser.add_argument("--only", action="append", default=None, help="a source id (repeatable)")
    print(run(ingest, **vars(parser.parse_args())))
