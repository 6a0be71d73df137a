"""What every command shares: the consoles, option types, error translation."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from owingest.errors import ConfigError, OwingestError

__all__ = ["OnlyOpt", "SourcesOpt", "WarehouseOpt", "err", "guard", "out", "warehouse_path"]

out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error is one line, never wrapped
T = TypeVar("T")

SourcesOpt = Annotated[Path, typer.Option("--sources", help="The sources file.")]
WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", help="The DuckDB file [default: $OWINGEST_WAREHOUSE or warehouse/owingest.duckdb].")]
OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Run only this source id (repeatable).")]


def warehouse_path(path: Path | None) -> Path:
    return path or Path(os.environ.get("OWINGEST_WAREHOUSE") or "warehouse/owingest.duckdb")


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"owingest: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def guard(call: Callable[[], T]) -> T:
    """Run ``call``; a configuration error exits 2, any other owingest error 1, in one line."""
    try:
        return call()
    except ConfigError as e:
        raise fail(str(e), 2) from None
    except OwingestError as e:
        raise fail(str(e), 1) from None
