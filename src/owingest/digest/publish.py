"""Write a digest to ``OUT/<period>/`` and refresh the archive (``index.html``, ``feed.xml``).

The two calls the CLI and the flow make: ``resolve_period`` turns what the user
asked for into a ``Period``, ``write_digest`` writes it. The period's files are
written into a fresh folder that is then renamed into place, so a failure never
leaves a half-written digest, and the previous digest of the same period stays
whole until the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from owingest.digest.archive import update_archive
from owingest.digest.as_json import CHART_FILES, render_json
from owingest.digest.build import digest_of
from owingest.digest.charts import render_charts
from owingest.digest.html import render_html
from owingest.digest.markdown import render_markdown
from owingest.digest.model import Digest
from owingest.digest.period import Period, day_range, last_complete_week, parse_week, week_of
from owingest.digest.query import latest_week_start
from owingest.digest.writefile import write_text
from owingest.errors import ConfigError, OwingestError

__all__ = [
    "FORMATS",
    "Written",
    "latest_week",
    "parse_formats",
    "resolve_period",
    "write_digest",
]

FORMATS = ("md", "html", "json")


@dataclass(frozen=True, slots=True)
class Written:
    digest: Digest
    folder: Path
    files: tuple[Path, ...]


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,html"`` → ("md", "html"); ConfigError naming the unknown format."""
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ConfigError(
            f"--format: unknown format {unknown[0]!r} (choose from md, html, json)"
            if unknown
            else "--format: name at least one of md, html, json"
        )
    return tuple(f for f in FORMATS if f in chosen)


def latest_week(warehouse: Path, now: datetime) -> Period:
    """The latest complete ISO week (as of ``now``) that has items; the last complete week if none."""
    fallback = last_complete_week(now)
    newest = latest_week_start(warehouse, fallback.until)
    return week_of(newest.date()) if newest else fallback


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: not a date (YYYY-MM-DD): {text!r}") from None


def resolve_period(
    warehouse: Path,
    *,
    now: datetime,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Period:
    """The period a user asked for, as the CLI and the flow take it: an ISO week, ``latest``
    (the newest complete week with items), whole days ``since``..``until`` (default: the day
    before ``now``), or by default the last complete week. ``now`` comes from the caller, the
    edge; ConfigError names the option at fault."""
    if week and (since or until):
        raise ConfigError("--week cannot be combined with --since/--until: choose one")
    if until and not since:
        raise ConfigError("--until needs --since")
    if since:
        first = _day("--since", since)
        last = _day("--until", until) if until else now.date() - timedelta(days=1)
        try:
            return day_range(first, last)
        except ValueError as e:
            raise ConfigError(str(e)) from None
    if week is None:
        return last_complete_week(now)
    if week.strip().lower() == "latest":
        return latest_week(warehouse, now)
    try:
        return parse_week(week)
    except ValueError as e:
        raise ConfigError(f"--week: {e}") from None


def write_digest(
    warehouse: Path, period: Period, out: Path | None = None, *, formats: Sequence[str] = FORMATS,
    top: int = 20,
) -> Written:
    """Build the digest of ``period`` and write it, its charts and the archive under ``out``
    (by default ``digests/`` beside the warehouse)."""
    out = out if out is not None else warehouse.parent / "digests"
    digest = digest_of(warehouse, period, top=top)
    folder = out / period.label
    texts: dict[str, str] = {}
    if "md" in formats or "html" in formats:
        charts = render_charts(digest.charts)
        texts.update({CHART_FILES[name]: svg for name, svg in charts.items()})
        if "html" in formats:
            texts["digest.html"] = render_html(digest, charts)
        if "md" in formats:
            texts["digest.md"] = render_markdown(digest)
    if "json" in formats:
        texts["digest.json"] = render_json(digest)
    try:
        _replace_folder(folder, texts)
        files = [folder / name for name in sorted(texts)] + update_archive(out)
    except OSError as err:
        where = err.filename or folder
        raise OwingestError(f"digest: cannot write {where}: {err.strerror or err}") from err
    return Written(digest, folder, tuple(files))


def _replace_folder(folder: Path, texts: dict[str, str]) -> None:
    """Write every file into a fresh folder beside ``folder``, then swap it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, text in texts.items():
            write_text(fresh / name, text)
        fresh.chmod(0o755)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, old / folder.name)
            os.replace(fresh, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(fresh, folder)
    finally:
        if fresh.exists():
            shutil.rmtree(fresh, ignore_errors=True)
