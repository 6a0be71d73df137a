"""``owingest digest`` as a user meets it: a real process, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from owingest.digest import latest_week, resolve_period
from owingest.errors import ConfigError
from owingest.store.connection import connect
from tests.test_digest_fixture import SOURCES, WEEK, add_items, add_sources, build_fixed, item

OWINGEST = Path(sys.executable).with_name("owingest")
pytestmark = pytest.mark.integration


def owingest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OWINGEST), "digest", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixed(tmp_path_factory.mktemp("fixed") / "w.duckdb")


def test_a_week_is_written_beside_the_warehouse_by_default(tmp_path: Path) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb")
    done = owingest("--warehouse", str(warehouse), "--week", WEEK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "digests" / WEEK
    assert (
        done.stdout.strip()
        == f"2026-W48: 8 items, 7 on topic, 1 new release; wrote 8 files to {folder}"
    )
    assert json.loads((folder / "digest.json").read_text())["period"]["label"] == WEEK


def test_formats_and_a_day_range_choose_what_is_written(fixed: Path, tmp_path: Path) -> None:
    done = owingest(
        "--warehouse",
        str(fixed),
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-29",
        "--format",
        "json",
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "2026-11-16_2026-11-29"
    assert sorted(p.name for p in folder.iterdir()) == ["digest.json"]
    data = json.loads((folder / "digest.json").read_text())
    assert data["period"]["kind"] == "days" and data["headline"]["current"]["items"] == 10
    assert data["period"]["previous"] == "2026-11-02_2026-11-15"


def test_latest_is_the_newest_complete_week_with_items(tmp_path: Path) -> None:
    warehouse = tmp_path / "old.duckdb"
    with connect(warehouse) as con:
        add_sources(con, SOURCES)
        add_items(
            con,
            [
                item(
                    "x1",
                    "Acme-7B released",
                    "2021-03-10T09:00:00",
                    "acme-blog",
                    topics=("release",),
                )
            ],
        )
    done = owingest(
        "--warehouse",
        str(warehouse),
        "--week",
        "latest",
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2021-W10: 1 item, 1 on topic")
    # the week in progress is never "latest": an item of this week waits for the week to end
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert latest_week(build_fixed(tmp_path / "w.duckdb"), now).label == "2026-W47"


def test_rerunning_a_week_replaces_its_digest_whole(fixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        owingest(
            "--warehouse", str(fixed), "--week", WEEK, "--out", str(out), cwd=tmp_path
        ).returncode
        == 0
    )
    (out / WEEK / "stale.txt").write_text("from before")
    done = owingest(
        "--warehouse", str(fixed), "--week", WEEK, "--out", str(out), "--format", "md", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / WEEK).iterdir()) == ["charts", "digest.md"]
    assert sorted(p.name for p in out.iterdir()) == [
        WEEK,
        "feed.xml",
        "index.html",
    ]  # no temporary folder left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--week", "2026-48"],
            "owingest: --week: not an ISO week (YYYY-Www, e.g. 2026-W48): '2026-48'",
        ),
        (["--week", "2025-W53"], "owingest: --week: no such ISO week: '2025-W53'"),
        (
            ["--week", WEEK, "--since", "2026-11-01"],
            "owingest: --week cannot be combined with --since/--until: choose one",
        ),
        (
            ["--since", "2026-11-30", "--until", "2026-11-01"],
            "owingest: --until 2026-11-01 is before --since 2026-11-30",
        ),
        (["--since", "30/11/2026"], "owingest: --since: not a date (YYYY-MM-DD): '30/11/2026'"),
        (["--until", "2026-11-01"], "owingest: --until needs --since"),
        (
            ["--format", "md,pdf"],
            "owingest: --format: unknown format 'pdf' (choose from md, html, json)",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    fixed: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    done = owingest("--warehouse", str(fixed), "--out", str(tmp_path / "out"), *args, cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()) == (2, [message])
    assert not (tmp_path / "out").exists()


def test_a_missing_warehouse_or_an_unwritable_folder_is_one_line(
    fixed: Path, tmp_path: Path
) -> None:
    missing = owingest("--warehouse", str(tmp_path / "none.duckdb"), cwd=tmp_path)
    assert (missing.returncode, missing.stderr.splitlines()) == (
        2,
        [f"owingest: {tmp_path / 'none.duckdb'}: no warehouse yet (run `owingest ingest` first)"],
    )
    assert not (tmp_path / "none.duckdb").exists()
    (tmp_path / "file").write_text("not a folder")
    blocked = owingest(
        "--warehouse",
        str(fixed),
        "--week",
        WEEK,
        "--out",
        str(tmp_path / "file" / "out"),
        cwd=tmp_path,
    )
    assert blocked.returncode == 1 and len(blocked.stderr.splitlines()) == 1
    assert (
        blocked.stderr.startswith("owingest: digest: cannot write ")
        and "Traceback" not in blocked.stderr
    )


def test_the_cli_and_the_flow_resolve_a_period_from_the_clock_they_pass(fixed: Path) -> None:
    now = datetime(2027, 1, 13, 9, 0, tzinfo=UTC)  # a Wednesday, weeks after the last item
    assert resolve_period(fixed, now=now).label == "2027-W01"  # the last complete week
    assert resolve_period(fixed, now=now, week=" Latest ").label == WEEK  # the last with items
    assert resolve_period(fixed, now=now, since="2027-01-10").label == "2027-01-10_2027-01-12"
    assert resolve_period(fixed, now=now, week="2026-W40").since == datetime(
        2026, 9, 28, tzinfo=UTC
    )
    with pytest.raises(ConfigError, match=r"^--until needs --since$"):
        resolve_period(fixed, now=now, until="2027-01-12")
