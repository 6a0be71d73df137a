"""The ``weekly_digest`` flow: Prefect wiring only. The work is in ``owingest.digest``.

Scheduled on Mondays at 07:00 UTC (prefect.yaml), it writes the digest of the
ISO week that just ended (or the ``week`` given) under ``out`` and publishes the
headline table as the markdown artifact ``digest-headline``. ``week``, ``since`` and
``until`` mean what the options of ``owingest digest`` mean (``resolve_period``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from owingest import digest as digests


@task(name="write-digest", cache_policy=NO_CACHE)
def write(
    warehouse: str, period: digests.Period, out: str | None, formats: str, top: int
) -> digests.Written:
    return digests.write_digest(
        Path(warehouse), period, Path(out) if out else None,
        formats=digests.parse_formats(formats), top=top,
    )


@flow(
    name="weekly_digest",
    description="Write the weekly digest (Markdown, HTML, JSON, charts) "
    "and refresh the digest archive and feed.",
)
async def weekly_digest(
    warehouse: str = "warehouse/owingest.duckdb",
    out: str | None = None,
    week: str | None = None,
    formats: str = "md,html,json",
    top: int = 20,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)  # the flow is the edge: the clock is read here only
    period = digests.resolve_period(Path(warehouse), now=now, week=week, since=since, until=until)
    written = write(warehouse, period, out, formats, top)
    d = written.digest
    await acreate_markdown_artifact(
        key="digest-headline",
        markdown=digests.headline_markdown(d),
        description=f"owingest digest {period.label}",
    )
    return {
        "period": period.label,
        "folder": str(written.folder),
        "items": d.current.items,
        "on_topic": d.current.on_topic,
        "releases": d.current.releases,
        "files": [str(f) for f in written.files],
    }


if __name__ == "__main__":
    import argparse

    from runner import run

    parser = argparse.ArgumentParser(description="Run the weekly digest flow once.")
    parser.add_argument("--warehouse", default="warehouse/owingest.duckdb")
    parser.add_argument(
        "--out", default=None, help="archive folder [default: digests/ beside the warehouse]"
    )
    parser.add_argument(
        "--week", default=None, help="2026-W48 or 'latest' [default: last complete week]"
    )
    parser.add_argument("--since", default=None, help="first day, YYYY-MM-DD (instead of --week)")
    parser.add_argument("--until", default=None, help="last day, included [default: yesterday]")
    parser.add_argument("--formats", default="md,html,json")
    print(run(weekly_digest, **vars(parser.parse_args())))
