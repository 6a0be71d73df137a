"""The digest as Markdown (CommonMark with GitHub tables).

Feed text is escaped: Markdown punctuation gets a backslash and ``& < >`` become
entities, so a title can neither open a link nor inject HTML where the Markdown
is rendered (GitHub, the Prefect UI). Links are written only for http(s) URLs.
"""

from __future__ import annotations

import re

from owingest.digest.as_json import chart_files
from owingest.digest.charts import CHART_ALT
from owingest.digest.model import Digest, Release, Story
from owingest.digest.present import (
    HEADLINE_ROWS,
    SECTION_TITLES,
    change,
    long_date,
    number,
    period_title,
    release_cells,
)

__all__ = ["headline_markdown", "md", "render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # the rest only matters after "]" or at a line's start


def md(text: str) -> str:
    """Feed text as inert Markdown."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", escaped)


def _link(text: str, url: str | None) -> str:
    return f"[{md(text)}](<{url}>)" if url else md(text)


def headline_markdown(d: Digest) -> str:
    """The title line and the headline table (also the Prefect artifact)."""
    prev = d.period.previous().label
    rows = [f"| | {d.period.label} | {prev} | change |", "|---|---:|---:|---:|"]
    for label, now, before in HEADLINE_ROWS(d):
        rows.append(f"| {label} | {number(now)} | {number(before)} | {change(now, before)} |")
    return (
        f"# owingest digest {d.period.label}\n\n{period_title(d.period)}\n\n"
        + "\n".join(rows)
        + "\n"
    )


def _story(n: int, s: Story, topic: str) -> list[str]:
    meta = [
        m
        for m in (
            s.lab,
            s.phase,
            long_date(s.published_at),
            f"{len(s.sources)} source{'s' if len(s.sources) != 1 else ''}",
            f"confidence {s.confidence[topic]:.2f}" + (" (human label)" if s.human else ""),
        )
        if m
    ]
    lines = [f"{n}. **{_link(s.title, s.url)}**  ", f"   {md(' · '.join(meta))}"]
    if s.summary:
        lines[-1] += "  "
        lines.append(f"   {md(s.summary)}")
    if len(s.sources) > 1:
        lines[-1] += "  "
        lines.append("   Sources: " + ", ".join(_link(x.name, x.url) for x in s.sources))
    return lines


def _releases(releases: tuple[Release, ...] | None) -> list[str]:
    if releases is None:
        return [
            "The release tracker's tables are not in this warehouse: no release table this week."
        ]
    if not releases:
        return ["No release was announced this week."]
    head = [
        "lab",
        "release",
        "total params",
        "active params",
        "context",
        "license",
        "weights",
        "sources",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * 3 + "---|---|---:|"]
    for r in releases:
        cells = release_cells(r)
        cells[1] = _link(cells[1], r.url) if r.url else md(cells[1])
        rows.append("| " + " | ".join([md(cells[0]), cells[1], *[md(c) for c in cells[2:]]]) + " |")
    return rows


def render_markdown(d: Digest) -> str:
    files = chart_files(d)
    out = [
        headline_markdown(d).rstrip("\n"),
        "",
        f"![{CHART_ALT['items_per_topic']}]({files['items_per_topic']})",
        "",
        "## Releases of the week",
        "",
        *_releases(d.releases),
        "",
    ]
    for section in d.sections:
        out += [f"## {SECTION_TITLES[section.topic]} ({section.total})", ""]
        if not section.stories:
            out += ["Nothing this week.", ""]
            continue
        for n, story in enumerate(section.stories, 1):
            out += _story(n, story, section.topic)
        if section.total > len(section.stories):
            out += ["", f"and {section.total - len(section.stories)} more (`--top` lists more)."]
        out.append("")
    out += ["## Top labs", ""]
    out += [f"- {md(lab)}: {n} stor{'ies' if n != 1 else 'y'}" for lab, n in d.top_labs] or [
        "None this week."
    ]
    out += ["", "## Needs a human label", ""]
    if d.needs_label:
        out += [
            (
                "The model was least sure about these; label them with `owingest label review` "
                "or `owingest label import`."
            ),
            "",
        ]
        out += [
            f"- {_link(x.title, x.url)} ({md(x.source_id)}; model says: "
            f"{md(', '.join(x.topics) or 'off-topic')}, {md(x.phase or '?')}; margin {x.margin:.2f})"
            for x in d.needs_label
        ]
    else:
        out.append("No item this week was a close call.")
    if d.releases is not None:
        out += ["", "## Releases over time", ""]
        out += [
            f"![{CHART_ALT['releases_per_lab']}]({files['releases_per_lab']})",
            "",
            f"![{CHART_ALT['open_weights_by_phase']}]({files['open_weights_by_phase']})",
        ]
    out += ["", "## Source health", ""]
    out += [
        f"- **{md(h.name)}**{'' if h.name == h.source_id else f' ({md(h.source_id)})'}: "
        f"{h.health}, {md(h.detail)}"
        for h in d.health
    ] or ["Every source fetched and published at its usual pace."]
    out += [
        "",
        "---",
        "",
        (
            "Built by owingest from the warehouse; labels by "
            f"{md(', '.join(d.model_versions) or 'no model')}. JSON: digest.json (schema version 1)."
        ),
    ]
    return "\n".join(out) + "\n"
