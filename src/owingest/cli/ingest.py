"""Commands that move data: ``ingest``, ``reparse``, ``sources check``, ``serve``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from owingest.cli.common import (
    OnlyOpt,
    SourcesOpt,
    WarehouseOpt,
    err,
    fail,
    guard,
    out,
    warehouse_path,
)
from owingest.config import check_sources, load_sources
from owingest.models import IngestReport, SourceRun
from owingest.pipeline import reparse as reparse_archive
from owingest.pipeline import run_ingest

if TYPE_CHECKING:
    from owingest.classify.labeler import Labeler

__all__ = ["register"]

sources_app = typer.Typer(help="Inspect the configured sources.", no_args_is_help=True)


def _default_classifier() -> Labeler:
    from owingest.classify.labeler import Labeler  # the model loads on the first batch with items

    return Labeler()


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
    for source_id, until in report.backing_off:
        out.print(f"{source_id}: failing, backing off until {until:%Y-%m-%d %H:%M} UTC "
                  f"(name it with --only to try now)", style="yellow", highlight=False)
    out.print(f"{len(report.sources)} sources, {len(report.failed)} failed; "
              f"{report.items_new} new items, {report.items_updated} updated.", highlight=False)


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
    config = guard(lambda: load_sources(sources))
    target = warehouse_path(warehouse)
    selected = guard(lambda: config.select(only))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task("ingesting", total=len(selected))

        def advance(run: SourceRun) -> None:
            progress.update(task, advance=1, description=f"ingesting ({run.source_id})")

        classifier = guard(_default_classifier)
        report = guard(lambda: asyncio.run(run_ingest(config, target, only=only, replay=replay,
                                                       classifier=classifier, on_source=advance)))
    _print_report(report)
    if report.all_failed:
        raise fail("no source could be fetched", 1)


def reparse(sources: SourcesOpt = Path("sources.yaml"), warehouse: WarehouseOpt = None,
            only: OnlyOpt = None) -> None:
    """Re-parse the archived documents of each source (no network): picks up parser fixes.

    Example: owingest reparse --only mistral-news
    """
    config = guard(lambda: load_sources(sources))
    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    classifier = guard(_default_classifier)
    _print_report(guard(lambda: reparse_archive(config, target, only=only, classifier=classifier)))


@sources_app.command("check")
def sources_check(sources: SourcesOpt = Path("sources.yaml")) -> None:
    """Validate the sources file and print it as a table.

    Example: owingest sources check --sources sources.yaml
    """
    config, problems = check_sources(sources)
    if config is None:
        for line in problems[:-1]:
            err.print(f"owingest: {line}", markup=False, highlight=False)
        raise fail(problems[-1])
    table = Table(title=f"{sources} ({len(config.sources)} sources)", title_justify="left")
    for col in ("id", "kind", "lab", "enabled", "url"):
        table.add_column(col, overflow="fold")
    for s in config.sources:
        table.add_row(s.id, s.kind, s.lab or "", "yes" if s.enabled else "no", s.url)
    out.print(table)
    by_kind = {k: sum(1 for s in config.sources if s.kind == k) for k in ("feed", "hf_models", "html")}
    out.print("ok: " + ", ".join(f"{n} {k}" for k, n in by_kind.items()), highlight=False)


def snapshot(warehouse: WarehouseOpt = None,
             destination: Annotated[Path | None, typer.Option("--out", help="Where to write the copy "
                                                       "[default: beside the warehouse, NAME.snapshot.duckdb].")] = None,
             parquet: Annotated[bool, typer.Option("--parquet", help="Write a folder of Parquet files "
                                                   "instead of a DuckDB file.")] = False) -> None:
    """Write a consistent copy of the warehouse for long read sessions (notebooks, BI tools).

    Example: owingest snapshot --parquet --out exports/owingest
    """
    from owingest.store.snapshot import snapshot_duckdb, snapshot_parquet

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    default = target.with_name(target.stem + (".parquet" if parquet else ".snapshot.duckdb"))
    writer = snapshot_parquet if parquet else snapshot_duckdb
    written = guard(lambda: writer(target, destination or default))
    out.print(f"wrote {written}", highlight=False)


def serve(project: Annotated[Path, typer.Option("--project", help="Folder holding prefect.yaml and flows/.")]
          = Path(".")) -> None:
    """Serve the deployments of prefect.yaml (their cron schedules) from this machine.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api owingest serve
    """
    from owingest.serving import serve_deployments  # imports Prefect: only when asked

    guard(lambda: serve_deployments(project))


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(reparse)
    app.command()(snapshot)
    app.command()(serve)
    app.add_typer(sources_app, name="sources")
