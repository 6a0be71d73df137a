"""Weekly digest export: Markdown, HTML, JSON and charts from the warehouse.

``read_week`` reads a period's rows, ``build_digest`` turns them into a ``Digest``
(pure, deterministic), the renderers turn that into text, and ``write_digest`` does
all of it and refreshes the archive. The period is always given: "last week" is
resolved by the caller, which reads the clock and passes ``now`` to ``resolve_period``.
"""

from owingest.digest.as_json import SCHEMA_VERSION, digest_dict, render_json
from owingest.digest.build import build_digest, digest_of
from owingest.digest.charts import render_charts
from owingest.digest.html import render_html
from owingest.digest.markdown import headline_markdown, render_markdown
from owingest.digest.model import Digest
from owingest.digest.period import Period, day_range, last_complete_week, parse_week, week_of
from owingest.digest.publish import (
    FORMATS,
    Written,
    latest_week,
    parse_formats,
    resolve_period,
    write_digest,
)
from owingest.digest.query import read_week

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "Digest",
    "Period",
    "Written",
    "build_digest",
    "day_range",
    "digest_dict",
    "digest_of",
    "headline_markdown",
    "last_complete_week",
    "latest_week",
    "parse_formats",
    "parse_week",
    "read_week",
    "render_charts",
    "render_html",
    "render_json",
    "render_markdown",
    "resolve_period",
    "week_of",
    "write_digest",
]
