"""Commands about labels: ``train``, ``evaluate``, ``classify``, ``reclassify``, ``label``.

scikit-learn is imported inside each command, so the other commands start fast.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from owingest.cli.common import SourcesOpt, WarehouseOpt, fail, guard, out, warehouse_path
from owingest.config import load_sources

__all__ = ["register"]

label_app = typer.Typer(help="Human labels: import them, or review the least-confident items.",
                        no_args_is_help=True)
TRAINING = Path("data/training")
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="A model file, or 'keyword' for the keyword baseline [default: the shipped model].")]


def _source_map(sources: Path) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """Record ``source`` → (kind, lab, tags), from the configured sources when the file exists."""
    if not sources.exists():
        return {}
    return {s.id: (s.kind, s.lab, s.tags) for s in guard(lambda: load_sources(sources)).sources}


def _now() -> datetime:
    return datetime.now(UTC)


def train(data: Annotated[Path, typer.Option("--data", help="Folder of training JSONL files.")] = TRAINING,
          out_path: Annotated[Path | None, typer.Option("--out", help="Where to write the model "
                                                        "[default: the package's shipped model].")] = None,
          sources: SourcesOpt = Path("sources.yaml"), warehouse: WarehouseOpt = None) -> None:
    """Train the classifier on the training files plus the warehouse's human labels.

    The same data always gives the same model version. Example: owingest train
    """
    from owingest.classify.training import train_and_save

    files = sorted(data.glob("*.jsonl"))
    if not files:
        raise fail(f"{data}: no *.jsonl training files")
    target = warehouse_path(warehouse)
    saved = guard(lambda: train_and_save(files, _source_map(sources), target if target.exists() else None,
                                         out_path, now=_now()))
    card = saved.card
    out.print(f"model {saved.version}: {card['n_train']} records, data {card['data_hash']}, "
              f"params {card['params']}", highlight=False)
    out.print(f"cross-validation: {card['cv_metrics']}", highlight=False)


def evaluate(gold: Annotated[list[Path], typer.Option("--gold", help="LABELS.md-format JSONL (repeatable).")],
             as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
             report: Annotated[Path | None, typer.Option("--report", help="Write a Markdown report "
                                                         "with confusion matrices here.")] = None,
             model: ModelOpt = None, sources: SourcesOpt = Path("sources.yaml")) -> None:
    """Evaluate a model on labeled files, as the pipeline would classify their items.

    Example: owingest evaluate --gold ../shared/corpus/hf-blog.jsonl --json
    """
    from owingest.classify.classifier import load_classifier
    from owingest.classify.evaluate import figures, headline_values, intervals, score, write_report
    from owingest.classify.records import load_records

    records = guard(lambda: load_records(gold, _source_map(sources)))
    if not records:
        raise fail("no labeled records in " + ", ".join(map(str, gold)))
    classifier = guard(lambda: load_classifier(model))
    scored = score(classifier, records)
    result = figures(scored)
    bounds = intervals(scored) if report is not None or not as_json else {}
    if report is not None:
        write_report(scored, result, bounds, report, name=f"{classifier.version} on "
                     + ", ".join(p.name for p in gold))
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title=f"{classifier.version} on {result['n']} records", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("95% interval", justify="right")
    per_label = {f"  {k} F1": v["f1"] for k, v in result["topics"]["per_label"].items()}
    for name, value in headline_values(result).items():
        table.add_row(name, f"{value:.3f}", f"{bounds[name][0]:.3f}–{bounds[name][1]:.3f}")
        if name == "topic macro-F1":
            for label, f1 in per_label.items():
                table.add_row(label, f"{f1:.3f}", "")
    out.print(table)


def classify(title: Annotated[str, typer.Argument(help="The item's title.")],
             summary: Annotated[str, typer.Option("--summary")] = "",
             published: Annotated[str | None, typer.Option("--published", help="YYYY-MM-DD")] = None,
             source_kind: Annotated[str, typer.Option("--source-kind", help="feed, hf_models, html or web")] = "web",
             as_json: Annotated[bool, typer.Option("--json")] = False, model: ModelOpt = None) -> None:
    """Classify one item and print the labels with their probabilities.

    Example: owingest classify "vLLM v0.8.5: Qwen3 support" --source-kind feed
    """
    from owingest.classify.classifier import load_classifier
    from owingest.classify.records import ClassifyInput

    try:
        day = date.fromisoformat(published) if published else None
    except ValueError:
        raise fail(f"--published: not a date (YYYY-MM-DD): {published!r}") from None
    classifier = guard(lambda: load_classifier(model))
    [c] = classifier.classify([ClassifyInput(title=title, summary=summary, source_kind=source_kind,
                                             published=day)])
    result = {"topics": list(c.topics), "phase": c.phase, "relevant": c.relevant,
              "topic_probs": c.topic_probs, "phase_probs": c.phase_probs, "model_version": c.model_version}
    if as_json:
        typer.echo(json.dumps(result))
        return
    def probs(p: dict[str, float]) -> str:
        return "  ".join(f"{k} {v:.2f}" for k, v in p.items())

    out.print(f"topics: {', '.join(c.topics) or '(none: off-topic)'}   ({probs(c.topic_probs)})", highlight=False)
    out.print(f"phase:  {c.phase}   ({probs(c.phase_probs)})", highlight=False)
    out.print(f"model {c.model_version}", highlight=False)


def reclassify(warehouse: WarehouseOpt = None, model: ModelOpt = None) -> None:
    """Relabel every stored item with the current model (no refetching); report the flips.

    Example: owingest reclassify
    """
    from owingest.classify.classifier import load_classifier
    from owingest.classify.labeler import Labeler
    from owingest.relabel import reclassify as relabel

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    classifier = guard(lambda: load_classifier(model))
    report = guard(lambda: relabel(target, Labeler(classifier=classifier)))
    out.print(f"relabeled {report.items} items with {report.model_version} "
              f"({report.human} kept their human labels)", highlight=False)
    for topic in report.gained:
        out.print(f"  {topic}: +{report.gained[topic]} / -{report.lost[topic]}", highlight=False)
    out.print(f"  phase changed: {report.phase_changed}", highlight=False)
    if report.unclassified:
        out.print(f"  could not label {report.unclassified} items (they keep their labels): "
                  f"{report.first_error}", highlight=False, markup=False)


@label_app.command("import")
def label_import(file: Annotated[Path, typer.Argument(help="LABELS.md-format JSONL; matched by item id or URL.")],
                 by: Annotated[str | None, typer.Option("--by", help="Who labeled [default: $USER].")] = None,
                 warehouse: WarehouseOpt = None) -> None:
    """Store people's labels; they override the model's and join the next `train`.

    Example: owingest label import reviewed.jsonl --by alice
    """
    from owingest.classify.labeling import import_file

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    who = by or os.environ.get("USER") or "unknown"
    stored, unmatched = guard(lambda: import_file(file, target, who, _now()))
    out.print(f"stored {stored} human labels from {file.name} (by {who}); "
              f"{len(unmatched)} records matched no item", highlight=False)
    for key in unmatched[:10]:
        out.print(f"  unmatched: {key}", highlight=False)


@label_app.command("review")
def label_review(limit: Annotated[int, typer.Option("--limit", help="How many items to show.")] = 10,
                 by: Annotated[str | None, typer.Option("--by", help="Who labels [default: $USER].")] = None,
                 warehouse: WarehouseOpt = None) -> None:
    """Show the least-confident items one by one and record your decisions.

    For each item, type topics (comma-separated: release, infra, safety; '-' for none) and a phase,
    or press Enter to keep the model's labels, 's' to skip, 'q' to stop.
    Example: owingest label review --limit 20
    """
    from owingest.classify.labeling import review

    target = warehouse_path(warehouse)
    if not target.exists():
        raise fail(f"{target}: no warehouse yet (run `owingest ingest` first)")
    who = by or os.environ.get("USER") or "unknown"
    stored = guard(lambda: review(target, limit, who, _now(), ask=typer.prompt, show=out.print))
    out.print(f"recorded {stored} decisions (by {who})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(evaluate)
    app.command()(classify)
    app.command()(reclassify)
    app.add_typer(label_app, name="label")
