"""Shared helpers: statistics, memory, child processes, the document server, configs, machine.

Nothing here asserts anything: the suite measures and reports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
LIBRARIES = ("httpx", "httpcore", "feedparser", "lxml", "beautifulsoup4", "duckdb", "pyarrow", "numpy",
             "pandas", "scikit-learn", "skops", "prefect")


# ---------------------------------------------------------------- statistics

def summary(values: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min, max and spread ((max - min) / median) of repeated measurements."""
    vals = [float(v) for v in values]
    if not vals:
        return {"n": 0, "median": None, "min": None, "max": None, "spread": None, "values": []}
    med = statistics.median(vals)
    return {"n": len(vals), "median": round(med, digits), "min": round(min(vals), digits),
            "max": round(max(vals), digits),
            "spread": round((max(vals) - min(vals)) / med, 3) if med else None,
            "values": [round(v, digits) for v in vals]}


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of log(y) against log(x): y ~ x^k."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return round(sum((p[0] - mx) * (p[1] - my) for p in pts) / den, 3) if den else None


# ---------------------------------------------------------------- memory and processes

def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mib() -> float:
    """This process's resident set size now."""
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def run_child(argv: Sequence[str], *, timeout: float = 300, env: dict[str, str] | None = None,
              cwd: Path = ROOT) -> dict[str, Any]:
    """Run a process to completion: wall time, exit status, output, and *its own* peak RSS and
    CPU (``os.wait4`` gives the rusage of that one child). Killed after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=cwd,
                                env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": round(wall, 3), "rc": proc.returncode,
                "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace"),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 3)}


def last_json(text: str) -> dict[str, Any]:
    """The last line of ``text`` that is a JSON object (a child's result)."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON result in the child's output:\n" + text[-2000:])


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"owbench-{prefix}-") as tmp:
        yield Path(tmp)


# ---------------------------------------------------------------- the document server

class DocServer:
    """``server.py`` in a subprocess; stops when this object closes (or its stdin closes)."""

    def __init__(self, hosts: int = 200) -> None:
        self.hosts = hosts
        self._proc = subprocess.Popen([PYTHON, str(HERE / "server.py"), "--hosts", str(hosts)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark document server did not start")
        self.port = int(json.loads(line)["port"])

    def url(self, kind: str, seed: int, *, host: int | None = None, latency: float = 0.0,
            version: int = 0, items: int = 0) -> str:
        """The URL of document ``kind``/``seed`` on host number ``host`` (default: ``seed``)."""
        h = (seed if host is None else host) % self.hosts + 1
        query = f"lat={round(latency * 1000)}&v={version}" + (f"&items={items}" if items else "")
        return f"http://127.0.0.{h}:{self.port}/doc/{kind}/{seed}?{query}"

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=120) as resp:
            return bytes(resp.read())

    def prepare(self, kind: str, seeds: range, *, version: int = 0, items: int = 0) -> None:
        self._get(f"/_prepare?kind={kind}&seeds={seeds.start}-{seeds.stop - 1}&v={version}&items={items}")

    def stats(self) -> dict[str, Any]:
        return dict(json.loads(self._get("/_stats")))

    def reset(self) -> None:
        self._get("/_reset")

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> DocServer:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- owingest configuration

def sources_config(sources: Sequence[Any], path: Path | None = None, **fetch: Any) -> Any:
    """A ``SourcesConfig`` for loopback sources (private hosts allowed; other settings default)."""
    from owingest.config import FetchSettings, SourcesConfig

    settings = FetchSettings(allow_private_hosts=True, **fetch)
    return SourcesConfig(path=path or Path("benchmark-sources.yaml"), sources=tuple(sources), fetch=settings)


def feed_sources(urls: Sequence[str], prefix: str = "s") -> list[Any]:
    from owingest.config import FeedSource

    return [FeedSource(id=f"{prefix}{n:04d}", kind="feed", url=u) for n, u in enumerate(urls)]


# ---------------------------------------------------------------- machine and entry point

def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """Cores, memory, CPU, OS, Python and library versions, and the code measured."""
    mem_kib = _first("/proc/meminfo", "MemTotal")
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "flows"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    return {
        "cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(mem_kib.split()[0]) / 2**20, 1) if mem_kib else None,
        "cpu": _first("/proc/cpuinfo", "model name"), "os": platform.platform(),
        "python": platform.python_version(), "libraries": versions,
        "owingest_commit": commit.stdout.strip() or None,
        "src_uncommitted_changes": bool(dirty.stdout.strip()),
    }


def main(run: Callable[[bool], dict[str, Any]]) -> None:
    """A benchmark module's command line: ``python benchmarks/NAME.py [--quick] [--out FILE]``."""
    parser = argparse.ArgumentParser(description=(run.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--out", type=Path, default=None, help="write the result JSON here")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.quick)
    result["peak_rss_mib"] = peak_rss_mib()
    result["bench_wall_s"] = round(time.perf_counter() - start, 2)
    text = json.dumps(result, default=str)
    if args.out:
        args.out.write_text(text)
    print(text, flush=True)
