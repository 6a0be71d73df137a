"""Deterministic documents of realistic size, built from the repository's training texts.

Every benchmark feeds the real code these bytes, so they look like what owingest reads:

* ``rss``: a WordPress-like RSS 2.0 feed (title, link, comments, dc:creator, pubDate, three
  categories, guid, and an entity-escaped ~2 KB HTML description with a figure, links, a
  list, ``style``/``onclick`` attributes and a ``<script>``); 50 items is about 150 KB.
* ``atom``: Atom entries with a text summary and a ~2 KB ``content type="html"``.
* ``github``: a GitHub ``releases.atom`` (10 entries, ~6 KB of release notes each).
* ``hub``: one Hub ``/api/models`` page (100 repositories, the real field set).
* ``html``: a blog listing page (50 article cards in ~120 KB of markup).

Titles and summaries come from ``data/training/*.jsonl`` (the domain's own wording, so
classification and normalization see realistic text). ``version`` changes every text a
little, which is how a benchmark makes "changed" items.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from functools import cache
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "data" / "training"
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
CONTENT_TYPES = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "github": ATOM_TYPE, "hub": JSON_TYPE,
                 "html": HTML_TYPE}


@cache
def texts() -> tuple[tuple[str, str], ...]:
    """(title, summary) of every training record, in file order."""
    found = []
    for path in sorted(TRAINING.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                found.append((obj["title"].strip(), " ".join(obj["summary"].split())))
    return tuple(found)


def _text(n: int, version: int) -> tuple[str, str]:
    """Text number ``n``; past the corpus, titles get a part number so that every ``n`` is a
    different story (owingest merges items with the same title and opening)."""
    title, summary = texts()[n % len(texts())]
    if n >= len(texts()):
        title = f"{title} (part {n // len(texts()) + 1})"
    if version:
        summary = f"{summary} (Update {version}.)"
    return title, summary


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:60] or "post"


def _rich_html(rng: random.Random, host: str, slug: str, summary: str, size: int = 2000) -> str:
    """~``size`` characters of the HTML a CMS puts in a feed: the summary first."""
    parts = [
        (f'<figure class="wp-block-image"><img src="https://{host}/wp-content/uploads/2026/11/{slug}.png" '
         f'alt="{escape(slug)}" width="1024" height="576" style="border:0" onclick="track(this)"/>'
         "<figcaption>Figure 1.</figcaption></figure>"),
        f"<p>{escape(summary)}</p>",
        (f'<p>Read the <a href="https://{host}/posts/{slug}/?utm_source=rss&amp;utm_medium=feed">'
         f'full post</a> and the <a href="https://arxiv.org/abs/25{rng.randrange(1, 13):02d}.'
         f'{rng.randrange(10000, 99999)}">paper</a>.</p>'),
        "<ul>" + "".join(f"<li>{escape(t)}</li>" for t, _ in
                         (_text(rng.randrange(10**6), 0) for _ in range(3))) + "</ul>",
        "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'event':'rss'});</script>",
    ]
    while sum(map(len, parts)) < size:
        parts.append(f"<p>{escape(_text(rng.randrange(10**6), 0)[1])}</p>")
    return "\n".join(parts)


def rss(n_items: int = 50, *, seed: int = 0, host: str = "lab.example", version: int = 0) -> bytes:
    """A WordPress-like RSS 2.0 feed of ``n_items`` items (~3 KB each)."""
    rng = random.Random(seed)
    items = []
    for i in range(n_items):
        title, summary = _text((seed * 5 + 0) * 100 + i, version)
        slug = f"{_slug(title)}-{seed}-{i}"
        when = (EPOCH - timedelta(hours=7 * i + seed)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        cats = "".join(f"<category><![CDATA[{c}]]></category>"
                       for c in rng.sample(["Research", "Open Source", "Models", "Safety", "Infra",
                                            "Announcements", "Engineering"], 3))
        items.append(
            f"<item><title>{escape(title)}</title><link>https://{host}/posts/{slug}/</link>"
            f"<comments>https://{host}/posts/{slug}/#respond</comments>"
            f"<dc:creator><![CDATA[Author {rng.randrange(40)}]]></dc:creator><pubDate>{when}</pubDate>"
            f'{cats}<guid isPermaLink="false">https://{host}/?p={seed * 10000 + i}</guid>'
            f"<description>{escape(_rich_html(rng, host, slug, summary))}</description></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Lab {seed} blog</title><link>https://{host}/</link>"
            f"<description>News from lab {seed}</description><language>en-US</language>\n"
            + "\n".join(items) + "\n</channel></rss>\n").encode("utf-8")


def atom(n_items: int = 50, *, seed: int = 0, host: str = "lab.example", version: int = 0) -> bytes:
    """An Atom feed of ``n_items`` entries (text summary + ~2 KB HTML content)."""
    rng = random.Random(seed + 7)
    entries = []
    for i in range(n_items):
        title, summary = _text((seed * 5 + 1) * 100 + i, version)
        slug = f"{_slug(title)}-{seed}-{i}"
        when = (EPOCH - timedelta(hours=5 * i + seed)).isoformat().replace("+00:00", "Z")
        entries.append(
            f"<entry><title>{escape(title)}</title><id>tag:{host},2026:{seed}-{i}</id>"
            f'<link rel="alternate" type="text/html" href="https://{host}/blog/{slug}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f"<author><name>Author {rng.randrange(40)}</name></author>"
            f'<category term="{rng.choice(["research", "release", "safety", "infra"])}"/>'
            f"<summary type=\"text\">{escape(summary[:300])}</summary>"
            f'<content type="html">{escape(_rich_html(rng, host, slug, summary))}</content></entry>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Lab {seed} research</title><id>https://{host}/</id>"
            f'<link rel="self" href="https://{host}/atom.xml"/><updated>{EPOCH.isoformat()}</updated>\n'
            + "\n".join(entries) + "\n</feed>\n").encode("utf-8")


def github(n_items: int = 10, *, seed: int = 0, version: int = 0) -> bytes:
    """A GitHub ``releases.atom`` of ``n_items`` releases with ~6 KB release notes each."""
    rng = random.Random(seed + 11)
    repo = f"org{seed}/engine{seed}"
    entries = []
    for i in range(n_items):
        tag = f"v0.{40 - i}.{rng.randrange(4)}" + ("rc1" if i % 4 == 1 else "")
        _, summary = _text((seed * 5 + 2) * 100 + i, version)
        lines = [f"<h2>Highlights</h2><p>{escape(summary)}</p><h2>What's Changed</h2><ul>"]
        while sum(map(len, lines)) < 6000:
            pr = rng.randrange(1000, 30000)
            lines.append(f"<li>[Model] {escape(_text(rng.randrange(10**6), 0)[0])} by "
                         f'<a class="user-mention notranslate" href="https://github.com/dev{pr % 97}">'
                         f'@dev{pr % 97}</a> in <a class="issue-link js-issue-link" '
                         f'href="https://github.com/{repo}/pull/{pr}">#{pr}</a></li>')
        lines.append("</ul>")
        when = (EPOCH - timedelta(days=6 * i + seed)).isoformat().replace("+00:00", "Z")
        entries.append(
            f"<entry><id>tag:github.com,2008:Repository/{600000 + seed}/{tag}</id><updated>{when}</updated>"
            f'<link rel="alternate" type="text/html" href="https://github.com/{repo}/releases/tag/{tag}"/>'
            f"<title>{tag}</title><content type=\"html\">{escape(''.join(lines))}</content>"
            f"<author><name>releaser{seed}</name></author></entry>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-US">'
            f"<id>tag:github.com,2008:https://github.com/{repo}/releases</id>"
            f"<title>Release notes from engine{seed}</title><updated>{EPOCH.isoformat()}</updated>\n"
            + "\n".join(entries) + "\n</feed>\n").encode("utf-8")


def hub(n_items: int = 100, *, seed: int = 0, version: int = 0) -> bytes:
    """One page of the Hub model listing API: ``n_items`` repositories."""
    rng = random.Random(seed + 13)
    org = f"lab{seed}"
    models = []
    for i in range(n_items):
        size, variant = rng.choice(["7B", "14B", "70B", "1.5B"]), rng.choice(["Instruct", "Base", "GGUF"])
        name = f"{org}/Model{seed}-{i}-{size}-{variant}"
        base = f"{org}/Model{seed}-{i}-Base"
        tags = ["transformers", "safetensors", rng.choice(["llama", "qwen3", "mistral"]), "text-generation",
                "conversational", f"arxiv:25{rng.randrange(1, 13):02d}.{rng.randrange(10000, 99999)}",
                f"base_model:{'finetune' if i % 3 else 'quantized'}:{base}", f"base_model:{base}",
                f"license:{rng.choice(['apache-2.0', 'mit', 'llama3.1', 'other'])}",
                "endpoints_compatible", "region:us"]
        created = EPOCH - timedelta(hours=9 * i + seed)
        models.append({"_id": f"{seed:04x}{i:020x}", "id": name, "likes": rng.randrange(1000),
                       "trendingScore": rng.randrange(50), "private": False,
                       "downloads": rng.randrange(10**6) + version, "tags": tags,
                       "pipeline_tag": "text-generation", "library_name": "transformers",
                       "createdAt": created.isoformat().replace("+00:00", ".000Z"), "modelId": name})
    return json.dumps(models, separators=(",", ":")).encode("utf-8")


def html_listing(n_items: int = 50, *, seed: int = 0, host: str = "lab.example") -> bytes:
    """A blog index page: header, navigation and ``n_items`` article cards (~2.4 KB each)."""
    rng = random.Random(seed + 17)
    cards = []
    for i in range(n_items):
        title, summary = _text((seed * 5 + 4) * 100 + i, 0)
        slug = f"{_slug(title)}-{i}"
        day = (EPOCH - timedelta(days=3 * i)).date().isoformat()
        cards.append(
            f'<article class="card card--post" data-id="{i}"><a class="card__link" href="/news/{slug}">'
            f'<div class="card__media"><img src="/img/{slug}.webp" loading="lazy" alt=""></div>'
            f'<div class="card__body"><span class="tag">{rng.choice(["Research", "Product", "Company"])}</span>'
            f"<h3>{escape(title)}</h3><time datetime=\"{day}\">{day}</time>"
            f"<p>{escape(summary)}</p></div></a>"
            + "".join(f'<div class="share"><button aria-label="share {k}" class="btn btn--icon">'
                      f'<svg viewBox="0 0 24 24"><path d="M{k} 0L24 12L{k} 24Z"/></svg></button></div>'
                      for k in range(8)) + "</article>")
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(60))
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>News</title>"
            "<script>window.__state={};</script><style>.card{display:block}</style></head><body>"
            f"<header><nav><ul>{nav}</ul></nav></header><main><h1>News</h1>"
            + "".join(cards) + "</main><footer>© lab</footer></body></html>").encode("utf-8")


@cache
def _cache_dir() -> Path:
    """benchmarks/.cache/docs/<hash of this file and the training texts>/ (building a feed
    takes ~10 ms; a suite run needs about a thousand of them)."""
    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=6)
    for path in sorted(TRAINING.glob("*.jsonl")):
        digest.update(f"{path.name}:{path.stat().st_size}".encode())
    folder = Path(__file__).resolve().parent / ".cache" / "docs" / digest.hexdigest()
    if not folder.exists() and folder.parent.exists():
        for stale in folder.parent.iterdir():  # documents of an older fixtures.py
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def document(kind: str, seed: int = 0, version: int = 0, items: int | None = None) -> bytes:
    """The document of ``kind`` (rss, atom, github, hub, html) for source number ``seed``
    (cached on disk under benchmarks/.cache/)."""
    path = _cache_dir() / f"{kind}-{seed}-{version}-{items or 0}"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    body = _build(kind, seed, version, items)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)
    return body


def _build(kind: str, seed: int, version: int, items: int | None) -> bytes:
    if kind == "rss":
        return rss(items or 50, seed=seed, host=f"lab{seed}.example", version=version)
    if kind == "atom":
        return atom(items or 50, seed=seed, host=f"lab{seed}.example", version=version)
    if kind == "github":
        return github(items or 10, seed=seed, version=version)
    if kind == "hub":
        return hub(items or 100, seed=seed, version=version)
    if kind == "html":
        return html_listing(items or 50, seed=seed, host=f"lab{seed}.example")
    raise ValueError(kind)
