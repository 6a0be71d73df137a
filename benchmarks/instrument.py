"""Where a ``run_ingest`` spends its wall time: intervals recorded by wrapping, for one run,
the functions the pipeline calls (``Fetcher.fetch``, ``ParserPool.run``, ``Classifier.classify``,
``pipeline.extract_runs``, ``store.commit_run``, ``pipeline.prepare``). Nothing in ``src/``
changes; the wrappers are removed afterwards.

Fetching and parsing overlap (sources are parsed in worker processes while others are still
downloading), so the breakdown gives each stage's busy time (the union of its intervals) and
the parse workers' CPU; shares are of the run's wall time and can add up to more than 1.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def timed_call(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run in a parser worker: the result and the worker CPU seconds it took."""
    cpu = time.process_time()
    result = fn(*args)
    return result, time.process_time() - cpu


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


class Profile:
    """Stage intervals of the runs made inside ``recording()``."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.parse_cpu = 0.0
        self.parse_calls = 0

    def _wrap_sync(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.intervals[stage].append((start, time.perf_counter()))
        return wrapper

    def _wrap_async(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.intervals[stage].append((start, time.perf_counter()))
        return wrapper

    def _wrap_pool(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def wrapper(pool: Any, work: Callable[..., Any], *args: Any) -> Any:
            start = time.perf_counter()
            try:
                result, cpu = await fn(pool, timed_call, work, *args)
            finally:
                self.intervals["parse"].append((start, time.perf_counter()))
            self.parse_cpu += cpu
            self.parse_calls += 1
            return result
        return wrapper

    @contextmanager
    def recording(self) -> Iterator[Profile]:
        import owingest.store
        from owingest import pipeline
        from owingest.classify.classifier import Classifier
        from owingest.fetch.fetcher import Fetcher

        targets: list[tuple[Any, str, Any]] = [
            (Fetcher, "fetch", self._wrap_async("fetch", Fetcher.fetch)),
            (Classifier, "classify", self._wrap_sync("classify", Classifier.classify)),
            (owingest.store, "commit_run", self._wrap_sync("store", owingest.store.commit_run)),
            (pipeline, "prepare", self._wrap_sync("prepare", pipeline.prepare)),
        ]
        if hasattr(pipeline, "extract_runs"):  # release facts, read in the commit step since a96ea1f
            targets.append((pipeline, "extract_runs", self._wrap_sync("extract", pipeline.extract_runs)))
        try:
            from owingest.parse.pool import ParserPool
            targets.append((ParserPool, "run", self._wrap_pool(ParserPool.run)))
        except ImportError:  # a tree without the parser pool parses inside the event loop
            from owingest.parse import work
            targets.append((work, "items_from_documents", self._wrap_sync("parse", work.items_from_documents)))
        saved = [(obj, name, getattr(obj, name)) for obj, name, _ in targets]
        for obj, name, wrapper in targets:
            setattr(obj, name, wrapper)
        try:
            yield self
        finally:
            for obj, name, original in saved:
                setattr(obj, name, original)

    def breakdown(self, wall: float) -> dict[str, Any]:
        """Seconds of each stage (union of its intervals) and its share of ``wall``."""
        out: dict[str, Any] = {"wall_s": round(wall, 3)}
        for stage in ("prepare", "fetch", "parse", "classify", "extract", "store"):
            spans = self.intervals.get(stage, [])
            out[f"{stage}_s"] = round(_union(spans), 3)
            out[f"{stage}_share"] = round(_union(spans) / wall, 3) if wall else None
        fetch_parse = self.intervals.get("fetch", []) + self.intervals.get("parse", [])
        if fetch_parse:
            out["collect_span_s"] = round(max(b for _, b in fetch_parse) - min(a for a, _ in fetch_parse), 3)
        out["parse_worker_cpu_s"] = round(self.parse_cpu, 3)
        parses = sorted(self.intervals.get("parse", []))
        # the first document waits for the parser workers to start: their start-up cost
        out["parse_first_wait_s"] = round(parses[0][1] - parses[0][0], 3) if parses else None
        out["parse_calls"] = self.parse_calls or len(self.intervals.get("parse", []))
        named = sum(out[f"{s}_s"] for s in ("prepare", "classify", "extract", "store")) + out.get("collect_span_s", 0)
        out["other_s"] = round(wall - named, 3)
        return out
