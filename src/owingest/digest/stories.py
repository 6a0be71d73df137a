"""Near-duplicate items merged into stories, and stories ranked within a topic.

Ingest already makes one item of the same URL or fingerprint seen in several
sources. What remains are different pages about the same event ("Gemma 4" on the
lab's blog and on the Hub blog). Two items of the period are one story when

* they belong to the same release (the release tracker's link), or, without one,
  name the same model family of the same lab, *and* share a topic; or
* their titles are near-identical: Jaccard similarity of their word sets ≥ 0.6, titles
  of at least 3 significant words, and the same numbers in both ("v0.29.0" and "v0.30.0",
  "32B" and "235B" are different stories).

Ranking score in a topic's section::

    confidence + 0.5 · log2(sources) + 0.25 · (organisations − 1)

where confidence is the model's probability for the topic (1.0 when a person
gave the label), sources the distinct sources that carried the story, and
organisations the distinct labs or publishers behind those sources.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from owingest.digest.model import TOPICS, Source, Story
from owingest.digest.query import ItemRow
from owingest.digest.text import plain, safe_url, snippet

__all__ = ["cluster", "make_story", "rank"]

_WORD = re.compile(r"[a-z0-9][a-z0-9.+-]*")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "with",
        "we",
        "new",
        "now",
        "this",
        "that",
        "your",
        "you",
    ]
)
_SIMILAR = 0.6
_COMMON = 40  # a word in more titles than this is no evidence of sameness


class _Sets:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _words(title: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(title.lower()) if w not in _STOP)


def _numbers(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in words if any(c.isdigit() for c in w))


def _join_same_release(items: Sequence[ItemRow], sets: _Sets) -> None:
    buckets: dict[tuple[object, str], list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        key = (
            ("release", item.release_id)
            if item.release_id
            else (("family", item.lab, item.family) if item.family else None)
        )
        for topic in item.topics if key else ():
            buckets[(key, topic)].append(n)
    for members in buckets.values():
        for other in members[1:]:
            sets.join(members[0], other)


def _join_similar_titles(items: Sequence[ItemRow], sets: _Sets) -> None:
    words = [_words(item.title) for item in items]
    postings: dict[str, list[int]] = defaultdict(list)
    for n, ws in enumerate(words):
        if len(ws) >= 3:
            for w in ws:
                postings[w].append(n)
    seen: set[tuple[int, int]] = set()
    for word in sorted(postings):
        members = postings[word]
        if len(members) > _COMMON:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                if (
                    _numbers(words[a]) == _numbers(words[b])
                    and len(words[a] & words[b]) / len(words[a] | words[b]) >= _SIMILAR
                ):
                    sets.join(a, b)


def cluster(items: Sequence[ItemRow]) -> list[list[ItemRow]]:
    """Group ``items`` (in a fixed order) into stories; each group keeps the input order."""
    ordered = sorted(items, key=lambda i: i.item_id)
    sets = _Sets(len(ordered))
    _join_same_release(ordered, sets)
    _join_similar_titles(ordered, sets)
    groups: dict[int, list[ItemRow]] = defaultdict(list)
    for n, item in enumerate(ordered):
        groups[sets.find(n)].append(item)
    return [groups[root] for root in sorted(groups)]


def _confidence(item: ItemRow, topic: str) -> float:
    if item.label_source == "human":
        return 1.0
    return float((item.topic_probs or {}).get(topic) or 0.0)


def make_story(group: Sequence[ItemRow]) -> Story:
    """One story from a group of items: the most-carried, earliest item speaks for it."""
    lead = min(group, key=lambda i: (-len(i.sources), not i.dated, i.at, i.item_id))
    topics = tuple(t for t in TOPICS if any(t in i.topics for i in group))
    sources: dict[str, Source] = {}
    for item in (lead, *[i for i in group if i is not lead]):
        for ref in item.sources:
            sources.setdefault(
                ref.source_id,
                Source(ref.source_id, plain(ref.name or ref.source_id), safe_url(ref.url)),
            )
    dated = [i.at for i in group if i.dated]
    return Story(
        story_id=lead.item_id,
        title=plain(lead.title) or "(untitled)",
        url=safe_url(lead.url),
        summary=snippet(lead.summary),
        published_at=min(dated) if dated else None,
        phase=lead.phase,
        topics=topics,
        confidence={
            t: round(max(_confidence(i, t) for i in group if t in i.topics), 4) for t in topics
        },
        score=0.0,
        lab=lead.lab or next((i.lab for i in group if i.lab), None),
        sources=tuple(sources.values()),
        item_ids=tuple(sorted(i.item_id for i in group)),
        human=any(i.label_source == "human" for i in group),
    )


def _organisations(story: Story, group: Sequence[ItemRow]) -> int:
    labs = {ref.source_id: ref.lab or ref.source_id for item in group for ref in item.sources}
    return len({labs.get(s.source_id, s.source_id) for s in story.sources}) or 1


def rank(stories: Sequence[tuple[Story, Sequence[ItemRow]]], topic: str) -> list[Story]:
    """The stories of ``topic``, scored and best first (ties: newer first, then by id)."""
    scored = []
    for story, group in stories:
        if topic not in story.topics:
            continue
        score = (
            story.confidence[topic]
            + 0.5 * math.log2(max(1, len(story.sources)))
            + 0.25 * (_organisations(story, group) - 1)
        )
        scored.append(replace(story, score=round(score, 4)))
    return sorted(
        scored,
        key=lambda s: (
            -s.score,
            s.published_at is None,
            -s.published_at.timestamp() if s.published_at else 0.0,
            s.story_id,
        ),
    )
