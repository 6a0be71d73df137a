"""Build ``Document`` values for parser tests."""

from __future__ import annotations

from owingest.models import Document


def doc(body: bytes | str, url: str = "https://example.org/feed.xml",
        content_type: str | None = "application/xml") -> Document:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Document(url=url, final_url=url, status=200, body=data, content_type=content_type,
                    etag=None, last_modified=None)
