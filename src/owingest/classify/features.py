"""Turn ``ClassifyInput`` rows into the columns the scikit-learn Pipeline reads.

    title        the title
    body         the opening of the summary (char n-grams cost in proportion to length)
    meta         source kind, lab and tags as tokens ("kind_hf_models lab_deepseek tag_hub"),
                 and era hints: model families of each phase named in the text (``eras.yaml``)
    date_phase   the phase the calendar alone suggests, or "none" when there is no date
    date_half    the half-year ("2024H2"), or "none": lets the model learn near-boundary cases
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd
import yaml

from owingest.classify.records import ClassifyInput
from owingest.errors import ConfigError

__all__ = ["COLUMNS", "calendar_phase", "eras_hash", "frame"]

COLUMNS = ("title", "body", "meta", "date_phase", "date_half")
SUMMARY_CHARS = 600
_SLUG = re.compile(r"[^a-z0-9]+")


def calendar_phase(day: date | None) -> str:
    """The phase of a date by the calendar alone (LABELS.md periods)."""
    if day is None:
        return "none"
    if day.year <= 2023:
        return "baseline"
    return "scaling" if day.year == 2024 else "frontier"


def _token(prefix: str, value: str) -> str:
    return prefix + "_" + (_SLUG.sub("_", value.lower()).strip("_") or "x")


@cache
def _eras_text() -> str:
    return (resources.files("owingest.classify") / "eras.yaml").read_text(encoding="utf-8")


def eras_hash() -> str:
    """A hash of the era hints in use: read at prediction time, they are part of a model's identity."""
    return hashlib.sha256(_eras_text().encode("utf-8")).hexdigest()[:16]


@cache
def _eras() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The patterns of ``eras.yaml``, matched against lowercased text (three times faster than
    IGNORECASE), so a pattern must be written in lowercase."""
    return compile_eras(yaml.safe_load(_eras_text()))


def compile_eras(data: dict[str, list[str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per phase from the phase → patterns mapping of ``eras.yaml``."""
    for phase, pats in data.items():
        upper = [str(p) for p in pats if re.search(r"(?<!\\)[A-Z]", str(p))]
        if upper:
            raise ConfigError(f"classify: eras.yaml: {phase}: write patterns in lowercase: {upper[0]!r}")
    return tuple((phase, re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in pats) + r")(?!\w)"))
                 for phase, pats in data.items())


def era_hints(text: str) -> list[str]:
    """``era_<phase>`` for each phase whose model families the text names."""
    lower = text.lower()
    return [f"era_{phase}" for phase, pattern in _eras() if pattern.search(lower)]


def _meta(row: ClassifyInput) -> str:
    tokens = [_token("kind", row.source_kind), *era_hints(f"{row.title} {row.summary[:SUMMARY_CHARS]}")]
    if row.source_lab:
        tokens.append(_token("lab", row.source_lab))
    tokens += [_token("tag", t) for t in row.source_tags]
    return " ".join(tokens)


def _half(day: date | None) -> str:
    if day is None:
        return "none"
    year = min(max(day.year, 2019), 2026)
    return f"{year}H{1 if day.month <= 6 else 2}"


def _encodable(text: str) -> str:
    if text.isascii():
        return text
    # a lone surrogate (undecodable bytes kept by "surrogateescape") cannot be encoded: "?"
    return text.encode("utf-8", "replace").decode("utf-8")


def frame(rows: Sequence[ClassifyInput], *, hide_dates: bool = False) -> pd.DataFrame:
    """The feature columns for ``rows``; ``hide_dates`` drops every date (as if none were known)."""
    return pd.DataFrame({
        "title": [_encodable(r.title) for r in rows],
        "body": [_encodable(r.summary[:SUMMARY_CHARS]) for r in rows],
        "meta": [_meta(r) for r in rows],
        "date_phase": [calendar_phase(None if hide_dates else r.published) for r in rows],
        "date_half": [_half(None if hide_dates else r.published) for r in rows],
    }, columns=list(COLUMNS))
