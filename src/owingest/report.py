"""A run report as Markdown (the Prefect artifact; also readable in a terminal)."""

from __future__ import annotations

from owingest.models import IngestReport

__all__ = ["report_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:200]


def report_markdown(report: IngestReport) -> str:
    """The run's headline and one table row per source, failures first."""
    lines = [
        f"# owingest {report.mode} run `{report.run_id}`",
        "",
        (f"{len(report.sources)} sources, {len(report.failed)} failed, "
         f"{sum(1 for s in report.sources if s.not_modified)} not modified; "
         f"**{report.items_new} new items**, {report.items_updated} updated."),
        "",
        "| source | status | seen | new | updated | error / problems |",
        "|---|---|---:|---:|---:|---|",
    ]
    for source_id, until in report.backing_off:
        lines.append(f"| {source_id} | backing off until {until:%Y-%m-%d %H:%M} UTC | 0 | 0 | 0 | failing |")
    for s in sorted(report.sources, key=lambda s: (s.error is None, s.source_id)):
        status = "not modified" if s.not_modified else ("failed" if s.error else str(s.status))
        note = s.error or "; ".join(s.problems)
        lines.append(f"| {s.source_id} | {status} | {s.items_seen} | {s.items_new} | "
                     f"{s.items_updated} | {_cell(note)} |")
    return "\n".join(lines) + "\n"
