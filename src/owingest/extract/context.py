"""Context length as a text states it: "128K context", "a 1M-token window", "context of 256K
tokens", "256K native, 1M via extrapolation" (the native figure wins)."""

from __future__ import annotations

import re

__all__ = ["context_tokens"]

_FLAGS = re.IGNORECASE
_CTX = re.compile(r"(?<![\w.$€£¥])(?:(\d+(?:\.\d+)?)\s?(k|m|thousand|million)(?![a-z])"
                  r"|(one|two|ten)[- ]million(?=[- ]tokens?)"
                  r"|(\d{1,3}(?:,\d{3})+|\d{4,7})(?=[- ]tokens?\b))", _FLAGS)
_CTX_UNIT = {"k": 1024, "thousand": 1024, "m": 1024**2, "million": 1024**2}
_WORDS = {"one": 1, "two": 2, "ten": 10}
_CTX_AFTER = re.compile(r"[- ]?(?:tokens?[- ](?:of[- ])?)?(?:native[- ])?(?:context|window|ctx)\b"
                        r"|[- ]native\b", _FLAGS)
_CTX_BEFORE = re.compile(r"(?:context|window)(?: length| window)?(?: of| up to| goes up to| to| is)?"
                         r"(?: about| up to)?\s*$", _FLAGS)
_CTX_TOKENS = re.compile(r"[- ]tokens?\b(?!\s*(?:/|per\b|of\b(?! context)|vocabular|input|output|budget))",
                         _FLAGS)
_EXTRAPOLATED = re.compile(r"(?:stretch\w*|extend\w*|extrapolat\w*|yarn|via|scal\w*)\s+(?:to\s+)?$"
                           r"|^\S*\s+(?:via|with)\s+(?:yarn|extrapolation|rope)", _FLAGS)


def _context_value(m: re.Match[str]) -> int:
    if m.group(1):
        return int(float(m.group(1)) * _CTX_UNIT[m.group(2).lower()])
    if m.group(3):
        return _WORDS[m.group(3).lower()] * 1024**2
    return int(m.group(4).replace(",", ""))


def context_tokens(text: str) -> int | None:
    """The context length a text states, in tokens: K and M are binary (128K = 131072), as
    model configurations give them; a native figure wins over an extrapolated one."""
    native: list[int] = []
    plain: list[int] = []
    extrapolated: list[int] = []
    for m in _CTX.finditer(text):
        after, before = text[m.end():m.end() + 40], text[max(0, m.start() - 40):m.start()]
        if not (_CTX_AFTER.match(after) or _CTX_BEFORE.search(before) or _CTX_TOKENS.match(after)):
            continue
        value = _context_value(m)
        if not 1024 <= value <= 100 * 1024**2:
            continue
        if _EXTRAPOLATED.search(before) or _EXTRAPOLATED.search(after):
            extrapolated.append(value)
        else:
            (native if "native" in (before[-25:] + after[:12]).lower() else plain).append(value)
    best = native or plain or extrapolated
    return max(best) if best else None
