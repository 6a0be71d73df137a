"""The digest's content from a fixed warehouse: golden Markdown and JSON, byte-identical
reruns, story merging and ranking, the label box, health, and the warehouse without the
release tracker. Set OWINGEST_UPDATE_GOLDEN=1 to rewrite the golden files after a
deliberate change (and read the diff)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from owingest.digest import digest_of, parse_week, render_markdown, write_digest
from owingest.digest.markdown import md
from owingest.digest.text import safe_url
from tests.test_digest_fixture import WEEK, build_fixed

GOLDEN = Path(__file__).parent / "golden" / "digest"


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixed(tmp_path_factory.mktemp("fixed") / "w.duckdb")


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OWINGEST_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def test_markdown_and_json_match_the_golden_files(fixed: Path, tmp_path: Path) -> None:
    written = write_digest(fixed, parse_week(WEEK), tmp_path)
    _check_golden(f"{WEEK}.md", (written.folder / "digest.md").read_text(encoding="utf-8"))
    _check_golden(f"{WEEK}.json", (written.folder / "digest.json").read_text(encoding="utf-8"))


def test_the_same_warehouse_and_week_give_byte_identical_files(fixed: Path, tmp_path: Path) -> None:
    first = write_digest(fixed, parse_week(WEEK), tmp_path / "a")
    second = write_digest(fixed, parse_week(WEEK), tmp_path / "b")
    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in first.files)
    assert names == sorted(p.relative_to(tmp_path / "b").as_posix() for p in second.files)
    assert {
        "2026-W48/digest.md",
        "2026-W48/digest.json",
        "2026-W48/digest.html",
        "index.html",
        "feed.xml",
        "2026-W48/charts/items-per-topic.svg",
        "2026-W48/charts/releases-per-lab.svg",
        "2026-W48/charts/open-weights-by-phase.svg",
    } == set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_near_duplicates_merge_into_one_story_listing_every_source(fixed: Path) -> None:
    d = digest_of(fixed, parse_week(WEEK))
    release, infra, safety = d.sections
    assert [s.story_id for s in release.stories] == ["i01"]  # i01 + i02: one release (tracker link)
    assert [x.source_id for x in release.stories[0].sources] == [
        "acme-blog",
        "aggregator",
        "hf-acme",
    ]
    assert release.stories[0].item_ids == ("i01", "i02")
    vllm = infra.stories[0]
    assert vllm.item_ids == ("i03", "i04")  # near-identical titles, different sources
    assert [x.source_id for x in vllm.sources] == ["vllm-releases", "engine-news"]
    assert all("i03" not in s.item_ids for s in release.stories)  # same family, different topic
    assert (release.total, infra.total, safety.total) == (1, 3, 2)


def test_stories_rank_by_confidence_sources_and_diversity(fixed: Path) -> None:
    infra = digest_of(fixed, parse_week(WEEK)).sections[1]
    # 0.88 + 0.5·log2(2) + 0.25·(2 organisations − 1); a person's label counts as 1.0
    assert [(s.story_id, s.score) for s in infra.stories] == [
        ("i03", 1.63),
        ("i07", 1.0),
        ("i08", 0.71),
    ]
    assert infra.stories[1].human and infra.stories[2].published_at is None


def test_the_label_box_lists_model_labels_closest_to_a_coin_toss(fixed: Path) -> None:
    box = digest_of(fixed, parse_week(WEEK)).needs_label
    assert [(x.item_id, x.margin) for x in box] == [
        ("i06", 0.0),
        ("i05", 0.05),
        ("i04", 0.12),
        ("i08", 0.21),
    ]


def test_health_lists_failing_and_silent_sources_as_of_the_week_end(fixed: Path) -> None:
    notes = {h.source_id: h for h in digest_of(fixed, parse_week(WEEK)).health}
    assert set(notes) == {"broken-feed", "quiet-blog"}
    assert (
        notes["broken-feed"].health == "failing"
        and "2 failed fetches in a row" in notes["broken-feed"].detail
    )
    assert (
        notes["quiet-blog"].health == "silent"
        and "usually one every 7 days" in notes["quiet-blog"].detail
    )


def test_headline_compares_with_the_previous_week(fixed: Path) -> None:
    d = digest_of(fixed, parse_week(WEEK))
    assert (d.current.items, d.current.on_topic, d.current.releases) == (8, 7, 1)
    assert (d.previous.items, d.previous.on_topic, d.previous.releases) == (2, 2, 1)
    assert d.charts.releases_per_lab == (
        ("acme", 1),
        ("beta", 1),
    )  # Acme-LM 1 is older than 52 weeks
    assert dict(d.charts.open_by_phase or ()) == {
        "baseline": {"open": 1, "restricted": 0, "closed": 0},
        "scaling": {"open": 0, "restricted": 0, "closed": 1},
        "frontier": {"open": 2, "restricted": 1, "closed": 0},
    }


def test_without_the_release_tracker_the_digest_says_so_and_skips_release_charts(
    tmp_path: Path,
) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb", tracker=False)
    written = write_digest(warehouse, parse_week(WEEK), tmp_path / "out")
    data = json.loads((written.folder / "digest.json").read_text(encoding="utf-8"))
    assert data["releases"] is None and data["headline"]["current"]["releases"] is None
    assert data["charts"]["files"] == {"items_per_topic": "charts/items-per-topic.svg"}
    assert sorted(p.name for p in (written.folder / "charts").iterdir()) == ["items-per-topic.svg"]
    assert (
        "release tracker's tables are not in this warehouse"
        in (written.folder / "digest.md").read_text()
    )
    # the release story still merges, by model family
    assert data["sections"][0]["stories"][0]["item_ids"] == ["i01", "i02"]


def test_an_empty_week_renders_every_section_with_nothing_in_it(
    fixed: Path, tmp_path: Path
) -> None:
    written = write_digest(fixed, parse_week("2026-W30"), tmp_path)
    text = (written.folder / "digest.md").read_text(encoding="utf-8")
    assert "| items | 0 | 0 | 0 |" in text and text.count("Nothing this week.") == 3
    assert "No release was announced this week." in text
    data = json.loads((written.folder / "digest.json").read_text(encoding="utf-8"))
    assert data["headline"]["current"]["items"] == 0 and data["needs_label"] == []


def test_the_archive_lists_every_digest_newest_first(fixed: Path, tmp_path: Path) -> None:
    for week in ("2026-W47", WEEK, "2026-W46"):
        write_digest(fixed, parse_week(week), tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert (
        index.index('href="2026-W48/digest.html"')
        < index.index('href="2026-W47/digest.html"')
        < index.index('href="2026-W46/digest.html"')
    )
    feed = (tmp_path / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == 3 and "<updated>2026-11-30T00:00:00Z</updated>" in feed
    assert "urn:owingest:digest:2026-W48" in feed and "Acme-LM 2: an open 70B model" in feed


def test_feed_text_cannot_become_markdown_or_html() -> None:
    assert (
        md("[click](javascript:alert(1)) <b>x</b> *y* |z|")
        == "\\[click\\](javascript:alert(1)) &lt;b&gt;x&lt;/b&gt; \\*y\\* \\|z\\|"
    )


@given(st.text())
def test_escaped_markdown_has_no_raw_markup(text: str) -> None:
    escaped = md(text)
    assert "<" not in escaped and ">" not in escaped
    stripped = escaped.replace("\\\\", "").replace("\\[", "").replace("\\]", "").replace("\\`", "")
    assert "[" not in stripped and "]" not in stripped and "`" not in stripped


@given(st.text())
def test_only_http_urls_survive(url: str) -> None:
    kept = safe_url(url)
    assert kept is None or (kept.lower().startswith(("http://", "https://")) and " " not in kept)


def test_a_rendered_markdown_of_one_item_lists_it(fixed: Path) -> None:
    one = render_markdown(digest_of(fixed, parse_week("2026-W42")))
    assert "1. **[vLLM v0.29.0](<https://vllm-releases.example/e01>)**" in one


def test_titles_that_differ_in_a_version_or_size_stay_apart() -> None:
    from owingest.digest.query import ItemRow
    from owingest.digest.stories import cluster
    from tests.test_digest_fixture import ts

    def row(item_id: str, title: str) -> ItemRow:
        return ItemRow(
            item_id,
            title,
            "",
            None,
            ts("2026-11-24T00:00:00"),
            True,
            "feed",
            ("infra",),
            "frontier",
            None,
            None,
            "model",
            None,
            None,
            None,
            None,
            (),
        )

    groups = cluster(
        [
            row("a", "Release notes for vLLM v0.29.0"),
            row("b", "Release notes for vLLM v0.30.0"),
            row("c", "Release notes: vLLM v0.30.0"),
            row("d", "Qwen3 32B dense model weights"),
            row("e", "Qwen3 235B dense model weights"),
        ]
    )
    assert [[i.item_id for i in g] for g in groups] == [["a"], ["b", "c"], ["d"], ["e"]]


def test_the_digest_package_exports_a_small_api() -> None:
    from owingest import digest

    assert set(digest.__all__) == {
        "FORMATS",
        "SCHEMA_VERSION",
        "Digest",
        "Period",
        "Written",
        "build_digest",
        "day_range",
        "digest_dict",
        "digest_of",
        "headline_markdown",
        "last_complete_week",
        "latest_week",
        "parse_formats",
        "parse_week",
        "read_week",
        "render_charts",
        "render_html",
        "render_json",
        "render_markdown",
        "resolve_period",
        "week_of",
        "write_digest",
    }
    assert all(hasattr(digest, name) for name in digest.__all__)
