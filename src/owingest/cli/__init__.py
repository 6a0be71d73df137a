"""The ``owingest`` command. Each command parses its options, makes one library call
and prints; errors become one line on stderr and an exit status (2: usage or
configuration, 1: nothing could be fetched or written), never a traceback."""

from __future__ import annotations

import sys

import typer

from owingest.cli import digest, extract, ingest, model
from owingest.cli.common import err

__all__ = ["app", "main"]

app = typer.Typer(help="owingest: a DuckDB warehouse of open-weights AI progress.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
ingest.register(app)
model.register(app)
extract.register(app)
digest.register(app)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("owingest: interrupted", highlight=False)
        sys.exit(130)
