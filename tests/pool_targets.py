"""Functions for parser-pool tests: top-level, so worker processes can import them."""

from __future__ import annotations

import time

from owingest.errors import PermanentError


def double(x: int) -> int:
    return 2 * x


def spin(seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "finished"


def refuse() -> None:
    raise PermanentError("parse", "not a usable feed (text/html)", status=200)


def hog(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))
