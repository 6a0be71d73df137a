"""Feed text made safe to carry: plain text without control characters, http(s) URLs only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["plain", "safe_url", "snippet"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def plain(text: str | None) -> str:
    """One line of text: control characters gone, whitespace collapsed."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", text or "")).strip()


def snippet(text: str | None, limit: int = 280) -> str:
    """The opening of ``text``, cut at a word boundary, with an ellipsis when cut."""
    flat = plain(text)
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http or https URL without spaces or quotes, else None."""
    if not url or _CONTROL.search(url) or any(c in url for c in " \"'<>`\\"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None
