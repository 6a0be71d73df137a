"""The ``reclassify`` flow: relabel every stored item with the current model, no refetching.

Run it after ``owingest train``; its summary (labels gained and lost per topic)
is published as the markdown artifact ``reclassify-summary``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from owingest import relabel as relabeling
from owingest.classify.classifier import load_classifier
from owingest.classify.labeler import Labeler


@task(name="relabel", cache_policy=NO_CACHE)
def relabel(warehouse: str, model: str | None) -> relabeling.ReclassifyReport:
    return relabeling.reclassify(Path(warehouse), Labeler(classifier=load_classifier(model)))


@flow(name="reclassify", description="Relabel every stored item with the current model.")
async def reclassify(warehouse: str = "warehouse/owingest.duckdb", model: str | None = None) -> dict[str, Any]:
    report = relabel(warehouse, model)
    rows = "\n".join(f"| {t} | +{report.gained[t]} | -{report.lost[t]} |" for t in report.gained)
    await acreate_markdown_artifact(
        key="reclassify-summary", description=f"relabeled with {report.model_version}",
        markdown=(f"# Relabeled {report.items} items with `{report.model_version}`\n\n"
                  f"{report.human} items kept their human labels; the phase changed for "
                  f"{report.phase_changed}.\n\n| topic | gained | lost |\n|---|---:|---:|\n{rows}\n"))
    return {"model_version": report.model_version, "items": report.items, "gained": report.gained,
            "lost": report.lost, "phase_changed": report.phase_changed,
            "unclassified": report.unclassified}


if __name__ == "__main__":
    import argparse

    from runner import run

    parser = argparse.ArgumentParser(description="Run the reclassify flow once.")
    parser.add_argument("--warehouse", default="warehouse/owingest.duckdb")
    parser.add_argument("--model", default=None, help="a model file or 'keyword' [default: the shipped one]")
    print(run(reclassify, **vars(parser.parse_args())))
