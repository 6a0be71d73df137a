"""Serve a bundled snapshot through the real fetch code: an httpx transport.

A snapshot is a folder tree with ``index.yaml`` files listing, for each URL,
the file to answer with and its headers::

    documents:
      - url: https://huggingface.co/blog/feed.xml
        file: huggingface-blog.xml
        content_type: application/rss+xml; charset=utf-8
        last_modified: "Mon, 23 Nov 2026 09:12:00 GMT"   # optional
        status: 200                                      # optional
        headers: {Link: '<...>; rel="next"'}             # optional

The ETag is a hash of the file's bytes, and the transport answers 304 to a
matching ``If-None-Match`` (or, without one, a not-older ``If-Modified-Since``),
so a second replay run exercises conditional GET exactly as a live one would.
URLs not in the snapshot get 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import yaml

from owingest.errors import ConfigError

__all__ = ["ReplayTransport", "load_snapshot"]


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    status: int
    headers: dict[str, str]


def _url_key(url: str) -> str:
    return str(httpx.URL(url))


def load_snapshot(root: Path) -> dict[str, _Entry]:
    """Read every ``index.yaml`` below ``root``; errors name the index and the entry."""
    if not root.is_dir():
        raise ConfigError(f"{root}: replay snapshot folder not found")
    table: dict[str, _Entry] = {}
    for index in sorted(root.rglob("index.yaml")):
        try:
            docs = (yaml.safe_load(index.read_text(encoding="utf-8")) or {}).get("documents", [])
        except (yaml.YAMLError, AttributeError) as err:
            raise ConfigError(f"{index}: not a valid snapshot index: {err}") from err
        for n, doc in enumerate(docs, 1):
            try:
                path = index.parent / doc["file"]
                headers = {str(k): str(v) for k, v in (doc.get("headers") or {}).items()}
                if doc.get("content_type"):
                    headers["Content-Type"] = str(doc["content_type"])
                if doc.get("last_modified"):
                    headers["Last-Modified"] = str(doc["last_modified"])
                table[_url_key(doc["url"])] = _Entry(path, int(doc.get("status", 200)), headers)
            except (KeyError, TypeError, ValueError) as err:
                raise ConfigError(f"{index}: document #{n}: missing or invalid field {err}") from err
            if not path.is_file():
                raise ConfigError(f"{index}: document #{n}: file {doc['file']!r} not found")
    if not table:
        raise ConfigError(f"{root}: no index.yaml with documents in the replay snapshot")
    return table


def _not_modified(request: httpx.Request, etag: str, last_modified: str | None) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = request.headers.get("if-modified-since")
    if ims and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers requests from a snapshot folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self._table = load_snapshot(root)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        entry = self._table.get(_url_key(str(request.url)))
        if entry is None:
            return httpx.Response(404, content=b"not in the replay snapshot", request=request)
        body = entry.path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = dict(entry.headers, ETag=etag)
        if entry.status == 200 and _not_modified(request, etag, entry.headers.get("Last-Modified")):
            return httpx.Response(304, headers={"ETag": etag}, request=request)
        headers["Content-Length"] = str(len(body))
        # a stream, not ``content=``: the fetcher reads raw bytes as from a socket
        return httpx.Response(entry.status, headers=headers, stream=httpx.ByteStream(body),
                              request=request)
