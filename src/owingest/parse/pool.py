"""Parse untrusted documents in worker processes that are killed at a deadline.

feedparser has a quadratic regular expression on author fields (a 32 KB author
took 7.6 s) and a thread cannot be interrupted, so every document a stranger
wrote is parsed in a separate process: a worker that overruns its deadline is
killed, the document is recorded as a parse error, and the run goes on. Workers
also run under an address-space limit, so a decompression or markup bomb that
got past the fetcher's caps cannot take the machine's memory. Parsing in
processes also keeps the event loop free while the network is busy.

Workers come from a fork server (never a fork of the parent: Prefect runs threads) that
has ``owingest.parse.work`` preloaded, so a new worker starts in a few tens of ms with the
parsers already imported. On Python < 3.13 a fork-server child would also re-run the
parent's main script (CPython gh-126631: the fork server is never told the main path),
which for the ``owingest`` command or a Prefect flow file re-imported DuckDB, Arrow, the
CLI or Prefect in every worker (0.8-1.2 s each, on every run). Workers need nothing from
``__main__`` (they run functions of importable modules), so the fork server is given the
main path and marks it as already loaded; ``spawn`` then skips it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver, spawn
from typing import Any, Self, TypeVar

from owingest.errors import PermanentError, TransientError

__all__ = ["ParserPool"]

T = TypeVar("T")
_MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker
_PRELOAD = ["owingest.parse.pool", "owingest.parse.work"]  # imported once, in the fork server
_MAIN_ENV = "OWINGEST_FORKSERVER_MAIN"  # the parent's main path, for the fork server only
_STARTING = threading.Lock()


def _adopt_parent_main() -> None:
    """In the fork server (run when ``_PRELOAD`` is imported there): take the parent's main
    path as this process's ``__main__.__file__``, so forked workers do not re-run it."""
    path = os.environ.pop(_MAIN_ENV, None)
    main = sys.modules.get("__main__")
    if path and main is not None and getattr(main, "__file__", None) is None:
        main.__file__ = path


_adopt_parent_main()


def _start_forkserver() -> None:
    """Start this process's fork server with the worker modules preloaded. A no-op when it
    is already running (then it keeps whatever it was started with: still correct)."""
    with _STARTING:
        multiprocessing.set_forkserver_preload(_PRELOAD)
        main_path = spawn.get_preparation_data("parser").get("init_main_from_path")
        if main_path:
            os.environ[_MAIN_ENV] = main_path  # read by the fork server as it starts
        try:
            forkserver.ensure_running()
        finally:
            os.environ.pop(_MAIN_ENV, None)


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _ready() -> None:
    time.sleep(0.1)  # long enough that each warm-up call lands on its own worker


class ParserPool:
    """A small pool of parser processes. Use as a context manager; ``run`` is awaitable."""

    def __init__(self, *, workers: int = 2, deadline: float = 20.0, memory_limit: int = _MEMORY_LIMIT) -> None:
        self.deadline = deadline
        self._workers = workers
        self._memory_limit = memory_limit
        self._executor: ProcessPoolExecutor | None = None
        self._starting: asyncio.Lock | None = None
        self._generation = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def _pool(self) -> ProcessPoolExecutor:
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:  # concurrent first calls share one start-up
            return await self._start()

    async def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            _start_forkserver()
            executor = ProcessPoolExecutor(
                self._workers, mp_context=multiprocessing.get_context("forkserver"),
                initializer=_limit_memory, initargs=(self._memory_limit,))
            # start every worker before any deadline runs: start-up is not parsing time
            await asyncio.gather(*(asyncio.wrap_future(executor.submit(_ready)) for _ in range(self._workers)))
            self._executor = executor
        return self._executor

    def _kill(self) -> None:
        """Stop every worker now (one is stuck); the next call starts fresh ones."""
        executor, self._executor = self._executor, None
        self._generation += 1
        if executor is not None:
            for process in list(getattr(executor, "_processes", {}).values()):  # no public API for this
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; ``PermanentError`` if it overruns the deadline."""
        for _attempt in range(2):
            generation = self._generation
            future: Future[T] = (await self._pool()).submit(fn, *args)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), self.deadline)
            except TimeoutError:
                self._kill()
                raise PermanentError("parse", f"gave up after {self.deadline:g} s; the parser process was "
                                              "stopped") from None
            except BrokenProcessPool:
                if generation != self._generation:
                    continue  # another document's worker was killed under this one: once more
                self._kill()
                raise TransientError("parse", "the parser process died (out of memory?)") from None
        raise TransientError("parse", "the parser process pool kept failing")
