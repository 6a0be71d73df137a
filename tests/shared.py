"""Access to ../shared (real fixtures, corpus): tests skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_FIXTURES = SHARED / "fixtures" / "real"


def require_shared() -> Path:
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"shared material not found at {SHARED} (it sits beside the checkout in CI)")
    return REAL_FIXTURES


def real_fixture_names() -> list[str]:
    return sorted(p.name for p in REAL_FIXTURES.iterdir() if p.suffix in {".xml", ".json", ".html"}) \
        if REAL_FIXTURES.is_dir() else []
