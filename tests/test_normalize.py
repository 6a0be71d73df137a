"""Normalization: canonical URLs, dates, text, identity and fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from owingest.models import DateCandidate, RawEntry
from owingest.normalize import (
    canonical_url,
    fingerprint,
    html_to_text,
    item_id,
    normalize_entry,
    parse_date,
    pick_published,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://HuggingFace.CO:443/blog/llama3?utm_source=rss&utm_medium=feed#top",
     "https://huggingface.co/blog/llama3"),
    ("http://example.org:80/a?b=1&fbclid=zz&c=2", "http://example.org/a?b=1&c=2"),
    ("http://example.org:8080/a", "http://example.org:8080/a"),
    ("https://example.org", "https://example.org/"),
    ("javascript:alert(1)", None),
    ("mailto:a@b.org", None),
    ("", None),
    (None, None),
])
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_relative_links_resolve_against_the_base() -> None:
    assert canonical_url("/news/mistral-small-3", "https://mistral.ai/news") == "https://mistral.ai/news/mistral-small-3"


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 23 Jul 2024 15:00:00 GMT", datetime(2024, 7, 23, 15, tzinfo=UTC)),
    ("2025-01-20T03:46:07.000Z", datetime(2025, 1, 20, 3, 46, 7, tzinfo=UTC)),
    ("2024-07-23T17:00:00+02:00", datetime(2024, 7, 23, 15, tzinfo=UTC)),
    ("Jul 24, 2024", datetime(2024, 7, 24, tzinfo=UTC)),
    ("January 20, 2025", datetime(2025, 1, 20, tzinfo=UTC)),
    ("not a date", None),
    ("", None),
    (None, None),
])
def test_parse_date_gives_utc(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_pick_published_skips_implausible_dates_but_never_invents_one() -> None:
    future = DateCandidate(datetime(2031, 1, 1, tzinfo=UTC), "feed:published")
    ancient = DateCandidate(datetime(1970, 1, 1, tzinfo=UTC), "feed:updated")
    good = DateCandidate(datetime(2025, 8, 5, tzinfo=UTC), "meta:article:published_time")
    assert pick_published([future, ancient, good], NOW) == good
    assert pick_published([future, ancient], NOW) is None
    assert pick_published([], NOW) is None


def test_html_to_text_drops_markup_scripts_and_entities() -> None:
    html = "<p>Mixtral&nbsp;8x22B <b>released</b></p><script>alert(1)</script><style>p{}</style> &amp; more"
    assert html_to_text(html) == "Mixtral 8x22B released & more"
    assert html_to_text("AT&amp;T &lt;3") == "AT&T <3"
    assert html_to_text(None) == ""


def test_quoted_tokens_are_kept_harmless_and_escaped_markup_is_dropped() -> None:
    # an article quoting a reasoning model's tokens keeps them, with angle quotation marks
    assert (html_to_text("<p>the reasoning sits inside <code>&lt;think&gt;</code> tags</p>")
            == "the reasoning sits inside \u2039think\u203a tags")
    assert html_to_text("&lt;tool_call&gt;{}&lt;/tool_call&gt;") == "\u2039tool_call\u203a{}\u2039/tool_call\u203a"
    # HTML that a feed escaped twice is markup, dropped as before
    assert html_to_text("&lt;p&gt;Qwen3 is &lt;b&gt;out&lt;/b&gt;&lt;/p&gt;") == "Qwen3 is out"
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "alert(1)"
    # a quoted tag that swallows a real one neutralizes both, and the text after it stays
    assert html_to_text("a &lt;foo &lt;script&gt; b") == "a \u2039foo \u2039script\u203a b"


def test_item_id_prefers_url_then_guid_then_text() -> None:
    assert item_id("https://a.org/x", "g1", "s1", "t", "x") == item_id("https://a.org/x", "g2", "s2", "u", "y")
    assert item_id(None, "g1", "s1", "t", "x") != item_id(None, "g1", "s2", "t", "x")
    assert item_id(None, None, "s1", "t", "x") == item_id(None, None, "s1", "t", "x")
    assert item_id(None, None, "s1", "t", "x")[0] == "t"


def test_fingerprint_matches_the_same_story_and_needs_enough_text() -> None:
    summary = "Qwen3 is a family of dense and mixture of experts models released under Apache 2.0."
    a = fingerprint("Qwen3: Think Deeper, Act Faster", summary, None)
    b = fingerprint("QWEN3 — think deeper, act faster!", summary + " More text.", None)
    assert a is not None and a == b
    assert fingerprint("Qwen3: Think Deeper, Act Faster", "Something else entirely that is long enough.", None) != a
    day = datetime(2025, 4, 29, tzinfo=UTC)
    assert fingerprint("Qwen3 released today", "", day) == fingerprint("Qwen3 released today", "", day)
    assert fingerprint("Qwen3 released today", "", None) is None
    assert fingerprint("v0.6.0", "", day) is None


def test_normalize_entry_builds_an_item() -> None:
    entry = RawEntry(title="  <b>gpt-oss</b> is here ", link="/index/introducing-gpt-oss/?utm_source=x",
                     guid="g-1", summary_html="<p>Two open-weight models, 120b and 20b.</p>",
                     dates=(DateCandidate(datetime(2025, 8, 5, 17, tzinfo=UTC), "feed:published"),),
                     categories=("Release", "Release"))
    item = normalize_entry(entry, source_id="openai-news", kind="feed", base_url="https://openai.com/news/rss.xml",
                           now=NOW)
    assert item is not None
    assert item.url == "https://openai.com/index/introducing-gpt-oss/"
    assert item.title == "gpt-oss is here"
    assert item.summary == "Two open-weight models, 120b and 20b."
    assert item.published_at == datetime(2025, 8, 5, 17, tzinfo=UTC)
    assert item.published_origin == "feed:published"
    assert item.categories == ("Release",)


def test_an_untitled_entry_takes_its_title_from_the_text_and_an_empty_one_is_dropped() -> None:
    entry = RawEntry(title="", summary_html="A short note about llama.cpp.")
    item = normalize_entry(entry, source_id="s", kind="feed", base_url="https://a.org/", now=NOW)
    assert item is not None and item.title == "A short note about llama.cpp."
    assert normalize_entry(RawEntry(title=" "), source_id="s", kind="feed", base_url="https://a.org/", now=NOW) is None


def test_volatile_counters_do_not_change_the_content_hash() -> None:
    def hub(downloads: int) -> RawEntry:
        return RawEntry(title="openai/gpt-oss-20b", link="https://huggingface.co/openai/gpt-oss-20b",
                        meta={"license": "apache-2.0", "downloads": downloads, "likes": 1})
    a = normalize_entry(hub(10), source_id="s", kind="hf_models", base_url="https://huggingface.co/", now=NOW)
    b = normalize_entry(hub(99), source_id="s", kind="hf_models", base_url="https://huggingface.co/", now=NOW)
    assert a is not None and b is not None and a.content_hash == b.content_hash
