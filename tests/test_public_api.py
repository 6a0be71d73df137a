"""The public API is what ``owingest.__all__`` says, and each name is importable."""

from __future__ import annotations

import owingest

EXPECTED = {
    "ConfigError", "IngestReport", "OwingestError", "PermanentError", "SourceError", "SourceReport",
    "SourcesConfig", "TransientError", "WarehouseError", "check_sources", "load_sources", "reparse",
    "run_ingest",
}


def test_exported_names() -> None:
    assert set(owingest.__all__) == EXPECTED
    assert all(hasattr(owingest, name) for name in owingest.__all__)


def test_every_error_is_an_owingest_error_and_source_errors_say_if_retrying_helps() -> None:
    assert issubclass(owingest.SourceError, owingest.OwingestError)
    assert owingest.TransientError("fetch", "x").transient is True
    assert owingest.PermanentError("parse", "x").transient is False
    assert str(owingest.PermanentError("parse", "no entries")) == "parse: no entries"
