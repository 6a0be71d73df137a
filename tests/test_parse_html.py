"""Pages without a feed: listing selectors, and dates from article metadata."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from owingest.config import HtmlSelectors
from owingest.errors import PermanentError
from owingest.parse.html import parse_article, parse_listing
from tests.docs import doc

LISTING = """<html><body><nav><a href="/about">About</a></nav>
<a class="card" href="/news/mistral-small-3"><h2>Mistral Small 3</h2><time datetime="2025-01-30">Jan 30</time></a>
<a class="card" href="/news/magistral"><h2>Magistral</h2><span class="d">June 10, 2025</span><p>Reasoning.</p></a>
<a class="card" href="/news/mistral-small-3"><h2>Mistral Small 3</h2></a>
<a class="card" href="/news/empty"></a>
</body></html>"""


def test_listing_items_follow_the_selectors() -> None:
    sel = HtmlSelectors(item="a.card", link=":scope", title="h2", date="time, span.d", summary="p")
    result = parse_listing(doc(LISTING, "https://mistral.ai/news"), sel)
    assert [(e.title, e.link) for e in result.entries] == [
        ("Mistral Small 3", "https://mistral.ai/news/mistral-small-3"),
        ("Magistral", "https://mistral.ai/news/magistral"),
    ]
    assert result.entries[0].dates[0].value == datetime(2025, 1, 30, tzinfo=UTC)
    assert result.entries[0].dates[0].origin == "listing:datetime"
    assert result.entries[1].dates[0].origin == "listing:text"
    assert result.entries[1].summary_html == "Reasoning."
    assert result.problems == ("1 matched elements had no link or title",)


def test_a_redesigned_page_is_a_clear_parse_error() -> None:
    with pytest.raises(PermanentError, match="no element matches the item selector 'li.post'"):
        parse_listing(doc(LISTING), HtmlSelectors(item="li.post"))


def test_article_dates_come_with_their_origin() -> None:
    page = """<html><head><title>Llama 3.1</title>
    <meta property="article:published_time" content="2024-07-23T15:00:00+00:00">
    <meta name="description" content="Our most capable open model.">
    <script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "datePublished": "2024-07-23"}]}</script>
    </head><body><time datetime="2024-07-24T08:00:00Z">Jul 24</time></body></html>"""
    meta = parse_article(doc(page))
    assert [(d.origin, d.value) for d in meta.dates] == [
        ("meta:article:published_time", datetime(2024, 7, 23, 15, tzinfo=UTC)),
        ("json-ld:datePublished", datetime(2024, 7, 23, tzinfo=UTC)),
        ("html:time", datetime(2024, 7, 24, 8, tzinfo=UTC)),
        ("htmldate", datetime(2024, 7, 23, 15, tzinfo=UTC)),
    ]
    assert meta.description == "Our most capable open model."
    assert meta.title == "Llama 3.1"


def test_htmldate_finds_dates_in_markup_we_do_not_read_ourselves() -> None:
    page = '<html><head><meta name="parsely-pub-date" content="2025-04-29T00:00:00Z"></head><body>x</body></html>'
    assert [(d.origin, d.value) for d in parse_article(doc(page)).dates] == [
        ("htmldate", datetime(2025, 4, 29, tzinfo=UTC))]


def test_an_article_without_dates_has_none() -> None:
    meta = parse_article(doc("<html><head><title>x</title></head><body><p>Posted on March 3, 2025. "
                             "© 2025 Example</p></body></html>"))
    assert meta.dates == ()
    assert meta.description is None
