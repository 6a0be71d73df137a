"""The HTML digest opened in real headless Chromium (Debian's ``chromium``; CI installs it):
it renders, the charts load, the console stays clean, nothing is fetched, and hostile feed
content runs nothing. Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from owingest.digest import parse_week, write_digest
from owingest.store.connection import connect
from tests.test_digest_fixture import (
    SOURCES,
    WEEK,
    add_fetches,
    add_items,
    add_releases,
    add_sources,
    build_fixed,
    item,
)

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(apt-get install chromium; .ci/run does it)",
    ),
]

# Each payload would set window.__pwned (or fetch something) if it ever ran.
PROBE = "window.__pwned"
PAYLOADS = [
    '<script>window.__pwned="script"</script>',
    "<img src=x onerror=\"window.__pwned='onerror'\">",
    '</style><script>window.__pwned="style-breakout"</script><style>',
    "</title></head><body onload=\"window.__pwned='body'\">",
    '<svg><script>window.__pwned="svg-script"</script></svg>',
    "<svg onload=\"window.__pwned='svg-onload'\"/>",
    '"><iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
    "<a href=\"javascript:window.__pwned='link'\">click me</a>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=\'refresh\'">',
    '<img src="https://tracker.example/pixel.gif">',
    "{{ 7*7 }} {% raw %}",
]
HOSTILE = " ".join(PAYLOADS)


@dataclass
class Opened:
    page: Any
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def open_page(browser: Any, path: Path, width: int = 1000) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": 900})
    opened = Opened(page)
    page.on(
        "console",
        lambda m: (
            opened.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: opened.console.append(f"pageerror: {e}"))
    page.on("request", lambda r: opened.requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # let anything that would run, run
    return opened


def images(page: Any) -> list[list[Any]]:
    return page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.alt])")  # type: ignore[no-any-return]


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_digest_renders_with_its_charts_and_a_clean_console(
    browser: Any, tmp_path: Path
) -> None:
    written = write_digest(build_fixed(tmp_path / "w.duckdb"), parse_week(WEEK), tmp_path / "out")
    opened = open_page(browser, written.folder / "digest.html")
    page = opened.page
    assert page.title() == "owingest digest 2026-W48"
    assert page.locator("h1").inner_text() == "owingest digest 2026-W48"
    assert [h.split(" (")[0] for h in page.locator("h2").all_inner_texts()] == [
        "Releases of the week",
        "Release news",
        "Infrastructure",
        "Safety",
        "Top labs",
        "Needs a human label",
        "Releases over time",
        "Source health",
    ]
    charts = images(page)
    assert len(charts) == 3 and all(done and width > 300 for done, width, _ in charts), charts
    assert opened.console == []
    assert all(url.startswith(("file:", "data:")) for url in opened.requests), opened.requests
    link = page.locator("a[href^='https://acme-blog.example/i01']").first
    assert link.get_attribute("rel") == "noopener noreferrer"
    shot(page, "digest-2026-W48.png")
    page.close()


def test_the_page_fits_a_phone_and_prints_without_navigation(browser: Any, tmp_path: Path) -> None:
    written = write_digest(build_fixed(tmp_path / "w.duckdb"), parse_week(WEEK), tmp_path / "out")
    page = open_page(browser, written.folder / "digest.html", width=375).page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "digest-2026-W48-phone.png")
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    assert len(page.pdf()) > 10_000  # headless Chromium prints it
    page.close()


def _hostile_warehouse(path: Path) -> Path:
    with connect(path) as con:
        add_sources(con, [*SOURCES, ("evil", "feed", f"Evil {HOSTILE}", f"Lab {HOSTILE}")])
        add_items(
            con,
            [
                item(
                    "h1",
                    f"Title {HOSTILE}",
                    "2026-11-24T09:00:00",
                    "evil",
                    topics=("release", "safety"),
                    probs=(0.6, 0.1, 0.6),
                    summary=f"Summary {HOSTILE}",
                    url="javascript:window.__pwned='url'",
                    facts=(f"lab {HOSTILE}", f"family {HOSTILE}"),
                ),
                item(
                    "h2",
                    f"Second {PAYLOADS[0]}",
                    "2026-11-25T09:00:00",
                    "evil",
                    topics=("infra",),
                    probs=(0.1, 0.9, 0.1),
                    url="data:text/html,<script>window.__pwned='data'</script>",
                ),
                item(
                    "h3",
                    "An ordinary post",
                    "2026-11-26T09:00:00",
                    "acme-blog",
                    topics=("release",),
                    probs=(0.9, 0.1, 0.1),
                    url=f'https://acme.example/a?q="><script>{PROBE}=1</script>',
                ),
            ],
        )
        add_releases(
            con,
            [
                (
                    f"r-{PAYLOADS[1]}",
                    f"lab {HOSTILE}",
                    f"family {HOSTILE}",
                    [HOSTILE],
                    "2026-11-24T09:00:00",
                    7.0,
                    None,
                    8192,
                    f"license {HOSTILE}",
                    "open",
                    1,
                    "javascript:window.__pwned='release'",
                )
            ],
            [],
        )
        add_fetches(con, [("evil", "2026-11-27T06:00:00", f"parse: {HOSTILE}")])
    return path


def test_hostile_feed_content_executes_nothing(browser: Any, tmp_path: Path) -> None:
    written = write_digest(
        _hostile_warehouse(tmp_path / "w.duckdb"), parse_week(WEEK), tmp_path / "out"
    )
    opened = open_page(browser, written.folder / "digest.html")
    page = opened.page
    for link in page.locator("a").all():  # follow every link there is: none may run script
        href = link.get_attribute("href") or ""
        assert href.startswith(("https://", "http://", "#")), href
    assert page.evaluate(f"typeof {PROBE}") == "undefined"
    assert (
        page.evaluate(
            "document.querySelectorAll('script, iframe, object, embed, "
            "meta[http-equiv=refresh], svg').length"
        )
        == 0
    )
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".map(a => a.name)).filter(n => n.startsWith('on'))"
    )
    assert handlers == []
    # the text is shown, as text, not dropped: a reader sees what the feed said
    assert '<script>window.__pwned="script"</script>' in page.locator("body").inner_text()
    assert "{{ 7*7 }}" in page.locator("body").inner_text()
    assert opened.console == [] and all(
        u.startswith(("file:", "data:")) for u in opened.requests
    ), (opened.console, opened.requests)
    assert page.title() == "owingest digest 2026-W48"
    shot(page, "digest-hostile.png")
    page.close()
    markdown = (written.folder / "digest.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown and "](<javascript" not in markdown


def test_the_probe_would_notice_a_script_that_ran(browser: Any) -> None:
    # the control: the same payloads on a page without escaping do set the marker
    page = browser.new_page()
    page.set_content(f"<html><body>{PAYLOADS[1]}</body></html>")
    page.wait_for_timeout(200)
    assert page.evaluate(PROBE) == "onerror"
    page.close()


def _bulk_warehouse(path: Path, n: int) -> Path:
    with connect(path) as con:
        add_sources(con, SOURCES)
        con.execute(
            """
            INSERT INTO items (item_id, source_id, sources, kind, url, title, summary, published_at, content_hash,
                               first_seen_at, updated_at, topics, phase, relevant, model_version, topic_probs,
                               phase_probs, label_source)
            SELECT printf('b%05d', i), 'aggregator', ['aggregator'], 'feed', 'https://bulk.example/' || i,
                   'Story ' || i || ' on open model family ' || (i % 53), 'Summary of story ' || i,
                   TIMESTAMPTZ '2026-11-23 00:00:00+00' + to_seconds(i * 300), 'h' || i,
                   TIMESTAMPTZ '2026-11-30 06:00:00+00', TIMESTAMPTZ '2026-11-30 06:00:00+00',
                   [['release', 'infra', 'safety'][1 + i % 3]], 'frontier', true, 'mbulk',
                   struct_pack(release := (i % 100) / 100, infra := 0.5, safety := 0.2),
                   struct_pack(baseline := 0.0, scaling := 0.1, frontier := 0.9), 'model'
            FROM range(?) t(i)""",
            [n],
        )
        con.execute(
            "INSERT INTO item_sources SELECT item_id, source_id, url, first_seen_at FROM items"
        )
    return path


@pytest.mark.parametrize("count", [0, 1, 2000])
def test_empty_single_and_busy_weeks_render(browser: Any, tmp_path: Path, count: int) -> None:
    written = write_digest(
        _bulk_warehouse(tmp_path / "w.duckdb", count), parse_week(WEEK), tmp_path / "out"
    )
    opened = open_page(browser, written.folder / "digest.html")
    page = opened.page
    assert page.locator("table").first.locator("tr").nth(1).inner_text().split("\t")[:2] == [
        "items",
        f"{count:,}",
    ]
    stories = page.locator("ol.stories > li").count()
    assert stories == min(count, 3 * 20)
    if count == 0:
        assert page.get_by_text("Nothing this week.").count() == 3
    assert all(done and width > 300 for done, width, _ in images(page))
    assert opened.console == []
    if count == 2000:
        # 667, 667 and 666 stories per topic; the top 20 of each are shown
        assert (
            page.get_by_text("and 647 more").count() == 2
            and page.get_by_text("and 646 more").count() == 1
        )
        shot(page, "digest-2000-items.png")
    page.close()


def test_the_archive_index_opens_and_links_every_digest(browser: Any, tmp_path: Path) -> None:
    warehouse = build_fixed(tmp_path / "w.duckdb")
    for week in ("2026-W47", WEEK):
        write_digest(warehouse, parse_week(week), tmp_path / "out")
    opened = open_page(browser, tmp_path / "out" / "index.html")
    links = opened.page.locator("td:first-child a").all_inner_texts()
    assert links == [WEEK, "2026-W47"] and opened.console == []
    opened.page.locator(f"text={WEEK}").first.click()
    assert opened.page.title() == f"owingest digest {WEEK}"
    opened.page.close()
