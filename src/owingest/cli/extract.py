"""``owingest extract``: the release facts of one item, as the pipeline extracts them;
``owingest evaluate-releases``: how well facts are extracted and items linked, on gold files."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from owingest.cli.common import fail, guard, out

__all__ = ["evaluate_releases", "extract", "register"]


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


def evaluate_releases(
        gold: Annotated[Path, typer.Option("--gold", help="JSON Lines: title, summary, published "
                                           "and the expected fact fields.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        links: Annotated[Path, typer.Option("--links", help="Gold release of each snapshot item "
                                            "(JSON Lines: url, release).")] = Path("data/releases/links.jsonl"),
        snapshot: Annotated[Path, typer.Option("--snapshot", help="The snapshot replayed for linking.")]
        = Path("snapshot"),
        sources: Annotated[Path, typer.Option("--sources", help="The sources file.")] = Path("sources.yaml"),
        no_linking: Annotated[bool, typer.Option("--no-linking", help="Score extraction only.")] = False,
) -> None:
    """Per-field precision, recall and F1 of release-fact extraction on a gold file (only the
    fields a record states are scored), and the pairwise precision and recall of release
    linking on the bundled snapshot (replayed into a temporary warehouse).

    Example: owingest evaluate-releases --gold data/releases/gold.jsonl --json
    """
    from owingest.releases.evaluate import field_scores, load_jsonl, snapshot_link_scores

    records = guard(lambda: load_jsonl(gold, ("title", "published")))
    result: dict[str, Any] = guard(lambda: field_scores(records))
    if not no_linking:
        with tempfile.TemporaryDirectory(prefix="owingest-eval-") as tmp:
            result["linking"] = guard(lambda: snapshot_link_scores(
                snapshot=snapshot, sources=sources, links=links, workdir=Path(tmp)))
    if as_json:
        typer.echo(json.dumps(result))
        return
    out.print(f"{result['n']} records", highlight=False)
    out.print(f"{'field':<17}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}", highlight=False)
    for name, f in result["fields"].items():
        out.print(f"{name:<17}{f['precision']:>10.3f}{f['recall']:>8.3f}{f['f1']:>8.3f}{f['support']:>9}",
                  highlight=False)
    if "linking" in result:
        k = result["linking"]
        out.print(f"linking ({k['items']} snapshot items, {k['gold_pairs']} gold pairs): precision "
                  f"{k['precision']:.3f}, recall {k['recall']:.3f}, f1 {k['f1']:.3f}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(extract)
    app.command(name="evaluate-releases")(evaluate_releases)
