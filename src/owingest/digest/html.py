"""The digest as one self-contained HTML page, safe to open whatever the feeds said.

Three layers keep feed text inert:

1. jinja2 autoescaping of every value (``templates/parts.html.j2``);
2. every fragment that carries feed text is then passed through nh3 (ammonia) with a
   short allow-list of tags and attributes, http/https links only, each link given
   ``rel="noopener noreferrer"``;
3. the page's Content-Security-Policy allows no script, no connection, no frame,
   images only from ``data:`` (the charts) and only the page's own stylesheet (by hash).

The charts are embedded as ``data:`` image URIs: an SVG shown through ``<img>`` never
runs script. Nothing is fetched when the page opens.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import nh3
from markupsafe import Markup

from owingest.digest.charts import CHART_ALT
from owingest.digest.model import Digest
from owingest.digest.present import (
    HEADLINE_ROWS,
    SECTION_TITLES,
    change,
    long_date,
    number,
    period_title,
    release_cells,
)

__all__ = ["CSS", "csp", "page_environment", "render_html", "sanitize"]

_TAGS = {
    "a",
    "br",
    "code",
    "div",
    "footer",
    "h1",
    "h2",
    "li",
    "ol",
    "p",
    "small",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {"*": {"class", "id"}, "a": {"href"}}


@cache
def _template_text(name: str) -> str:
    return (
        resources.files("owingest.digest").joinpath("templates", name).read_text(encoding="utf-8")
    )


CSS = _template_text("style.css")


def csp(css: str = CSS) -> str:
    """The page's Content-Security-Policy: nothing but its own stylesheet and data: images."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
        "form-action 'none'"
    )


@cache
def page_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_text),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def sanitize(fragment: str) -> Markup:
    """An HTML fragment reduced to the digest's allow-list (see the module docstring)."""
    return Markup(
        nh3.clean(
            fragment,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    )


def _figure(name: str, svg: str) -> Markup:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(
        '<figure><img src="data:image/svg+xml;base64,{}" alt="{}" width="720" loading="eager">'
        "<figcaption>{}</figcaption></figure>\n"
    ).format(data, CHART_ALT[name], f"{CHART_ALT[name]} (charts/{name.replace('_', '-')}.svg)")


def _date(value: datetime) -> str:
    return long_date(value)


def render_html(d: Digest, charts: Mapping[str, str]) -> str:
    """The page; ``charts`` maps chart names to SVG text (``charts.render_charts``)."""
    env = page_environment()
    parts: Any = env.get_template("parts.html.j2").make_module(
        {"period_title": period_title(d.period)}
    )
    rows = [
        (
            label,
            number(now),
            number(before),
            change(now, before),
            "up" if (now or 0) > (before or 0) else ("down" if (now or 0) < (before or 0) else ""),
        )
        for label, now, before in HEADLINE_ROWS(d)
    ]
    release_rows = [(release_cells(r), r.url) for r in d.releases or ()]
    nav = [("releases-of-the-week", "Releases of the week")]
    nav += [(s.topic, SECTION_TITLES[s.topic]) for s in d.sections]
    nav += [("needs-label", "Needs a label"), ("health", "Source health")]
    return env.get_template("digest.html.j2").render(
        label=d.period.label,
        csp=csp(),
        css=Markup(CSS),
        nav=nav,
        headline=sanitize(parts.headline(d, rows, d.period.previous().label)),
        top_charts=[_figure("items_per_topic", charts["items_per_topic"])],
        releases=sanitize(parts.releases(release_rows, d.releases is not None)),
        sections=[sanitize(parts.section(s, SECTION_TITLES[s.topic], _date)) for s in d.sections],
        labs=sanitize(parts.labs(d.top_labs)),
        needs_label=sanitize(parts.needs_label(d.needs_label)),
        bottom_charts=[
            _figure(k, charts[k])
            for k in ("releases_per_lab", "open_weights_by_phase")
            if k in charts
        ],
        health=sanitize(parts.health(d.health, d.model_versions)),
    )
