"""``owingest digest``: write the weekly digest (Markdown, HTML, JSON, charts) and its archive."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from owingest.cli.common import WarehouseOpt, fail, guard, out, warehouse_path

if TYPE_CHECKING:
    from owingest.digest import Period

__all__ = ["digest", "register"]


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: not a date (YYYY-MM-DD): {text!r}") from None


def _period(
    warehouse: Path, week: str | None, since: str | None, until: str | None, now: datetime
) -> Period:
    """The period asked for; "now" is read here, at the edge, and nowhere below."""
    from owingest.digest import day_range, last_complete_week, latest_week, parse_week

    if week and (since or until):
        raise fail("--week cannot be combined with --since/--until: choose one")
    if until and not since:
        raise fail("--until needs --since")
    if since:
        first = _day("--since", since)
        last = _day("--until", until) if until else now.date() - timedelta(days=1)
        try:
            return day_range(first, last)
        except ValueError as e:
            raise fail(str(e)) from None
    if week is None:
        return last_complete_week(now)
    if week.strip().lower() == "latest":
        return guard(lambda: latest_week(warehouse, now))
    try:
        return parse_week(week)
    except ValueError as e:
        raise fail(f"--week: {e}") from None


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
    from owingest.digest import parse_formats, write_digest

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    chosen = guard(lambda: parse_formats(formats))
    period = _period(target, week, since, until, datetime.now(UTC))
    root = out_dir or target.parent / "digests"
    written = guard(lambda: write_digest(target, period, root, formats=chosen, top=top))
    now, releases = written.digest.current, written.digest.current.releases
    out.print(
        f"{period.label}: {now.items} item{'s' if now.items != 1 else ''}, {now.on_topic} on topic"
        + ("" if releases is None else f", {releases} new release{'s' if releases != 1 else ''}")
        + f"; wrote {len(written.files)} files to {written.folder}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command()(digest)
