"""Kill points for the crash tests: make this process SIGKILL itself at an exact place.

A spec is ``kind|target|n|when``:

* ``call|module:Qualified.name|n|before`` (or ``after``): at the n-th call of that function
  (sync or async), before it runs or once it has returned;
* ``sql|regex|n|before`` (or ``after``): at the n-th SQL statement that matches ``regex``
  (case-insensitive, from the statement's start), on any DuckDB connection of the process.

SIGKILL cannot be caught: nothing of owingest's (no ``finally``, no ``ROLLBACK``) runs after
it, exactly as when the machine loses power or the OOM killer strikes.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
import signal
from typing import Any

__all__ = ["arm_kill_point"]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Counter:
    def __init__(self, nth: int, when: str) -> None:
        if when not in ("before", "after"):
            raise ValueError(f"kill point: 'when' must be before or after, not {when!r}")
        self.nth, self.when, self.seen = nth, when, 0

    def hit(self) -> bool:
        self.seen += 1
        return self.seen == self.nth


def _arm_call(target: str, counter: _Counter) -> None:
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            hit = counter.hit()
            if hit and counter.when == "before":
                _die()
            result = await original(*args, **kwargs)
            if hit:
                _die()
            return result
        setattr(owner, name, async_wrapper)
    else:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            hit = counter.hit()
            if hit and counter.when == "before":
                _die()
            result = original(*args, **kwargs)
            if hit:
                _die()
            return result
        setattr(owner, name, wrapper)


class _Connection:
    """A DuckDB connection that counts the statements matching the kill point's pattern."""

    def __init__(self, con: Any, pattern: re.Pattern[str], counter: _Counter) -> None:
        self._con, self._pattern, self._counter = con, pattern, counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        hit = bool(self._pattern.match(sql)) and self._counter.hit()
        if hit and self._counter.when == "before":
            _die()
        result = self._con.execute(sql, *args, **kwargs)
        if hit:
            _die()
        return result


def _arm_sql(regex: str, counter: _Counter) -> None:
    import duckdb

    pattern = re.compile(r"\s*(?:" + regex + ")", re.IGNORECASE | re.DOTALL)
    real_connect = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        return _Connection(real_connect(*args, **kwargs), pattern, counter)
    duckdb.connect = connect  # type: ignore[assignment]


def arm_kill_point(spec: str) -> None:
    kind, target, nth, when = spec.split("|")
    counter = _Counter(int(nth), when)
    if kind == "call":
        _arm_call(target, counter)
    elif kind == "sql":
        _arm_sql(target, counter)
    else:
        raise ValueError(f"kill point: unknown kind {kind!r}")
