"""Write a digest to ``OUT/<period>/`` and refresh the archive (``index.html``, ``feed.xml``).

The one call the CLI and the flow make. The period's files are written into a
fresh folder that is then renamed into place, so a failure never leaves a
half-written digest, and the previous digest of the same period stays whole until
the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from owingest.digest.archive import update_archive
from owingest.digest.as_json import CHART_FILES, render_json
from owingest.digest.build import digest_of
from owingest.digest.charts import render_charts
from owingest.digest.html import render_html
from owingest.digest.markdown import render_markdown
from owingest.digest.model import Digest
from owingest.digest.period import Period, last_complete_week, week_of
from owingest.digest.query import latest_week_start
from owingest.digest.writefile import write_text
from owingest.errors import ConfigError, OwingestError

__all__ = ["FORMATS", "Written", "latest_week", "parse_formats", "write_digest"]

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


def write_digest(
    warehouse: Path, period: Period, out: Path, *, formats: Sequence[str] = FORMATS, top: int = 20
) -> Written:
    """Build the digest of ``period`` and write it, its charts and the archive under ``out``."""
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
