"""Pages without a feed: a listing page scraped with the source's CSS selectors,
and the metadata of linked article pages (dates and descriptions).

Every date candidate is kept with where it came from; a missing date stays
missing (it is never defaulted to "now").
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from htmldate import find_date
from soupsieve import SelectorSyntaxError

from owingest.config import HtmlSelectors
from owingest.errors import PermanentError
from owingest.models import DateCandidate, Document, ParseResult, RawEntry
from owingest.normalize import parse_date

__all__ = ["ArticleMeta", "parse_article", "parse_listing"]

_META_DATES = (
    ("property", "article:published_time"), ("property", "og:published_time"),
    ("name", "article:published_time"), ("itemprop", "datePublished"), ("name", "date"),
    ("name", "pubdate"), ("name", "publish-date"), ("name", "dc.date"), ("name", "DC.date.issued"),
    ("property", "article:modified_time"),
)
_META_TEXT = (("name", "description"), ("property", "og:description"), ("name", "twitter:description"))
_JSONLD_DATES = ("datePublished", "dateCreated", "uploadDate")


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What an article page says about itself."""

    title: str | None
    description: str | None
    dates: tuple[DateCandidate, ...]


def _soup(document: Document) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(document.body, "lxml")


def _select_one(item: Tag, selector: str | None) -> Tag | None:
    if not selector:
        return None
    if selector == ":scope":
        return item
    found = item.select_one(selector)
    return found if isinstance(found, Tag) else None


def _text(tag: Tag | None) -> str:
    return " ".join(tag.get_text(" ").split()) if tag is not None else ""


def _date_of(tag: Tag | None) -> DateCandidate | None:
    if tag is None:
        return None
    for attr in ("datetime", "content"):
        value = tag.get(attr)
        when = parse_date(value if isinstance(value, str) else None)
        if when:
            return DateCandidate(when, f"listing:{attr}")
    when = parse_date(_text(tag))
    return DateCandidate(when, "listing:text") if when else None


def _http_link(base: str, href: str) -> str | None:
    try:
        link = urljoin(base, href.strip())
        return link if urlsplit(link).scheme in ("http", "https") else None
    except ValueError:  # "Invalid IPv6 URL"
        return None


def parse_listing(document: Document, selectors: HtmlSelectors) -> ParseResult:
    """Items of a listing page: link, title, and date and summary where the listing has them."""
    soup = _soup(document)
    try:
        items = soup.select(selectors.item)
    except SelectorSyntaxError as err:
        raise PermanentError("parse", f"invalid CSS selector {selectors.item!r}: {err}") from err
    if not items:
        raise PermanentError("parse", f"no element matches the item selector {selectors.item!r} "
                                      "(has the page been redesigned?)")
    entries: dict[str, RawEntry] = {}
    skipped = 0
    for item in items:
        link_tag = _select_one(item, selectors.link)
        href = link_tag.get("href") if link_tag is not None else None
        title = _text(_select_one(item, selectors.title))
        if not isinstance(href, str) or not href.strip() or not title:
            skipped += 1
            continue
        link = _http_link(document.final_url, href)
        if link is None:  # "javascript:void(0)", "mailto:", "https://[broken"
            skipped += 1
            continue
        date = _date_of(_select_one(item, selectors.date))
        summary = _text(_select_one(item, selectors.summary))
        previous = entries.get(link)
        if previous is not None and (previous.summary_html or not summary):
            continue  # the same article linked twice (hero card + list card)
        entries[link] = RawEntry(title=title, link=link, summary_html=summary,
                                 dates=(date,) if date else ())
    problems = (f"{skipped} matched elements had no link or title",) if skipped else ()
    return ParseResult(entries=tuple(entries.values()), problems=problems)


def _jsonld_dates(soup: BeautifulSoup) -> list[DateCandidate]:
    found: list[DateCandidate] = []
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack and len(found) < 10:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                stack.extend(v for k, v in node.items() if k == "@graph")
                for key in _JSONLD_DATES:
                    when = parse_date(node.get(key)) if isinstance(node.get(key), str) else None
                    if when:
                        found.append(DateCandidate(when, f"json-ld:{key}"))
    return found


def _htmldate(document: Document) -> list[DateCandidate]:
    """htmldate's reading of the page's markup (many more meta names and layouts than ours);
    its text heuristics are off, so it never guesses a date from body text."""
    try:
        found = find_date(document.body, extensive_search=False, original_date=True,
                          outputformat="%Y-%m-%dT%H:%M:%S")
    except (ValueError, TypeError, OverflowError):
        return []
    when = parse_date(found)
    return [DateCandidate(when, "htmldate")] if when else []


def parse_article(document: Document) -> ArticleMeta:
    """Dates (meta tags, JSON-LD, ``<time>``) and description of an article page."""
    soup = _soup(document)
    dates: list[DateCandidate] = []
    for attr, name in _META_DATES:
        tag = soup.find("meta", attrs={attr: name})
        value = tag.get("content") if isinstance(tag, Tag) else None
        when = parse_date(value if isinstance(value, str) else None)
        if when:
            dates.append(DateCandidate(when, f"meta:{name}"))
    dates += _jsonld_dates(soup)
    time_tag = soup.find("time", attrs={"datetime": True})
    if isinstance(time_tag, Tag):
        value = time_tag.get("datetime")
        when = parse_date(value if isinstance(value, str) else None)
        if when:
            dates.append(DateCandidate(when, "html:time"))
    dates += _htmldate(document)
    description = None
    for attr, name in _META_TEXT:
        tag = soup.find("meta", attrs={attr: name})
        value = tag.get("content") if isinstance(tag, Tag) else None
        if isinstance(value, str) and value.strip():
            description = value.strip()
            break
    title_tag = soup.find("title")
    return ArticleMeta(title=_text(title_tag) or None, description=description, dates=tuple(dates))
