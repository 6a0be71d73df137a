"""Parsing: one adapter per source kind, one dispatcher. Bytes in, ``RawEntry`` out.

Third-party shapes (``FeedParserDict``, bs4 ``Tag``) never leave this package.
"""

from __future__ import annotations

from owingest.config import FeedSource, HtmlSource, HubSource
from owingest.models import Document, ParseResult
from owingest.parse.feed import parse_feed
from owingest.parse.html import ArticleMeta, parse_article, parse_listing
from owingest.parse.hub import parse_hub_listing

__all__ = ["ArticleMeta", "parse_article", "parse_document"]


def parse_document(source: FeedSource | HubSource | HtmlSource, document: Document) -> ParseResult:
    """Parse ``document`` as the ``source``'s kind says; raises ``PermanentError`` when unusable."""
    if isinstance(source, HubSource):
        return parse_hub_listing(document)
    if isinstance(source, HtmlSource):
        return parse_listing(document, source.selectors)
    return parse_feed(document, github_releases="github-releases" in source.tags)
