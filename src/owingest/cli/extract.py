"""``owingest extract``: the release facts of one item, as the pipeline extracts them."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from owingest.cli.common import fail, guard, out

__all__ = ["extract", "register"]


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def extract(title: Annotated[str, typer.Argument(help="The item's title (or a Hub repository id).")],
            summary: Annotated[str, typer.Option("--summary", help="The item's text.")] = "",
            published: Annotated[str | None, typer.Option("--published", help="YYYY-MM-DD")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Print the release facts extracted from one item: lab, family, sizes, context, license.

    Example: owingest extract "Qwen3-Coder: an open 480B agentic coding model"
    --summary "480B-A35B, 256K native context, 1M via extrapolation, Apache 2.0" --json
    """
    from owingest.extract import extract_facts

    try:
        day = date.fromisoformat(published) if published else None
    except ValueError:
        raise fail(f"--published: not a date (YYYY-MM-DD): {published!r}") from None
    facts = guard(lambda: extract_facts(title=title, summary=summary, published=day)).to_json()
    if as_json:
        typer.echo(json.dumps(facts))
        return
    for key, value in facts.items():
        out.print(f"{key + ':':<17}{_shown(value)}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(extract)
