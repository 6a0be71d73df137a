"""Untrusted documents are parsed in worker processes that are killed at a deadline."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from owingest.config import FeedSource
from owingest.errors import PermanentError
from owingest.models import Document
from owingest.parse import parse_document
from owingest.parse.pool import ParserPool
from tests import pool_targets


def test_work_runs_in_a_worker_and_errors_keep_their_type_and_fields() -> None:
    async def go() -> None:
        with ParserPool(workers=1) as pool:
            assert await pool.run(pool_targets.double, 21) == 42
            with pytest.raises(PermanentError) as err:
                await pool.run(pool_targets.refuse)
            assert str(err.value) == "parse: not a usable feed (text/html)" and err.value.status == 200
    asyncio.run(go())


def test_a_worker_past_its_deadline_is_killed_and_the_pool_recovers() -> None:
    async def go() -> float:
        with ParserPool(workers=2, deadline=1.0) as pool:
            await pool.run(pool_targets.double, 1)  # workers started before the clock runs
            start = time.monotonic()
            with pytest.raises(PermanentError, match=r"^parse: gave up after 1 s; the parser process was stopped$"):
                await pool.run(pool_targets.spin, 60)
            took = time.monotonic() - start
            assert await pool.run(pool_targets.double, 2) == 4
            return took
    assert asyncio.run(go()) < 30  # bounded: nowhere near the 60 s the worker wanted


def test_other_documents_in_flight_survive_a_kill() -> None:
    async def go() -> tuple[object, object]:
        with ParserPool(workers=2, deadline=1.5) as pool:
            await pool.run(pool_targets.double, 1)
            return await asyncio.gather(pool.run(pool_targets.spin, 60), pool.run(pool_targets.spin, 0.5),
                                        return_exceptions=True)
    stuck, fine = asyncio.run(go())
    assert isinstance(stuck, PermanentError)
    assert fine == "finished"


def test_a_worker_cannot_take_more_memory_than_its_limit() -> None:
    async def go() -> None:
        with ParserPool(workers=1, memory_limit=512 * 1024**2) as pool:
            with pytest.raises(MemoryError):
                await pool.run(pool_targets.hog, 1024)
            assert await pool.run(pool_targets.double, 3) == 6
    asyncio.run(go())


def test_the_feedparser_author_redos_is_cut_off_at_the_deadline() -> None:
    # feedparser's author pattern is quadratic here: 8,000 pairs took 1.3 s and 16,000 took 7 s
    # on the 2-core test machine, so 64,000 take well over a minute unkilled, far above a 1 s
    # deadline on any machine this runs on
    author = "<author>" + "a-" * 64000 + "</author>"
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
            f'{author}</item></channel></rss>').encode()
    doc = Document(url="https://x.example/f", final_url="https://x.example/f", status=200, body=body,
                   content_type="application/rss+xml", etag=None, last_modified=None)
    source = FeedSource(id="redos", kind="feed", url="https://x.example/f")

    async def go() -> float:
        with ParserPool(workers=1, deadline=1.0) as pool:
            await pool.run(pool_targets.double, 1)  # the worker started before the clock runs
            start = time.monotonic()
            with pytest.raises(PermanentError, match=r"^parse: gave up after 1 s; the parser process was stopped$"):
                await pool.run(parse_document, source, doc)
            return time.monotonic() - start
    assert asyncio.run(go()) < 10  # killed at the deadline, not after the minute-plus parse


MAIN_SCRIPT = """
import sys
from pathlib import Path

with Path(sys.argv[1]).open("a") as log:  # every execution of this file leaves a line
    log.write(__name__ + "\\n")

import asyncio
import json

import owingest.pipeline  # the heavy imports of a real entry point (the CLI, a flow file)
from owingest.parse.pool import ParserPool

import probe


async def go():
    with ParserPool(workers=2) as pool:
        return await asyncio.gather(pool.run(probe.loaded), pool.run(probe.loaded))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(go())))
"""

PROBE = """
import os
import sys


def loaded():
    heavy = ("duckdb", "pyarrow", "httpx", "owingest.pipeline")
    return os.getpid(), [name for name in heavy if name in sys.modules]
"""


def test_workers_start_light_without_re_running_the_main_script(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(textwrap.dedent(MAIN_SCRIPT))
    (tmp_path / "probe.py").write_text(textwrap.dedent(PROBE))
    log = tmp_path / "executions.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(tmp_path / "main.py"), str(log)], capture_output=True,
                          text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    workers = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(pid != os.getpid() for pid, _ in workers)
    assert [heavy for _, heavy in workers] == [[], []]  # parsers only: no DuckDB, Arrow, httpx
    assert log.read_text().splitlines() == ["__main__"]  # run once, by the parent only
