"""RSS 0.9x/1.0/2.0 and Atom, through feedparser, always on bytes.

feedparser only ever gets a byte stream (``parse(str)`` would open local paths
and URLs). Its sanitizer and relative-URI rewriting are off: they are slow and
not safe enough anyway; text is extracted later and rendering sanitizes with
nh3. Ill-formed ("bozo") documents whose entries are usable are kept, with the
problem recorded; a document with no usable entry is a parse error.
"""

from __future__ import annotations

import calendar
import io
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import feedparser

from owingest.errors import PermanentError
from owingest.models import DateCandidate, Document, ParseResult, RawEntry

__all__ = ["parse_feed"]

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
# "&" not starting an entity or character reference: ill-formed, and the lenient parser
# would turn "Q&A" into "Q&A;". Escaping them and parsing again keeps the text as written.
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
                         re.IGNORECASE | re.DOTALL)
_PRERELEASE = re.compile(r"(?:^|[-._])(rc|alpha|beta|pre|preview|dev)\d*(?:$|[-._\d])|(?:\d)(a|b|rc)\d+$",
                         re.IGNORECASE)
_NIGHTLY = re.compile(r"^b\d{3,}$|nightly", re.IGNORECASE)
_GH_RELEASE = re.compile(r"^https?://github\.com/([^/]+/[^/]+)/releases/tag/(.+)$")


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _dates(entry: Any) -> tuple[DateCandidate, ...]:
    found = []
    for key, origin in (("published_parsed", "feed:published"), ("updated_parsed", "feed:updated"),
                        ("created_parsed", "feed:created")):
        when = _struct_to_utc(dict.get(entry, key))  # plain get: no published/updated aliasing
        if when is not None:
            found.append(DateCandidate(when, origin))
    return tuple(found)


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    texts = [c.get("value", "") for c in contents if c.get("value")]
    summary = entry.get("summary", "") or ""
    # prefer the summary when present; fall back to the full content
    return summary if summary.strip() else (texts[0] if texts else "")


def _release_fields(link: str | None, title: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    match = _GH_RELEASE.match(link or "")
    if not match:
        return (), {}
    repo, tag = match.group(1), unquote(match.group(2))
    flags = []
    if _NIGHTLY.search(tag):
        flags.append("nightly")
    elif _PRERELEASE.search(tag) or re.search(r"\b(pre-?release|release candidate)\b", title, re.IGNORECASE):
        flags.append("prerelease")
    return tuple(flags), {"repo": repo, "tag": tag}


def _entry(entry: Any, is_github: bool) -> RawEntry:
    link = entry.get("link") or None
    title = entry.get("title", "") or ""
    flags: tuple[str, ...] = ()
    meta: dict[str, Any] = {}
    if is_github:
        flags, meta = _release_fields(link, title)
    tags = tuple(t.get("term", "") for t in entry.get("tags", []) if t.get("term"))
    return RawEntry(
        title=title, link=link, guid=entry.get("id") or None, summary_html=_body(entry),
        author=entry.get("author") or None, dates=_dates(entry),
        updated=_struct_to_utc(dict.get(entry, "updated_parsed")), categories=tags,
        flags=flags, meta=meta,
    )


def _declares_entities(utf8: bytes) -> bool:
    """An entity declaration anywhere in the document as feedparser reads it (UTF-8, after
    its own decoding). Anywhere means anywhere: markup can hide in comments, CDATA sections
    and processing instructions nested in ways a pattern cannot follow, and no feed has a
    reason to carry ``<!ENTITY`` raw, even in a CDATA section (escaped, ``&lt;!ENTITY``, it
    is text and passes)."""
    return _ENTITY_DECL.search(utf8) is not None


# what feedparser itself lets escape on some hostile documents (a NUL byte in the declared
# encoding name raises ValueError from codecs.lookup, for one)
_FEEDPARSER_FAILURES = (ValueError, LookupError, TypeError, IndexError, KeyError, AttributeError,
                        RecursionError)


def _failed(err: Exception, headers: dict[str, str]) -> PermanentError:
    kind = (headers.get("content-type") or "unknown type").split(";")[0].strip()
    return PermanentError("parse", f"not a usable feed ({kind}): feedparser failed: "
                                   f"{type(err).__name__}: {' '.join(str(err).split())[:120]}")


def _as_feedparser_reads_it(body: bytes, headers: dict[str, str]) -> bytes:
    """``body`` in UTF-8, decoded exactly as ``feedparser.parse`` will decode it (the same
    function, on the same headers): from UTF-16/32, EBCDIC, UTF-7, whatever it declares."""
    try:
        return bytes(feedparser.encodings.convert_to_utf8(dict(headers), body, {}))
    except _FEEDPARSER_FAILURES as err:
        raise _failed(err, headers) from err


def _feedparser(body: bytes, headers: dict[str, str]) -> Any:
    try:
        return feedparser.parse(io.BytesIO(body), response_headers=headers,
                                sanitize_html=False, resolve_relative_uris=False)
    except _FEEDPARSER_FAILURES as err:
        raise _failed(err, headers) from err


def parse_feed(document: Document, *, github_releases: bool = False) -> ParseResult:
    """Parse an RSS or Atom document into entries."""
    head = document.body[:65536]
    headers = {"content-location": document.final_url}
    if document.content_type:
        headers["content-type"] = document.content_type
    if _declares_entities(_as_feedparser_reads_it(document.body, headers)):
        raise PermanentError("parse", "document declares XML entities (refused: entity-expansion risk)")
    parsed = _feedparser(document.body, headers)
    problems = []
    if parsed.get("bozo"):
        problems.append(f"ill-formed document: {str(parsed.get('bozo_exception', ''))[:200]}")
        if _BARE_AMP.search(document.body):
            parsed = _feedparser(_BARE_AMP.sub(b"&amp;", document.body), headers)
    feed_id = str(parsed.feed.get("id", ""))
    is_github = github_releases or (feed_id.startswith("tag:github.com,2008:") and feed_id.endswith("/releases"))
    entries = [_entry(e, is_github) for e in parsed.entries]
    usable = tuple(e for e in entries if e.title.strip() or e.link or e.summary_html.strip())
    if len(usable) < len(entries):
        problems.append(f"{len(entries) - len(usable)} entries had no title, link or text")
    if not usable and (parsed.get("bozo") or not parsed.get("version")):
        kind = (document.content_type or "unknown type").split(";")[0].strip()
        if _HTML_START.match(head):
            raise PermanentError("parse", f"not a feed: the server sent an HTML page ({kind})")
        reason = problems[0] if problems else "no RSS or Atom elements"
        raise PermanentError("parse", f"not a usable feed ({kind}): {reason}")
    return ParseResult(entries=usable, problems=tuple(problems))
