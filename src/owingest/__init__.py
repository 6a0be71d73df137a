"""owingest: a DuckDB warehouse of open-weights AI progress.

The public API: load the sources, run an ingest (live or from a replay
snapshot), re-parse the archive. The CLI and the Prefect flows are thin
wrappers over these calls.
"""

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
from owingest.pipeline import reparse, run_ingest

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
