"""The ``owingest`` command. Each command parses its options, makes one library call
and prints; errors become one line on stderr and an exit status (2: usage or
configuration, 1: nothing could be fetched), never a traceback."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from owingest.config import check_sources, load_sources
from owingest.errors import ConfigError, OwingestError
from owingest.models import IngestReport, SourceRun
from owingest.pipeline import reparse as reparse_archive
from owingest.pipeline import run_ingest

__all__ = ["app", "main"]

app = typer.Typer(help="owingest: a DuckDB warehouse of open-weights AI progress.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
sources_app = typer.Typer(help="Inspect the configured sources.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error is one line, never wrapped
T = TypeVar("T")

SourcesOpt = Annotated[Path, typer.Option("--sources", help="The sources file.")]
WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", help="The DuckDB file [default: $OWINGEST_WAREHOUSE or warehouse/owingest.duckdb].")]
OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Run only this source id (repeatable).")]


def _warehouse(path: Path | None) -> Path:
    return path or Path(os.environ.get("OWINGEST_WAREHOUSE") or "warehouse/owingest.duckdb")


def _guard(call: Callable[[], T]) -> T:
    """Run ``call``; a user error becomes one line and exit status 2."""
    try:
        return call()
    except ConfigError as e:
        err.print(f"owingest: {e}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OwingestError as e:
        err.print(f"owingest: {e}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _report_table(report: IngestReport) -> Table:
    table = Table(title=f"run {report.run_id} ({report.mode})", title_justify="left")
    for col, just in (("source", "left"), ("status", "left"), ("seen", "right"), ("new", "right"),
                      ("updated", "right"), ("error / problems", "left")):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for s in sorted(report.sources, key=lambda s: (s.error is None, s.source_id)):
        status = "not modified" if s.not_modified else ("failed" if s.error else str(s.status or "ok"))
        note = s.error or "; ".join(s.problems)
        style = "red" if s.error else ("yellow" if s.problems else "")
        table.add_row(s.source_id, status, str(s.items_seen), str(s.items_new), str(s.items_updated),
                      note[:160], style=style)
    return table


def _print_report(report: IngestReport) -> None:
    out.print(_report_table(report))
    out.print(f"{len(report.sources)} sources, {len(report.failed)} failed; "
              f"{report.items_new} new items, {report.items_updated} updated.", highlight=False)


@app.command()
def ingest(
    sources: SourcesOpt = Path("sources.yaml"),
    warehouse: WarehouseOpt = None,
    replay: Annotated[Path | None, typer.Option(
        "--replay", help="Answer every request from this snapshot folder (offline).")] = None,
    only: OnlyOpt = None,
) -> None:
    """Fetch every enabled source and store new and changed items.

    Example: owingest ingest --replay snapshot --only vllm-releases
    """
    config = _guard(lambda: load_sources(sources))
    target = _warehouse(warehouse)
    selected = _guard(lambda: config.select(only))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task("ingesting", total=len(selected))

        def advance(run: SourceRun) -> None:
            progress.update(task, advance=1, description=f"ingesting ({run.source_id})")

        report = _guard(lambda: asyncio.run(run_ingest(config, target, only=only, replay=replay,
                                                       on_source=advance)))
    _print_report(report)
    if report.all_failed:
        err.print("owingest: no source could be fetched", highlight=False)
        raise typer.Exit(1)


@app.command()
def reparse(sources: SourcesOpt = Path("sources.yaml"), warehouse: WarehouseOpt = None,
            only: OnlyOpt = None) -> None:
    """Re-parse the archived documents of each source (no network): picks up parser fixes.

    Example: owingest reparse --only mistral-news
    """
    config = _guard(lambda: load_sources(sources))
    target = _warehouse(warehouse)
    if not target.exists():
        err.print(f"owingest: {target}: no warehouse yet (run `owingest ingest` first)", highlight=False)
        raise typer.Exit(2)
    _print_report(_guard(lambda: reparse_archive(config, target, only=only)))


@sources_app.command("check")
def sources_check(sources: SourcesOpt = Path("sources.yaml")) -> None:
    """Validate the sources file and print it as a table.

    Example: owingest sources check --sources sources.yaml
    """
    config, problems = check_sources(sources)
    if config is None:
        for line in problems:
            err.print(f"owingest: {line}", markup=False, highlight=False)
        raise typer.Exit(2)
    table = Table(title=f"{sources} ({len(config.sources)} sources)", title_justify="left")
    for col in ("id", "kind", "lab", "enabled", "url"):
        table.add_column(col, overflow="fold")
    for s in config.sources:
        table.add_row(s.id, s.kind, s.lab or "", "yes" if s.enabled else "no", s.url)
    out.print(table)
    by_kind = {k: sum(1 for s in config.sources if s.kind == k) for k in ("feed", "hf_models", "html")}
    out.print("ok: " + ", ".join(f"{n} {k}" for k, n in by_kind.items()), highlight=False)


@app.command()
def serve(project: Annotated[Path, typer.Option("--project", help="Folder holding prefect.yaml and flows/.")]
          = Path(".")) -> None:
    """Serve the deployments of prefect.yaml (their cron schedules) from this machine.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api owingest serve
    """
    from owingest.serving import serve_deployments  # imports Prefect: only when asked

    _guard(lambda: serve_deployments(project))


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("owingest: interrupted", highlight=False)
        sys.exit(130)
