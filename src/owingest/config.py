"""Load and validate ``sources.yaml`` and the run settings.

Configuration is validated once, at the edge, and passed down as frozen
objects. Every problem is reported as one line naming the file, the source id
and the field, e.g.::

    sources.yaml: source 'qwen-blog': field 'url': must be an http or https URL
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from owingest.errors import ConfigError

__all__ = [
    "FeedSource",
    "FetchSettings",
    "HtmlSelectors",
    "HtmlSource",
    "HubSource",
    "Source",
    "SourcesConfig",
    "check_sources",
    "load_sources",
]

KINDS = ("feed", "hf_models", "html")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_TRUE = {"1", "true", "yes", "on"}


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not parts.hostname:
        raise ValueError("has no host name")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    return value


class _SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    url: str
    name: str | None = None
    lab: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a slug: lower-case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return _check_url(value)


class FeedSource(_SourceBase):
    kind: Literal["feed"]


class HubSource(_SourceBase):
    kind: Literal["hf_models"]
    max_pages: int = Field(default=3, ge=1, le=50)


class HtmlSelectors(BaseModel):
    """CSS selectors: ``item`` in the listing; the others inside each item (``:scope`` = the item)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    link: str = ":scope"
    title: str = ":scope"
    date: str | None = None
    summary: str | None = None


class HtmlSource(_SourceBase):
    kind: Literal["html"]
    selectors: HtmlSelectors
    max_articles: int = Field(default=20, ge=0, le=200)


Source = Annotated[FeedSource | HubSource | HtmlSource, Field(discriminator="kind")]
_ENTRY_MODELS: dict[str, type[_SourceBase]] = {
    "feed": FeedSource, "hf_models": HubSource, "html": HtmlSource,
}


class FetchSettings(BaseModel):
    """HTTP limits of one run. Defaults follow the research notes (Miniflux-like caps)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_private_hosts: bool = False
    user_agent: str = "owingest/0.1 (+https://github.com/owingest/owingest; open-weights tracker)"
    concurrency: int = Field(default=10, ge=1, le=30)
    per_host: int = Field(default=2, ge=1, le=10)
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    total_timeout: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_cap: float = Field(default=30.0, ge=0)


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    path: Path
    sources: tuple[FeedSource | HubSource | HtmlSource, ...]
    fetch: FetchSettings

    def select(self, only: list[str] | None = None) -> tuple[FeedSource | HubSource | HtmlSource, ...]:
        """Enabled sources, or exactly the ``only`` ids (enabled or not); unknown ids are an error."""
        if not only:
            return tuple(s for s in self.sources if s.enabled)
        known = {s.id: s for s in self.sources}
        missing = [i for i in only if i not in known]
        if missing:
            raise ConfigError(f"{self.path.name}: no source with id {', '.join(map(repr, missing))}")
        return tuple(known[i] for i in dict.fromkeys(only))


def _describe(err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"] if not isinstance(p, int)]
        # a discriminated union puts the kind in the location; drop it
        loc = [p for p in loc if p not in KINDS]
        field = ".".join(loc) or "entry"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"field '{field}': {msg}")
    return lines


def _entry_problems(entry: Any, index: int, seen: set[str]) -> tuple[str, list[str]]:
    if not isinstance(entry, Mapping):
        return f"entry #{index + 1}", ["must be a mapping with id, kind and url"]
    sid = entry.get("id")
    label = f"source {sid!r}" if isinstance(sid, str) and sid else f"entry #{index + 1}"
    kind = entry.get("kind")
    if kind not in _ENTRY_MODELS:
        return label, [f"field 'kind': unknown kind {kind!r} (expected one of {', '.join(KINDS)})"]
    try:
        _ENTRY_MODELS[kind].model_validate(dict(entry))
    except ValidationError as err:
        return label, _describe(err)
    if sid in seen:
        return label, ["field 'id': duplicate id"]
    seen.add(str(sid))
    return label, []


def check_sources(path: Path) -> tuple[SourcesConfig | None, list[str]]:
    """Validate ``path``; return the config (when valid) and every problem as one line each."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_bytes())
    except FileNotFoundError:
        return None, [f"{path}: file not found"]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return None, [f"{name}: not valid YAML{where}: {getattr(err, 'problem', err)}"]
    if not isinstance(raw, Mapping) or not isinstance(raw.get("sources"), list):
        return None, [f"{name}: expected a mapping with a 'sources' list at the top"]
    problems = [f"{name}: unknown top-level key {k!r}" for k in raw
                if k not in ("sources", "allow_private_hosts", "fetch")]
    seen: set[str] = set()
    for index, entry in enumerate(raw["sources"]):
        label, lines = _entry_problems(entry, index, seen)
        problems += [f"{name}: {label}: {line}" for line in lines]
    fetch_raw = dict(raw.get("fetch") or {})
    if "allow_private_hosts" in raw:
        fetch_raw["allow_private_hosts"] = raw["allow_private_hosts"]
    if os.environ.get("OWINGEST_ALLOW_PRIVATE_HOSTS", "").lower() in _TRUE:
        fetch_raw["allow_private_hosts"] = True
    try:
        fetch = FetchSettings.model_validate(fetch_raw)
    except ValidationError as err:
        problems += [f"{name}: fetch: {line}" for line in _describe(err)]
    if problems:
        return None, problems
    sources = tuple(_ENTRY_MODELS[e["kind"]].model_validate(dict(e)) for e in raw["sources"])
    return SourcesConfig(path=path, sources=sources, fetch=fetch), []  # type: ignore[arg-type]


def load_sources(path: Path) -> SourcesConfig:
    """Load ``path`` or raise ``ConfigError`` naming the first problem."""
    config, problems = check_sources(path)
    if config is None:
        more = f" (and {len(problems) - 1} more; see `owingest sources check`)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)
    return config
