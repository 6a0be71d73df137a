"""Labeled records (the LABELS.md format) and the classifier's input rows.

A record is one JSON object per line::

    {"id": "...", "source": "...", "url": "...", "title": "...", "summary": "...",
     "published": "YYYY-MM-DD" | null, "topics": [...], "phase": "..."}

Errors name the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from owingest.errors import ConfigError
from owingest.models import PHASES, TOPICS

__all__ = ["PHASES", "TOPICS", "ClassifyInput", "LabeledRecord", "load_records"]



@dataclass(frozen=True, slots=True)
class ClassifyInput:
    """What the classifier sees of an item, whether it comes from the warehouse or a file."""

    title: str
    summary: str = ""
    source_kind: str = "web"          # feed | hf_models | html | web (unknown outlet)
    source_lab: str | None = None
    source_tags: tuple[str, ...] = ()
    published: date | None = None


@dataclass(frozen=True, slots=True)
class LabeledRecord:
    """One labeled item: its input and its gold labels."""

    id: str
    source: str
    url: str | None
    input: ClassifyInput
    topics: tuple[str, ...]
    phase: str


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigError(f"{where}: field 'published': not an ISO date: {value!r}") from None


def _record(obj: Any, where: str, sources: Mapping[str, tuple[str, str | None, tuple[str, ...]]]) -> LabeledRecord:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f"{where}: field 'title': must be a non-empty string")
    topics = obj.get("topics")
    if not isinstance(topics, list) or any(t not in TOPICS for t in topics):
        raise ConfigError(f"{where}: field 'topics': must be a list drawn from {', '.join(TOPICS)}")
    phase = obj.get("phase")
    if phase not in PHASES:
        raise ConfigError(f"{where}: field 'phase': must be one of {', '.join(PHASES)}")
    source = str(obj.get("source") or "")
    kind, lab, tags = sources.get(source, ("web", None, ()))
    summary = obj.get("summary") or ""
    if not isinstance(summary, str):
        raise ConfigError(f"{where}: field 'summary': must be a string")
    return LabeledRecord(
        id=str(obj.get("id") or ""), source=source, url=obj.get("url") or None,
        input=ClassifyInput(title=title.strip(), summary=summary.strip(), source_kind=kind,
                            source_lab=lab, source_tags=tags,
                            published=_date(obj.get("published"), where)),
        topics=tuple(t for t in TOPICS if t in topics), phase=phase,
    )


def load_records(paths: Iterable[Path],
                 sources: Mapping[str, tuple[str, str | None, tuple[str, ...]]] | None = None
                 ) -> list[LabeledRecord]:
    """Read LABELS.md-format JSON Lines files. ``sources`` maps a record's ``source`` to the
    (kind, lab, tags) of a configured source; other sources are outlets of kind ``web``."""
    found: list[LabeledRecord] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except UnicodeDecodeError as err:
            raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise ConfigError(f"{where}: not valid JSON: {err.msg}") from None
            found.append(_record(obj, where, sources or {}))
    return found
