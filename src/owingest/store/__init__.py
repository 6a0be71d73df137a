"""The warehouse: the only package that imports duckdb."""

from owingest.store.connection import STORAGE_VERSION, connect
from owingest.store.labels import (
    HumanLabel,
    LabelRow,
    human_labels,
    import_human_labels,
    label_rows,
    least_confident,
    register_model,
    write_predictions,
)
from owingest.store.reader import (
    archived_bodies,
    last_fetch_seconds,
    latest_documents,
    source_states,
)
from owingest.store.writer import commit_run

__all__ = ["STORAGE_VERSION", "HumanLabel", "LabelRow", "archived_bodies", "commit_run", "connect",
           "human_labels", "import_human_labels", "label_rows", "last_fetch_seconds", "latest_documents",
           "least_confident", "register_model", "source_states", "write_predictions"]
