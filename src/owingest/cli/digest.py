"""``owingest digest``: write the weekly digest (Markdown, HTML, JSON, charts) and its archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from owingest.cli.common import WarehouseOpt, fail, guard, out, warehouse_path

__all__ = ["digest", "register"]


def digest(
    warehouse: WarehouseOpt = None,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            help="An ISO week (2026-W48), or 'latest': the latest complete week that has items "
            "[default: the last complete ISO week].",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="First day, YYYY-MM-DD (instead of --week).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Last day, YYYY-MM-DD, included [default: yesterday]."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Archive folder; the digest goes to "
            "OUT/<week>/ [default: digests/ beside the warehouse].",
        ),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Any of md, html, json, comma-separated.")
    ] = "md,html,json",
    top: Annotated[int, typer.Option("--top", min=1, help="Stories listed per topic.")] = 20,
) -> None:
    """Write the digest of a week: digest.md, digest.html, digest.json and charts/, then
    refresh the archive's index.html and feed.xml (Atom).

    Example: owingest digest --week 2026-W48 --format html,json
    """
    from owingest.digest import parse_formats, resolve_period, write_digest

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    chosen = guard(lambda: parse_formats(formats))
    now = datetime.now(UTC)  # the command is the edge: the clock is read here only
    period = guard(lambda: resolve_period(target, now=now, week=week, since=since, until=until))
    written = guard(lambda: write_digest(target, period, out_dir, formats=chosen, top=top))
    counts, releases = written.digest.current, written.digest.current.releases
    out.print(
        f"{period.label}: {counts.items} item{'s' if counts.items != 1 else ''}, "
        f"{counts.on_topic} on topic"
        + ("" if releases is None else f", {releases} new release{'s' if releases != 1 else ''}")
        + f"; wrote {len(written.files)} files to {written.folder}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command()(digest)
