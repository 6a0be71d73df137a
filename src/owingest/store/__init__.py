"""The warehouse: the only package that imports duckdb."""

from owingest.store.connection import STORAGE_VERSION, connect
from owingest.store.reader import archived_bodies, latest_documents, source_states
from owingest.store.writer import commit_run

__all__ = ["STORAGE_VERSION", "archived_bodies", "commit_run", "connect", "latest_documents",
           "source_states"]
