"""Normalization: canonical URLs, UTC dates, plain text, ids and fingerprints.

Pure functions; ``now`` is always passed in, never read from the clock here.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from dateutil import parser as dateparser

from owingest.models import DateCandidate, Item, RawEntry

__all__ = [
    "canonical_url",
    "clean_text",
    "content_hash",
    "fingerprint",
    "html_to_text",
    "item_id",
    "normalize_entry",
    "parse_date",
    "pick_published",
]

_TRACKING = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|"
    r"ref_src|ref_url|spm|scid|cmpid|sr_share|__s|oly_[a-z]+|rb_clickid|s_cid|vero_[a-z]+)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[\w-]+(?:\.[\w-]+)*")  # names (IDN too) and IPv4; IPv6 is checked by urlsplit
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\"<>\\^`{|}\x7f-\x9f]")  # never literal in a URL (RFC 3986)
_SPACE = re.compile(r"\s+")
# control characters (C0 but tab/newline/return, DEL, C1): never text, and NUL breaks exports
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# what an HTML tokenizer would read as a tag (or a comment, doctype, processing instruction):
# "<" then a letter, "/", "!" or "?", up to the next ">" or the end. Text that *decodes* to
# markup ("&lt;script&gt;") is still markup to whoever renders the text without escaping it.
_TAG_LIKE = re.compile(r"<[A-Za-z!/?][^>]*(?:>|\Z)")
_TAG_NAME = re.compile(r"</?([A-Za-z][\w:.-]*)")
# The elements of HTML (current and obsolete) and the roots of SVG and MathML: a tag-like
# text naming one is markup (a feed that escaped its HTML twice) and is dropped. Any other
# name is something an article quotes (``<think>``, ``<tool_call>``): it is kept, with angle
# quotation marks instead of "<" and ">", so that no renderer can read it as a tag.
_HTML_ELEMENTS = frozenset((
    "a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b", "base",
    "basefont", "bdi", "bdo", "bgsound", "big", "blink", "blockquote", "body", "br", "button",
    "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data", "datalist", "dd",
    "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "embed", "fieldset",
    "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "image", "img", "input",
    "ins", "isindex", "kbd", "keygen", "label", "legend", "li", "link", "listing", "main", "map",
    "mark", "marquee", "math", "menu", "menuitem", "meta", "meter", "nav", "nobr", "noembed",
    "noframes", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param",
    "picture", "plaintext", "pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp",
    "script", "search", "section", "select", "slot", "small", "source", "spacer", "span",
    "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td",
    "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
    "ul", "var", "video", "wbr", "xmp",
))
_ANGLE_QUOTES = str.maketrans("<>", "\u2039\u203a")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SUMMARY_LIMIT = 4000
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
#: Fields of ``meta`` that change on every fetch and are not "content".
VOLATILE_META = frozenset({"downloads", "likes", "trending_score"})


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    characters a URL cannot hold (space, ``<``, controls...) percent-encoded in the path.
    None when ``url`` is not a usable http(s) URL (no host, a bad port, a malformed host)."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port if parts.port not in (None, _DEFAULT_PORTS[scheme]) else None
    except ValueError:  # "Port out of range", "Invalid IPv6 URL"
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    elif not _HOST.fullmatch(host):
        return None
    netloc = f"{host}:{port}" if port else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.match(k)])
    path = _UNSAFE_IN_PATH.sub(lambda m: f"%{ord(m.group()):02X}", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_date(text: str | None) -> datetime | None:
    """Parse a date in any common format (RFC 822, ISO 8601, "Jul 24, 2024") to UTC.

    A date without a time zone is taken as UTC. Unparseable text gives None.
    """
    if not text or not text.strip() or len(text) > 100:
        return None
    try:
        return _to_utc(dateparser.parse(text.strip(), fuzzy=False))
    except (ValueError, OverflowError, TypeError):
        return None


def pick_published(candidates: Iterable[DateCandidate], now: datetime) -> DateCandidate | None:
    """The first plausible candidate: not before 1990, not after ``now`` + 1 day.

    Implausible candidates stay recorded; a missing date stays missing.
    """
    latest = now + timedelta(days=1)
    for cand in candidates:
        if _EARLIEST <= cand.value <= latest:
            return cand
    return None


def _untag(match: re.Match[str]) -> str:
    """A tag-like text: dropped when it names HTML markup, kept as ``‹name›`` otherwise."""
    found = match.group(0)
    name = _TAG_NAME.match(found)
    if name is None or name.group(1).lower() in _HTML_ELEMENTS:
        return " "
    return found.translate(_ANGLE_QUOTES)


def clean_text(text: str) -> str:
    """One line of plain text: control characters dropped, and anything an HTML parser would
    read as a tag made harmless (repeatedly: removing ``<a>`` from ``<<a>b>`` makes a new one):
    HTML markup dropped, a quoted ``<think>`` kept as ``‹think›``; runs of white space made
    one space."""
    text = _CONTROL.sub("", text)
    while True:
        stripped = _TAG_LIKE.sub(_untag, text)
        if stripped == text:
            return _SPACE.sub(" ", text).strip()
        text = stripped


def html_to_text(fragment: str | None) -> str:
    """HTML (or plain text with entities) to one line of plain text, without markup."""
    if not fragment:
        return ""
    fragment = _CONTROL.sub("", fragment)
    if "<" not in fragment:
        return clean_text(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return clean_text(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    for bad in root.xpath("//script|//style|//template|//noscript"):
        bad.drop_tree()
    return clean_text(" ".join(root.itertext()))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def item_id(url: str | None, guid: str | None, source_id: str, title: str, text: str) -> str:
    """Identity from content: the canonical URL, else the source's guid, else title + text."""
    if url:
        return "u" + _digest(url)
    if guid:
        return "g" + _digest(source_id, guid)
    return "t" + _digest(source_id, title, text)


def _words(text: str, limit: int) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(folded)[:limit])


def fingerprint(title: str, summary: str, published: datetime | None) -> str | None:
    """The same story from two sources: the same title words and the same opening
    (the first 12 words of the text), or, for an item with little text, the same
    title on the same day. None when there is too little to tell stories apart."""
    title_words = _words(title, 40)
    if sum(1 for w in title_words.split() if sum(c.isalpha() for c in w) >= 2) < 3:
        return None  # "v0.6.0", "b4521": too little to tell two repositories' releases apart
    opening = _words(summary, 12)
    if len(opening.split()) >= 8:
        return "f" + _digest(title_words, opening)
    if published is not None:
        return "f" + _digest(title_words, published.date().isoformat())
    return None


def content_hash(item_fields: dict[str, object]) -> str:
    """A hash of what a reader would see change (not the volatile counters)."""
    return _digest(json.dumps(item_fields, sort_keys=True, default=str))


def normalize_entry(entry: RawEntry, *, source_id: str, kind: str, base_url: str,
                    now: datetime) -> Item | None:
    """One ``RawEntry`` to an ``Item``; None when it has neither a title, a text nor a link."""
    url = canonical_url(entry.link, base_url)
    summary = html_to_text(entry.summary_html)[:_SUMMARY_LIMIT]
    title = html_to_text(entry.title)[:500]
    if not title:
        title = summary[:120].rsplit(" ", 1)[0] if len(summary) > 120 else summary
    if not title:
        title = url or ""
    if not title:
        return None
    guid = entry.guid.strip()[:500] if entry.guid and entry.guid.strip() else None
    published = pick_published(entry.dates, now)
    pub_at = published.value if published else None
    meta = dict(entry.meta)
    stable_meta = {k: v for k, v in meta.items() if k not in VOLATILE_META}
    chash = content_hash({"title": title, "summary": summary, "url": url, "published": pub_at,
                          "author": entry.author, "categories": sorted(entry.categories),
                          "flags": sorted(entry.flags), "meta": stable_meta})
    return Item(
        item_id=item_id(url, guid, source_id, title, summary),
        source_id=source_id, kind=kind, url=url, guid=guid, title=title, summary=summary,
        author=clean_text(entry.author or "")[:200] or None, published_at=pub_at,
        published_origin=published.origin if published else None, date_candidates=entry.dates,
        categories=tuple(dict.fromkeys(c for c in map(clean_text, entry.categories) if c)),
        flags=tuple(dict.fromkeys(entry.flags)), meta=meta,
        fingerprint=fingerprint(title, summary, pub_at), content_hash=chash,
    )
