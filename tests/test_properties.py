"""Property-based tests (hypothesis): the pure functions and the parsers, on generated and
mutated inputs, never raise anything but their documented errors, and keep their promises
(canonical URLs are idempotent, dates come out in UTC, text comes out plain).

Example counts are modest (the machine has two cores); ``HYPOTHESIS_PROFILE=thorough`` runs
ten times as many.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from owingest.config import HtmlSelectors
from owingest.errors import PermanentError
from owingest.models import DateCandidate, Document, RawEntry
from owingest.normalize import canonical_url, clean_text, html_to_text, normalize_entry, parse_date
from owingest.parse.feed import parse_feed
from owingest.parse.html import parse_article, parse_listing
from owingest.parse.hub import parse_hub_listing
from tests.scenario_docs import atom, hub_page, rss, rss_items

settings.register_profile(
    "default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_TAG_LIKE = re.compile(r"<[A-Za-z!/?]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# ---- URLs ------------------------------------------------------------------------------------

_host = st.one_of(
    st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9.-]{0,20}", fullmatch=True),
    st.sampled_from(
        [
            "Lab.Example.COM.",
            "[::1]",
            "[2001:db8::1]",
            "127.0.0.1",
            "xn--bcher-kva.example",
            "bücher.example",
            "[v1.x]",
            "[",
            "a:b",
            "ex%41mple.com",
            "",
        ]
    ),
)
_port = st.one_of(
    st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), st.sampled_from([":", ":x", ":80"])
)
_path = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_query = st.lists(
    st.tuples(
        st.sampled_from(["utm_source", "id", "a", "fbclid", "Q", "x y", "%20", "&"]),
        st.text(max_size=6),
    ),
    max_size=4,
)
_urls = st.builds(
    lambda scheme, host, port, path, query, frag: (
        f"{scheme}://{host}{port}/{path}"
        + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
        + (f"#{frag}" if frag else "")
    ),
    st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", "file", ""]),
    _host,
    _port,
    _path,
    _query,
    st.text(max_size=5),
)
_any_url = st.one_of(_urls, st.text(max_size=40))


@given(_any_url, st.one_of(st.none(), _urls))
@example("http://a:99999/", None)
@example("http://[::1/", None)
@example("//evil.example/x", "https://lab.example/a")
def test_canonical_url_never_raises_and_is_idempotent(url: str, base: str | None) -> None:
    once = canonical_url(url, base)
    if once is None:
        return
    assert canonical_url(once) == once
    parts = urlsplit(once)
    assert parts.scheme in ("http", "https") and parts.hostname
    assert parts.fragment == "" and "#" not in once
    assert not any(
        k.lower().startswith("utm_") or k.lower() == "fbclid"
        for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    )


@given(
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}\.example", fullmatch=True),
    st.from_regex(r"(/[a-zA-Z0-9._~-]{1,8}){0,3}", fullmatch=True),
)
def test_canonical_url_keeps_a_clean_url_as_it_is(scheme: str, host: str, path: str) -> None:
    url = f"{scheme}://{host}{path or '/'}"
    assert canonical_url(url) == url
    assert canonical_url(url.upper().replace(path.upper(), path) if path else url.upper()) == url


# ---- dates -----------------------------------------------------------------------------------


@given(st.text(max_size=60))
@example("Mon, 32 Nov 2026 09:00:00 GMT")
@example("99999999999999999999")
@example("2026-02-30T10:00:00Z")
@example("Tue, 01 Jan 2999 00:00:00 +2500")
def test_parse_date_never_raises_and_gives_utc(text: str) -> None:
    when = parse_date(text)
    assert when is None or (isinstance(when, datetime) and when.utcoffset() == timedelta(0))


_aware = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)


@given(_aware)
def test_dates_in_the_feed_formats_read_back_as_the_same_instant(when: datetime) -> None:
    exact = when.replace(microsecond=0)
    assert parse_date(exact.isoformat()) == exact.astimezone(UTC)
    assert parse_date(format_datetime(exact)) == exact.astimezone(UTC)  # RFC 822, as RSS has it
    assert parse_date(exact.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")) == exact.astimezone(UTC)


# ---- text ------------------------------------------------------------------------------------

_markup = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<script>alert(1)</script>",
                "&lt;script&gt;",
                "&amp;lt;b&amp;gt;",
                "<img src=x onerror=alert(1)",
                "<",
                ">",
                "&",
                "&#0;",
                "&#x7f;",
                "\x00",
                "\x85",
                "<!--",
                "-->",
                "<![CDATA[",
                "]]>",
                "<a href='javascript:x'>",
                "text",
                " ",
                "\n",
                "<<a>script>",
                "<svg/onload=alert(1)>",
                "&nbsp;",
                "Café",
            ]
        ),
        max_size=12,
    ).map("".join),
)


def _plain(text: str) -> None:
    assert not _TAG_LIKE.search(text), text
    assert not _CONTROL.search(text), text
    assert text == text.strip() and "  " not in text and "\n" not in text
    assert [e.tag for e in lxml.html.fragment_fromstring(f"<div>{text}</div>").iter()] == ["div"]


@given(_markup)
@example("&lt;script&gt;alert(1)&lt;/script&gt;")
@example("<p>&amp;lt;img src=x onerror=alert(1)&amp;gt;</p>")
def test_html_to_text_gives_one_line_of_plain_text(fragment: str) -> None:
    text = html_to_text(fragment)
    _plain(text)
    assert "alert(1)</script>" not in text


@given(_markup)
def test_clean_text_is_plain_and_idempotent(text: str) -> None:
    once = clean_text(text)
    _plain(once)
    assert clean_text(once) == once


_entries = st.builds(
    RawEntry,
    title=_markup,
    link=st.one_of(st.none(), _any_url),
    guid=st.one_of(st.none(), st.text(max_size=20)),
    summary_html=_markup,
    author=st.one_of(st.none(), _markup),
    dates=st.lists(
        st.builds(DateCandidate, st.datetimes(timezones=st.just(UTC)), st.just("feed:published")),
        max_size=2,
    ).map(tuple),
    categories=st.lists(_markup, max_size=3).map(tuple),
)


@given(_entries)
def test_normalize_entry_never_raises_and_stores_plain_text(entry: RawEntry) -> None:
    item = normalize_entry(
        entry, source_id="s", kind="feed", base_url="https://lab.example/feed", now=NOW
    )
    if item is None:
        return
    for text in (item.title, item.summary, item.author or "", *item.categories):
        _plain(text)
    assert item.url is None or item.url.startswith(("http://", "https://"))
    assert item.published_at is None or datetime(
        1990, 1, 1, tzinfo=UTC
    ) <= item.published_at <= NOW + timedelta(1)
    again = normalize_entry(
        entry, source_id="s", kind="feed", base_url="https://lab.example/feed", now=NOW
    )
    assert again is not None and (again.item_id, again.content_hash) == (
        item.item_id,
        item.content_hash,
    )


# ---- parsers on mutated documents ------------------------------------------------------------


def _doc(body: bytes, content_type: str | None = "application/rss+xml") -> Document:
    return Document(
        "https://lab.example/feed", "https://lab.example/feed", 200, body, content_type, None, None
    )


SEEDS = [
    rss(rss_items("Seed", 3)),
    atom("seed", 3),
    rss(rss_items("Zoë", 2), declare="windows-1252"),
    b"\xef\xbb\xbf" + rss(rss_items("bom", 1)),
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed document, then a few byte-level edits: flips, cuts, insertions, encoding swaps."""
    body = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "swap-encoding", "bom"]))
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "flip" and body:
            body[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del body[at : at + draw(st.integers(1, 40))]
        elif op == "insert":
            body[at:at] = draw(
                st.sampled_from(
                    [
                        b"\x00",
                        b"\xff\xfe",
                        b"&",
                        b"<",
                        b"]]>",
                        b"<![CDATA[",
                        b"&#0;",
                        b"<!ENTITY x 'y'>",
                        b"\xc3",
                        b"<item>",
                        b"</channel>",
                        b"&bogus;",
                    ]
                )
            )
        elif op == "truncate":
            del body[at:]
        elif op == "swap-encoding":
            body = bytearray(
                bytes(body).replace(
                    b"utf-8",
                    draw(
                        st.sampled_from(
                            [
                                b"utf-16",
                                b"iso-8859-1",
                                b"bogus-8",
                                b"utf-32",
                                b"shift_jis",
                                b"ascii",
                            ]
                        )
                    ),
                    1,
                )
            )
        else:
            body[0:0] = draw(
                st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"])
            )
    return bytes(body)


@example(b'<?xml version="1.0" encoding="\x00utf-8"?><rss version="2.0"></rss>', "application/rss+xml")
@given(
    mutated(SEEDS),
    st.sampled_from(
        ["application/rss+xml", "text/html", None, "application/rss+xml; charset=utf-16"]
    ),
)
def test_the_feed_parser_only_raises_its_own_error(body: bytes, content_type: str | None) -> None:
    try:
        result = parse_feed(_doc(body, content_type))
    except PermanentError as err:
        assert str(err).startswith("parse: ") and "\n" not in str(err)
        return
    assert result.entries
    for entry in result.entries:
        assert entry.title.strip() or entry.link or entry.summary_html.strip()


@given(st.binary(max_size=400))
def test_the_feed_parser_on_random_bytes(body: bytes) -> None:
    try:
        parse_feed(_doc(body))
    except PermanentError:
        pass


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "modelId",
                    "tags",
                    "createdAt",
                    "author",
                    "downloads",
                    "gated",
                    "likes",
                    "pipeline_tag",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(_json)
def test_the_hub_parser_on_any_json(data: object) -> None:
    try:
        result = parse_hub_listing(_doc(json.dumps(data).encode(), "application/json"))
    except PermanentError as err:
        assert str(err).startswith("parse: Hub listing should be a JSON array")
        return
    for entry in result.entries:
        assert entry.link is not None and entry.link.startswith("https://huggingface.co/")


@given(mutated([hub_page("lab/A-7B", "lab/B-1B"), b'[{"id": "x/y", "tags": ["license:mit"]}]']))
def test_the_hub_parser_on_mutated_pages(body: bytes) -> None:
    try:
        parse_hub_listing(_doc(body, "application/json"))
    except PermanentError as err:
        assert str(err).startswith("parse: Hub listing ")


HTML_SEEDS = [
    (
        b"<!DOCTYPE html><html><head><title>News</title><meta property='article:published_time' "
        b"content='2026-11-20T08:00:00Z'><script type='application/ld+json'>{\"datePublished\": \"2026-11-19\"}"
        b"</script></head><body><article><a href='/p/1'><h2>One</h2></a><time datetime='2026-11-20'>x</time>"
        b"<p>Text</p></article><article><a href='https://x.example/2'><h2>Two</h2></a></article></body></html>"
    ),
]


@given(mutated(HTML_SEEDS))
def test_the_html_parsers_on_mutated_pages(body: bytes) -> None:
    doc = _doc(body, "text/html")
    try:
        result = parse_listing(
            doc, HtmlSelectors(item="article", link="a", title="h2", date="time", summary="p")
        )
    except PermanentError as err:
        assert str(err).startswith("parse: no element matches")
    else:
        assert all(e.link and e.link.startswith(("http://", "https://")) for e in result.entries)
    meta = parse_article(doc)
    assert all(d.value.utcoffset() == timedelta(0) for d in meta.dates)
