"""Feeds through feedparser: bytes only, bozo kept, GitHub releases flagged, junk refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from owingest.errors import PermanentError
from owingest.parse.feed import parse_feed
from tests.docs import doc

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Lab</title><link>https://lab.example/</link>
<item><title>Model A released</title><link>/blog/model-a</link><guid isPermaLink="false">a-1</guid>
<pubDate>Tue, 23 Jul 2024 15:00:00 GMT</pubDate><description>&lt;p&gt;Weights &lt;b&gt;open&lt;/b&gt;&lt;/p&gt;</description>
<category>release</category></item>
<item><title>Hiring</title><link>https://lab.example/jobs</link></item>
</channel></rss>"""

GITHUB = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">
<id>tag:github.com,2008:https://github.com/vllm-project/vllm/releases</id>
<title>Release notes from vllm</title><updated>2025-01-27T00:00:00Z</updated>
<entry><id>tag:github.com,2008:Repository/1/v0.7.0</id><updated>2025-01-27T00:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/vllm-project/vllm/releases/tag/v0.7.0"/>
<title>v0.7.0</title><content type="html">&lt;p&gt;DeepSeek-V3 support&lt;/p&gt;</content><author><name>x</name></author></entry>
<entry><id>tag:github.com,2008:Repository/1/v0.7.1rc1</id><updated>2025-02-01T00:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/vllm-project/vllm/releases/tag/v0.7.1rc1"/>
<title>v0.7.1rc1</title></entry>
<entry><id>tag:github.com,2008:Repository/2/b4521</id><updated>2025-01-20T00:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/ggml-org/llama.cpp/releases/tag/b4521"/>
<title>b4521</title></entry>
</feed>"""


def test_rss_entries_are_read_with_dates_links_and_text() -> None:
    result = parse_feed(doc(RSS, "https://lab.example/feed.xml"))
    assert [e.title for e in result.entries] == ["Model A released", "Hiring"]
    first = result.entries[0]
    assert first.link == "https://lab.example/blog/model-a"
    assert first.guid == "a-1"
    assert first.summary_html == "<p>Weights <b>open</b></p>"
    assert first.dates[0].value == datetime(2024, 7, 23, 15, tzinfo=UTC)
    assert first.dates[0].origin == "feed:published"
    assert first.categories == ("release",)
    assert result.entries[1].dates == ()
    assert result.problems == ()


def test_github_release_feeds_carry_repo_tag_and_flags() -> None:
    entries = parse_feed(doc(GITHUB)).entries
    assert [e.meta for e in entries] == [
        {"repo": "vllm-project/vllm", "tag": "v0.7.0"},
        {"repo": "vllm-project/vllm", "tag": "v0.7.1rc1"},
        {"repo": "ggml-org/llama.cpp", "tag": "b4521"},
    ]
    assert [e.flags for e in entries] == [(), ("prerelease",), ("nightly",)]


def test_an_ill_formed_feed_with_usable_entries_is_kept_with_the_problem_recorded() -> None:
    broken = RSS.replace("<title>Hiring</title>", "<title>Hiring & growing</title>")
    result = parse_feed(doc(broken))
    assert len(result.entries) == 2
    assert result.problems and result.problems[0].startswith("ill-formed document:")


def test_an_html_page_where_a_feed_was_expected_says_so() -> None:
    page = "\n<!DOCTYPE html>\n<html lang=en><head><title>Cookies</title></head><body>&nbsp;</body></html>"
    with pytest.raises(PermanentError) as err:
        parse_feed(doc(page, content_type="text/html; charset=utf-8"))
    assert str(err.value) == "parse: not a feed: the server sent an HTML page (text/html)"


@pytest.mark.parametrize("body", [
    "",
    "\x00\x01binary garbage\xff",
    '{"not": "a feed"}',
])
def test_a_document_without_usable_entries_is_a_parse_error(body: str) -> None:
    with pytest.raises(PermanentError, match=r"^parse: not a usable feed"):
        parse_feed(doc(body, content_type="text/html"))


def test_entity_declarations_are_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<rss version="2.0"><channel><item><title>&b;</title></item></channel></rss>')
    with pytest.raises(PermanentError, match="declares XML entities"):
        parse_feed(doc(bomb))


def _declaring(prolog: str, decls: str, ref: str) -> str:
    """An RSS document whose DOCTYPE (declaring ``decls``) sits inside ``prolog`` at "{}",
    with one item titled "x <ref> y"."""
    doctype = f"<!DOCTYPE rss [{decls}]>"
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog.format(doctype)}<rss version="2.0">'
            f'<channel><title>t</title><item><title>x {ref} y</title>'
            f'<link>https://a.example/1</link></item></channel></rss>')


LAUGHS = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 6))
# a CDATA marker inside a comment (or a processing instruction) is not a CDATA section: the
# DOCTYPE between the two comments is real markup, and the parser expands its entities
HIDDEN = {
    "cdata-in-comments": "<!-- <![CDATA[ -->{}<!-- ]]> -->",
    "cdata-in-processing-instructions": "<?pi <![CDATA[ ?>{}<?pi ]]> ?>",
    "plain": "{}",
}


@pytest.mark.parametrize("prolog", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize(("decls", "ref"), [('<!ENTITY a "EXPANDED">', "&a;"), (LAUGHS, "&l5;")],
                         ids=["one-entity", "billion-laughs"])
def test_an_entity_declaration_is_refused_wherever_it_hides(prolog: str, decls: str, ref: str) -> None:
    with pytest.raises(PermanentError, match=r"^parse: document declares XML entities"):
        parse_feed(doc(_declaring(prolog, decls, ref), content_type="application/rss+xml"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp037", "utf-7"])
def test_an_entity_declaration_is_refused_in_any_encoding_feedparser_reads(encoding: str) -> None:
    # checked on the text as feedparser decodes it: EBCDIC and a hand-written UTF-7 "<" spell
    # "<!ENTITY" with bytes a search of the raw body does not know
    text = _declaring("{}", '<!ENTITY a "EXPANDED">', "&a;").replace('"utf-8"', f'"{encoding}"')
    body = text.encode(encoding).replace(b"<!ENTITY", b"+ADw-!ENTITY")
    with pytest.raises(PermanentError, match=r"^parse: document declares XML entities"):
        parse_feed(doc(body, content_type="application/rss+xml"))


def test_an_article_quoting_an_entity_declaration_escaped_is_kept() -> None:
    # escaped markup is text, not a declaration: the title keeps it as written
    body = RSS.replace("<title>Hiring</title>", "<title>On &lt;!ENTITY a &quot;b&quot;&gt;</title>")
    titles = [e.title for e in parse_feed(doc(body, content_type="application/rss+xml")).entries]
    assert titles == ["Model A released", 'On <!ENTITY a "b">']


def test_feedparser_never_opens_a_local_path_given_as_the_body(tmp_path: object) -> None:
    # feedparser.parse(str) would open a path; we hand it a byte stream, so this is just junk text
    with pytest.raises(PermanentError):
        parse_feed(doc(b"/etc/hostname"))


def test_a_feed_declared_iso_8859_1_is_decoded() -> None:
    body = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>t</title>'
            '<item><title>Modèle ouvert für alle</title><link>https://a.example/1</link></item>'
            '</channel></rss>').encode("iso-8859-1")
    assert parse_feed(doc(body)).entries[0].title == "Modèle ouvert für alle"
