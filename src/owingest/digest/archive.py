"""The archive of digests: ``index.html`` listing every digest folder, and ``feed.xml`` (Atom).

Both are rebuilt from the folders on disk each time a digest is written, so they
always match what is there. An entry's ``updated`` time is the end of its period:
the same folders always give the same bytes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from owingest.digest.html import CSS, csp, page_environment
from owingest.digest.present import number
from owingest.digest.writefile import write_text

__all__ = ["Entry", "entries", "render_feed", "render_index", "update_archive"]

_LABEL = re.compile(r"^(\d{4}-W\d{2}|\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2})$")
_FILES = ("digest.html", "digest.md", "digest.json")
_ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 52


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    files: tuple[str, ...]
    since: str
    until: str
    items: str
    on_topic: str
    releases: str
    top: tuple[str, ...]  # the first story title of each topic section

    @property
    def html(self) -> bool:
        return "digest.html" in self.files


def _read(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _entry(folder: Path) -> Entry:
    data = _read(folder)
    period = data.get("period") or {}
    current = (data.get("headline") or {}).get("current") or {}
    top = tuple(
        str(s["stories"][0].get("title", ""))
        for s in data.get("sections") or []
        if isinstance(s, dict) and s.get("stories")
    )
    since = period.get("since") or f"{folder.name[:10]}T00:00:00Z"
    return Entry(
        label=folder.name,
        files=tuple(f for f in _FILES if (folder / f).exists()),
        since=since,
        until=period.get("until") or since,
        items=number(current.get("items")),
        on_topic=number(current.get("on_topic")),
        releases=number(current.get("releases")),
        top=top,
    )


def entries(root: Path) -> list[Entry]:
    """Every digest folder under ``root``, newest period first."""
    found = (
        [
            _entry(p)
            for p in root.iterdir()
            if p.is_dir() and _LABEL.match(p.name) and any((p / f).exists() for f in _FILES)
        ]
        if root.is_dir()
        else []
    )
    return sorted(found, key=lambda e: (e.since, e.label), reverse=True)


def render_index(found: list[Entry]) -> str:
    return (
        page_environment()
        .get_template("index.html.j2")
        .render(csp=csp(), css=Markup(CSS), entries=found)
    )


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{_ATOM}}}{tag}", attrs)
    node.text = text
    return node


_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json"}


def _numbers(e: Entry) -> str:
    if e.items == "n/a":  # written without digest.json: no numbers to quote
        return "the week's digest"
    said = f"{e.items} items, {e.on_topic} on topic"
    return said + ("" if e.releases == "n/a" else f", {e.releases} new releases")


def render_feed(found: list[Entry]) -> str:
    ET.register_namespace("", _ATOM)
    feed = ET.Element(f"{{{_ATOM}}}feed")
    _text(feed, "title", "owingest weekly digest")
    _text(feed, "id", "urn:owingest:digests")
    _text(feed, "updated", max((e.until for e in found), default="1970-01-01T00:00:00Z"))
    author = ET.SubElement(feed, f"{{{_ATOM}}}author")
    _text(author, "name", "owingest")
    ET.SubElement(feed, f"{{{_ATOM}}}link", {"rel": "self", "href": "feed.xml"})
    for e in found[:FEED_ENTRIES]:
        entry = ET.SubElement(feed, f"{{{_ATOM}}}entry")
        _text(entry, "title", f"owingest digest {e.label}: {_numbers(e)}")
        _text(entry, "id", f"urn:owingest:digest:{e.label}")
        _text(entry, "updated", e.until)
        main = "digest.html" if e.html else (e.files[0] if e.files else "")
        ET.SubElement(
            entry,
            f"{{{_ATOM}}}link",
            {
                "rel": "alternate",
                "href": f"{e.label}/{main}",
                "type": _TYPES[main.rsplit(".", 1)[-1]],
            },
        )
        lead = "; ".join(t for t in e.top if t)
        _text(
            entry,
            "summary",
            f"{_numbers(e)}." + (f" Leading: {lead}" if lead else ""),
            type="text",
        )
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def update_archive(root: Path) -> list[Path]:
    """Rewrite ``root/index.html`` and ``root/feed.xml`` from the digest folders."""
    found = entries(root)
    return [
        write_text(root / "index.html", render_index(found)),
        write_text(root / "feed.xml", render_feed(found)),
    ]
