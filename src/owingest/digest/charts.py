"""The digest's charts as SVG text, byte-identical for the same numbers.

matplotlib's SVG writer is made deterministic by a fixed ``svg.hashsalt`` (the
ids of clip paths) and no ``Date`` metadata; text stays text (``svg.fonttype``
none), which keeps the files small. Figures are built with the object API, so no
global pyplot state is touched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from owingest.digest.model import TOPICS, Charts

__all__ = ["CHART_ALT", "render_charts"]

_RC = {
    "svg.hashsalt": "owingest-digest",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
}
_TOPIC_COLOURS = {"release": "#0072B2", "infra": "#E69F00", "safety": "#009E73"}
_SHARE_COLOURS = {"open": "#009E73", "restricted": "#E69F00", "closed": "#8c8c8c"}
CHART_ALT = {
    "items_per_topic": "Items per topic per week, last 12 weeks",
    "releases_per_lab": "Releases per lab, last 52 weeks",
    "open_weights_by_phase": "Share of open-weights releases by phase",
}


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "owingest"})
    return buffer.getvalue()


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def _weekly(weekly: Sequence[tuple[str, dict[str, int]]]) -> str:
    fig = Figure(figsize=(7.2, 2.9), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(CHART_ALT["items_per_topic"])
    xs = range(len(weekly))
    width = 0.26
    for n, topic in enumerate(TOPICS):
        ax.bar(
            [x + (n - 1) * width for x in xs],
            [c[topic] for _, c in weekly],
            width,
            label=topic,
            color=_TOPIC_COLOURS[topic],
        )
    ax.plot(
        list(xs),
        [c["items"] for _, c in weekly],
        color="#333333",
        marker="o",
        markersize=3,
        linewidth=1,
        label="all items",
    )
    ax.set_xticks(list(xs), [w.split("-")[-1] for w, _ in weekly])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0, top=max([1] + [c["items"] for _, c in weekly]) * 1.1)
    fig.legend(loc="outside right upper", frameon=False, fontsize=8)
    return _svg(fig)


def _per_lab(per_lab: Sequence[tuple[str, int]]) -> str:
    fig = Figure(figsize=(7.2, 0.9 + 0.26 * max(3, len(per_lab))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(CHART_ALT["releases_per_lab"])
    if not per_lab:
        _empty(ax, "no releases in the last 52 weeks")
        return _svg(fig)
    labs = [lab if len(lab) <= 24 else lab[:23] + "…" for lab, _ in per_lab][::-1]
    counts = [n for _, n in per_lab][::-1]
    bars = ax.barh(labs, counts, color="#0072B2")
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(counts) * 1.15)
    return _svg(fig)


def _open_share(by_phase: Sequence[tuple[str, dict[str, int]]]) -> str:
    fig = Figure(figsize=(7.2, 2.3), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(CHART_ALT["open_weights_by_phase"])
    if not by_phase:
        _empty(ax, "no releases yet")
        return _svg(fig)
    phases = [p for p, _ in by_phase][::-1]
    left = [0.0] * len(phases)
    totals = [max(1, sum(s.values())) for _, s in by_phase][::-1]
    for kind, colour in _SHARE_COLOURS.items():
        shares = [s[kind] / t * 100 for (_, s), t in zip(by_phase[::-1], totals, strict=True)]
        bars = ax.barh(phases, shares, left=left, color=colour, label=kind)
        ax.bar_label(
            bars,
            labels=[f"{v:.0f}%" if v >= 8 else "" for v in shares],
            label_type="center",
            fontsize=8,
            color="white",
        )
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_yticks(range(len(phases)), [f"{p} ({sum(s.values())})" for p, s in by_phase[::-1]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of releases (number of releases in brackets)")
    fig.legend(loc="outside right upper", frameon=False, fontsize=8)
    return _svg(fig)


def render_charts(charts: Charts) -> dict[str, str]:
    """SVG text per chart name (the keys of ``as_json.CHART_FILES`` that apply)."""
    with matplotlib.rc_context(cast(Any, _RC)):
        rendered = {"items_per_topic": _weekly(charts.weekly)}
        if charts.releases_per_lab is not None:
            rendered["releases_per_lab"] = _per_lab(charts.releases_per_lab)
        if charts.open_by_phase is not None:
            rendered["open_weights_by_phase"] = _open_share(charts.open_by_phase)
    return rendered
