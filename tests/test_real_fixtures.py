"""Every real document in ../shared/fixtures/real goes through parse + normalize
without an unhandled exception: items come out, or a clear PermanentError."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from owingest.config import FeedSource, HtmlSelectors, HtmlSource, HubSource
from owingest.errors import PermanentError
from owingest.models import Document
from owingest.normalize import normalize_entry
from owingest.parse import parse_article, parse_document
from tests.shared import real_fixture_names, require_shared

NOW = datetime(2026, 11, 30, tzinfo=UTC)
FEED = FeedSource(id="fixture", kind="feed", url="https://example.org/feed.xml")
HUB = HubSource(id="fixture", kind="hf_models", url="https://huggingface.co/api/models?author=x")
HTML = HtmlSource(id="fixture", kind="html", url="https://example.org/", selectors=HtmlSelectors(item="a[href]"))

# Documents that must be refused rather than parsed: hostile by design, or with no entry at all.
REFUSED = {"hostile-xmlbomb-entity-expansion.xml", "hostile-xxe-external-entity.xml",
           "hostile-truncated-cdata.xml"}


def _source(name: str) -> FeedSource | HubSource | HtmlSource:
    if name.endswith(".json"):
        return HUB
    return HTML if name.endswith(".html") else FEED


@pytest.mark.parametrize("name", real_fixture_names() or ["(shared material absent)"])
def test_real_document_parses_and_normalizes(name: str) -> None:
    folder = require_shared()
    body = (folder / name).read_bytes()
    document = Document(url="https://example.org/doc", final_url="https://example.org/doc", status=200,
                        body=body, content_type=None, etag=None, last_modified=None)
    source = _source(name)
    try:
        result = parse_document(source, document)
    except PermanentError as err:
        assert str(err).startswith("parse: ")
        assert name in REFUSED, f"{name} was refused: {err}"
        return
    assert name not in REFUSED, f"{name} should have been refused"
    items = [normalize_entry(e, source_id="fixture", kind=source.kind, base_url=document.final_url, now=NOW)
             for e in result.entries]
    assert result.entries and all(i is not None and i.title for i in items)
    assert all(i is None or i.url is None or i.url.startswith(("http://", "https://")) for i in items)
    if name.endswith(".html"):
        parse_article(document)  # article metadata extraction must not raise either


def test_a_real_iso_8859_1_feed_keeps_its_umlauts() -> None:
    folder = require_shared()
    body = (folder / "golem-de-rss2-iso-8859-1.xml").read_bytes()
    doc = Document(url="https://golem.de/rss", final_url="https://golem.de/rss", status=200, body=body,
                   content_type=None, etag=None, last_modified=None)
    titles = " ".join(e.title for e in parse_document(FEED, doc).entries)
    assert any(ch in titles for ch in "äöüÄÖÜß")
    assert "\ufffd" not in titles


def test_the_xxe_fixture_never_leaks_a_local_file() -> None:
    folder = require_shared()
    body = (folder / "hostile-xxe-external-entity.xml").read_bytes()
    doc = Document(url="https://x.org/f", final_url="https://x.org/f", status=200, body=body,
                   content_type=None, etag=None, last_modified=None)
    with pytest.raises(PermanentError, match="declares XML entities"):
        parse_document(FEED, doc)
