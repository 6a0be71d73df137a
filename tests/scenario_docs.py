"""Documents for the ingest scenario table: well-formed feeds and Hub pages, and hostile XML."""

from __future__ import annotations

import json
from pathlib import Path

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
DATE = "Mon, 23 Nov 2026 09:00:00 GMT"


def rss_items(tag: str, n: int, *, date: str = DATE) -> str:
    """``n`` items titled "<tag> post <i>", each with a link, a date and a short text."""
    slug = "".join(c if c.isalnum() else "-" for c in tag.encode("ascii", "ignore").decode()) or "x"
    return "".join(
        f"<item><title>{tag} post {i}</title><link>https://{slug}.example/posts/{i}</link>"
        f"<pubDate>{date}</pubDate><description>About {tag} {i}: weights.</description></item>"
        for i in range(n)
    )


def rss(items: str, *, declare: str = "utf-8", author: str = "") -> bytes:
    """An RSS 2.0 channel around ``items``, always UTF-8 on the wire, declaring ``declare``."""
    return (
        f'<?xml version="1.0" encoding="{declare}"?>\n<rss version="2.0"><channel>'
        f"<title>Lab</title><link>https://lab.example/</link>{author}{items}</channel></rss>\n"
    ).encode()


def atom(tag: str, n: int) -> bytes:
    entries = "".join(
        f"<entry><title>{tag} entry {i}</title><id>urn:{tag}:{i}</id>"
        f"<link href='https://{tag}.example/e/{i}'/><updated>2026-11-2{i % 9}T10:00:00Z</updated>"
        f"<summary>Entry {i} of {tag}.</summary></entry>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{tag}</title><id>urn:{tag}</id><updated>2026-11-29T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def hub_page(*repos: str) -> bytes:
    return json.dumps(
        [
            {
                "id": repo,
                "author": repo.split("/")[0],
                "createdAt": "2026-11-20T10:00:00.000Z",
                "tags": ["license:apache-2.0", "text-generation"],
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "downloads": 10,
                "likes": 2,
            }
            for repo in repos
        ]
    ).encode()


def entity_bomb(encoding: str = "utf-8", levels: int = 9, *, hidden: bool = False) -> bytes:
    """Billion laughs: each entity ten of the one before, one declaration per line. The item
    title also names the first entity twice (a declaration feedparser would keep), and its link
    is its own (no other bomb's item hides it as a duplicate). With ``hidden``, the DOCTYPE
    sits between two comments holding the halves of a CDATA marker, so a check that first
    removes CDATA sections removes the DOCTYPE with them."""
    decls = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    doctype = "<!DOCTYPE rss [\n" + "\n".join(decls) + "\n]>\n"
    if hidden:
        doctype = f"<!-- <![CDATA[ -->{doctype}<!-- ]]> -->"
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}'
        f'<rss version="2.0"><channel><title>&lol{levels - 1};</title><item>'
        f"<title>Bomb &lol{levels - 1}; &lol0;&lol0;</title>"
        f"<link>https://bomb.example/{encoding}{'-hidden' if hidden else ''}</link>"
        "</item></channel></rss>\n"
    )
    return text.encode(encoding)


def xxe(target: Path, *, padding: int = 0) -> bytes:
    """An external entity naming a local file, optionally after a long comment (so that the
    DOCTYPE is far from the start), referenced in a title and a description."""
    pad = f"<!--{' ' * padding}-->" if padding else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{pad}<!DOCTYPE rss [<!ENTITY leak SYSTEM "file://{target}">]>'
        '<rss version="2.0"><channel><title>XXE</title><item><title>Leak &leak; here</title>'
        "<link>https://xxe.example/1</link><description>&leak;</description></item></channel></rss>"
    ).encode()
