"""owingest: a DuckDB warehouse of open-weights AI progress.

The public API: load the sources, run an ingest (live or from a replay
snapshot), re-parse the archive. The CLI and the Prefect flows are thin
wrappers over these calls.
"""

from typing import TYPE_CHECKING, Any

from owingest.config import SourcesConfig, check_sources, load_sources
from owingest.errors import (
    ConfigError,
    OwingestError,
    PermanentError,
    SourceError,
    TransientError,
    WarehouseError,
)
from owingest.models import IngestReport, SourceReport

if TYPE_CHECKING:
    from owingest.pipeline import reparse, run_ingest


def __getattr__(name: str) -> Any:
    """``reparse`` and ``run_ingest`` on first use: importing the pipeline loads DuckDB, Arrow
    and httpx, which parser worker processes (they import ``owingest.parse``) never need."""
    if name in ("reparse", "run_ingest"):
        from owingest import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module 'owingest' has no attribute {name!r}")

__all__ = [
    "ConfigError",
    "IngestReport",
    "OwingestError",
    "PermanentError",
    "SourceError",
    "SourceReport",
    "SourcesConfig",
    "TransientError",
    "WarehouseError",
    "check_sources",
    "load_sources",
    "reparse",
    "run_ingest",
]

__version__ = "0.1.0"
