"""The gazetteer (``gazetteer.yaml``, package data) loaded once, and what matches against it:
model-family mentions, known models, license phrases, Hub license tags and signal words.

A *mention* is one place where a text names a model family ("Llama 3.1 405B": the family
Llama 3.1, the model "Llama 3.1 405B"). Overlapping mentions resolve to the earliest, then
the longest model name, then the most specific family pattern ("Llama-3.1-Nemotron" is
Llama Nemotron, not Llama 3.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from re import _parser  # type: ignore[attr-defined]  # the regex parser: a pattern's longest match
from typing import Any

import yaml

from owingest.errors import ConfigError

__all__ = ["Family", "Gazetteer", "KnownModel", "Mention", "find_mentions", "gazetteer"]

# A version: digits with an optional minor part, never the start of a size ("Gemma 2B").
_VERSION = r"(?P<v>\d{1,2}(?:[._]\d{1,2})?)(?!\d|[._]\d)(?![\d._]*[bmkt](?![a-z]))"
_FLAGS = re.IGNORECASE
_FACT_KEYS = ("license", "weights", "reasoning", "modalities")


@dataclass(frozen=True, slots=True)
class Family:
    """A model family: its name template, lab, pattern and the facts true of all its models."""

    name: str
    bare: str
    lab: str
    pattern: re.Pattern[str]
    head: str = ""          # lowercase letters every match holds, after optional prefixes...
    reach: int = 0          # ...of at most this many characters
    subs: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    versions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def render(self, match: re.Match[str]) -> tuple[str, str | None]:
        """The family's name for this match, and the version matched (normalized, or None)."""
        groups = match.groupdict()
        version = (groups.get("v") or "").replace("_", ".") or None
        sub = groups.get("sub")
        sub_text = self.subs.get(sub.lower(), "-" + sub) if sub else ""
        template = self.name if version or "{v}" not in self.name else self.bare
        return template.format(v=version or "", sub=sub_text).strip(), version

    def facts_for(self, version: str | None) -> dict[str, Any]:
        """The family's facts, overridden by those of ``version`` where it has any."""
        return {**self.facts, **self.versions.get((version or "").lower(), {})}


@dataclass(frozen=True, slots=True)
class KnownModel:
    """Facts of the models whose names match ``pattern`` (sizes their names do not carry)."""

    pattern: re.Pattern[str]
    facts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Mention:
    family: Family
    name: str               # the family's name, e.g. "Llama 3.1"
    version: str | None
    model: str              # the model name as written, e.g. "Llama 3.1 405B"
    start: int
    end: int
    raw_len: int            # length of the family pattern's own match
    possessive: bool        # "GPT-4's quality": named in passing, never an item's subject


@dataclass(frozen=True, slots=True)
class Gazetteer:
    labs: Mapping[str, str]                          # alias or Hub org (lowercase) -> lab id
    families: tuple[Family, ...]
    models: tuple[KnownModel, ...]
    text_licenses: tuple[tuple[re.Pattern[str], str, bool], ...]   # pattern, id, fallback
    hub_licenses: Mapping[str, str]
    restricted: frozenset[str]
    pipelines: Mapping[str, tuple[str, ...]]
    signals: Mapping[str, re.Pattern[str]]
    variants: frozenset[str]

    def lab_of(self, name: str | None) -> str | None:
        return self.labs.get(name.strip().lower()) if name else None

    def family_lab(self, family: str) -> str | None:
        """The lab of a family, given its name as extraction reports it ("Qwen3-Coder")."""
        mentions = find_mentions(family, self)
        return mentions[0].family.lab if mentions else None

    def known(self, names: Iterable[str]) -> dict[str, Any]:
        """Facts of the known models among ``names``; the sizes are those of the largest."""
        hits = [model.facts for name in names for model in self.models if model.pattern.search(name)]
        found: dict[str, Any] = {}
        for facts in hits:
            for k, v in facts.items():
                found.setdefault(k, v)
        sized = [f for f in hits if "total_b" in f]
        if sized:
            largest = max(sized, key=lambda f: float(f["total_b"]))
            found.update(total_b=largest["total_b"], active_b=largest.get("active_b"))
        return found


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + pattern.replace("{V}", _VERSION) + r")(?![a-z])", _FLAGS)


def _head(pattern: str) -> tuple[str, int]:
    """The literal text every match of ``pattern`` holds, read from its start, and how far
    into a match it can begin: optional ``(?:...)?`` prefixes are skipped (their longest
    match is the reach), then the leading letters and digits no quantifier makes optional.
    ("", 0) when the pattern does not start that way: then it is scanned whole."""
    p, reach = pattern.lower(), 0
    while p.startswith("(?:"):
        depth = 0
        for end, ch in enumerate(p):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                break
        if p[end + 1:end + 2] != "?":
            return "", 0
        widest = _parser.parse(p[:end + 1].replace("{v}", _VERSION)).getwidth()[1]
        if widest >= _parser.MAXREPEAT:
            return "", 0
        reach += widest
        p = p[end + 2:]
    run = re.match(r"[a-z0-9]*", p).group()  # type: ignore[union-attr]  # always matches
    return (run[:-1] if p[len(run):len(run) + 1] in ("?", "*", "{") else run), reach


def _family(entry: dict[str, Any]) -> Family:
    name = str(entry["name"])
    bare = str(entry.get("bare") or re.sub(r"[ -]?\{v\}", "", name))
    versions = {str(k).lower(): dict(v) for k, v in (entry.get("versions") or {}).items()}
    head, reach = _head(str(entry["pattern"]))
    return Family(name=name, bare=bare, lab=str(entry["lab"]), pattern=_compile(str(entry["pattern"])),
                  head=head, reach=reach,
                  subs={str(k).lower(): str(v) for k, v in (entry.get("subs") or {}).items()},
                  facts={k: entry[k] for k in _FACT_KEYS if k in entry}, versions=versions)


def _labs(entries: list[dict[str, Any]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for lab in entries:
        for alias in [lab["id"], *lab.get("names", []), *lab.get("hub", [])]:
            table[str(alias).lower()] = str(lab["id"])
    return table


def _words(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w])", _FLAGS)


def _build(data: dict[str, Any]) -> Gazetteer:
    families = tuple(_family(f) for f in data["families"])
    labs = _labs(data["labs"])
    unknown = sorted({f.lab for f in families} - set(labs.values()))
    if unknown:
        raise ValueError(f"families name unknown labs: {', '.join(unknown)}")
    lic = data["licenses"]
    return Gazetteer(
        labs=labs, families=families,
        models=tuple(KnownModel(_compile(m["pattern"]), {k: v for k, v in m.items() if k != "pattern"})
                     for m in data["models"]),
        text_licenses=tuple((re.compile(r"\b(?:" + t["pattern"] + ")", _FLAGS), str(t["id"]),
                             bool(t.get("fallback"))) for t in lic["text"]),
        hub_licenses={str(k).lower(): str(v) for k, v in lic["hub"].items()},
        restricted=frozenset(lic["restricted"]),
        pipelines={k: tuple(v) for k, v in data["pipelines"].items()},
        signals={k: _words(v) for k, v in data["signals"].items()},
        variants=frozenset(str(v) for v in data["variants"]))


@cache
def gazetteer() -> Gazetteer:
    """The bundled gazetteer, read and compiled once per process."""
    source = resources.files("owingest.extract") / "gazetteer.yaml"
    try:
        return _build(yaml.safe_load(source.read_text(encoding="utf-8")))
    except (yaml.YAMLError, KeyError, TypeError, ValueError, re.error) as err:
        raise ConfigError(f"extract: gazetteer.yaml: {err}") from err


# What may follow a family's name inside a model name: "-Instruct", "-235B", " 405B", " Scout".
_NOT_NAME = r"(?:based|style|class|like|sized|level|compatible|powered|tuned|corpus|data|dataset)\b"
_DASH_PART = re.compile(rf"[-_](?!{_NOT_NAME})[a-z0-9]+(?:\.\d+[a-z]*)?", _FLAGS)
_SPACE_SIZE = re.compile(r" (?:\d+(?:\.\d+)?[bm]|\d+x\d+b|[ae]\d+(?:\.\d+)?b)(?![\w])", _FLAGS)
_SPACE_WORD = re.compile(r" ([A-Za-z]+)(?![\w])")
_SPACE_VERSION = re.compile(r" \d+(?:\.\d+)?(?![\w.])")


def _model_end(text: str, end: int, versioned: bool, variants: frozenset[str]) -> int:
    """Where the model name that starts with a family's match ends (at most six parts)."""
    for _ in range(6):
        part = _DASH_PART.match(text, end) or _SPACE_SIZE.match(text, end)
        if part is None and not versioned:
            part = _SPACE_VERSION.match(text, end)
        word = _SPACE_WORD.match(text, end) if part is None else None
        if word is not None and word.group(1) in variants:
            part = word
        if part is None:
            return end
        end = part.end()
    return end


def find_mentions(text: str, g: Gazetteer) -> list[Mention]:
    """Every family mention in ``text``, in order, without overlaps."""
    found: list[Mention] = []
    lower = lowered(text)
    for family in g.families:
        for m in _matches(family, text, lower):
            name, version = family.render(m)
            end = _model_end(text, m.end(), version is not None, g.variants)
            found.append(Mention(family, name, version, text[m.start():end].rstrip("."), m.start(), end,
                                 m.end() - m.start(), text[end:end + 2] in ("'s", "\u2019s")))
    found.sort(key=lambda x: (x.start, -x.end, -x.raw_len))
    kept: list[Mention] = []
    for mention in found:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


# letters that IGNORECASE matches to an ASCII letter but str.lower() does not lower to it
# (dotless i, long s; checked over the Basic Multilingual Plane): a text with one is scanned whole
_FOLDS_APART = re.compile("[\u0131\u017f]")


def lowered(text: str) -> str | None:
    """``text`` in lowercase, character for character as IGNORECASE matches it; None when its
    lowercase differs (a character that lowers to two, a dotless i, a long s)."""
    lower = text.lower()
    return lower if len(lower) == len(text) and not _FOLDS_APART.search(text) else None


def _matches(family: Family, text: str, lower: str | None) -> Iterator[re.Match[str]]:
    """``family.pattern.finditer(text)``, found faster: a match holds the family's head, at
    most ``reach`` characters from its start, so only the places around each occurrence of
    the head in ``lower`` (``lowered(text)``) are tried: most texts name few families."""
    if len(family.head) < 2 or lower is None:
        yield from family.pattern.finditer(text)
        return
    pos = 0
    while (at := lower.find(family.head, pos)) >= 0:
        for start in range(max(pos, at - family.reach), at + 1):
            m = family.pattern.match(text, start)
            if m is not None:
                yield m
                pos = max(m.end(), start + 1)
                break
        else:
            pos = at + 1
