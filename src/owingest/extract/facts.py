"""Release facts from one item: a pure function over its title, summary and Hub metadata.

The item's *primary* model family is the first the title names (the first the summary
names when the title names none), preferring a family of the item's own lab (its source's
lab, or the Hub organisation). Every other fact is read for that family only: text about
other families is blanked first, so "QwQ-32B matches DeepSeek-R1 (671B)" is 32B, not 671B.
An item that names no known family (and is not a Hub repository) yields no facts at all.

Parameters are in billions. For a release of several sizes, the largest model's figures
are reported: known models from the gazetteer first, then sizes in the title, then in the
summary; an "NxMB" expert product is never multiplied out. Context lengths written with K
or M are binary (128K = 131072, 1M = 1048576, as model configurations give them); a native
figure wins over an extrapolated one ("256K native, 1M via extrapolation" is 262144).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from owingest.extract.context import context_tokens
from owingest.extract.rules import Gazetteer, Mention, find_mentions, gazetteer

__all__ = ["ReleaseFacts", "extract_facts"]

_MODALITIES = ("text", "vision", "audio")
_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+\Z")      # a title that is a Hub repository id
_F = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """What one item says about a model release; None or empty where it says nothing."""

    lab: str | None = None
    family: str | None = None
    models: tuple[str, ...] = ()
    total_params_b: float | None = None
    active_params_b: float | None = None
    context_tokens: int | None = None
    license: str | None = None
    open_weights: str | None = None      # "open", "restricted" or "closed"
    modalities: tuple[str, ...] = ()     # of "text", "vision", "audio"
    reasoning: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``owingest extract --json`` (null where unknown)."""
        return {"lab": self.lab, "family": self.family, "models": list(self.models) or None,
                "total_params_b": self.total_params_b, "active_params_b": self.active_params_b,
                "context_tokens": self.context_tokens, "license": self.license,
                "open_weights": self.open_weights, "modalities": list(self.modalities) or None,
                "reasoning": self.reasoning}


def extract_facts(*, title: str, summary: str, published: date | None = None,
                  source_kind: str | None = None, source_lab: str | None = None,
                  meta: Mapping[str, Any] | None = None) -> ReleaseFacts:
    """The release facts of one item. ``meta`` is the item's metadata (for Hub repositories:
    ``repo_id``, ``license``, ``pipeline_tag``); a title that is a bare repository id
    ("Qwen/Qwen3-8B") with no ``source_kind`` is read as a Hub repository too. ``published``
    is accepted so that callers pass an item whole, and changes no fact today."""
    g = gazetteer()
    meta = meta or {}
    bare_repo = source_kind is None and _REPO_ID.match(title)
    if source_kind == "hf_models" or meta.get("repo_id") or bare_repo:
        repo = str(meta.get("repo_id") or title)
        org, _, name = repo.rpartition("/")
        return _facts(g, (name, ""), g.lab_of(org), meta, hub=True)
    return _facts(g, (title, summary or ""), g.lab_of(source_lab), meta, hub=False)


def _primary(mentions: Sequence[Mention], lab: str | None) -> Mention | None:
    subjects = [m for m in mentions if not m.possessive]
    return next((m for m in subjects if m.family.lab == lab), subjects[0] if subjects else None)


def _blank(text: str, spans: Iterable[Mention]) -> str:
    for m in spans:
        text = text[:m.start] + " " * (m.end - m.start) + text[m.end:]
    return re.sub(r"(?:docker|container|base) images?", " ", text, flags=_F)


# A model named after one of these is compared with or built on, not a new section.
_IN_PASSING = re.compile(r"\b(?:than|with|to|as|against|vs\.?|versus|over|beats?|outperforms?|matches"
                         r"|rivals?|like|extends?|from|on|of|and|or)\s+(?:the\s+|a\s+|an\s+)?$", _F)


def _scope(text: str, mentions: Sequence[Mention],
           primary: Mention | None) -> tuple[str, list[Mention]]:
    """The part of a summary about the primary family: up to the next section that names
    another lab's model (release notes list several models, one paragraph each)."""
    first = next((m for m in mentions if primary and m.name == primary.name), None)
    lab = primary.family.lab if primary else None
    end = next((m.start for m in mentions if first and m.start > first.start and m.family.lab != lab
                and not _IN_PASSING.search(text[max(0, m.start - 16):m.start])), len(text))
    others = [m for m in mentions if m.start < end and (primary is None or m.name != primary.name)]
    return text[:end], others


def _refine(primary: Mention | None, mentions: Sequence[Sequence[Mention]]) -> Mention | None:
    """A bare family name ("Mixtral") gives way to a more specific one of the same family if
    that is how the item next names it ("Mixtral 8x7B")."""
    if primary is None or primary.name != primary.family.bare.format(v="", sub=""):
        return primary
    same = [m for ms in mentions for m in ms if m is not primary and m.family is primary.family]
    if same and same[0].name.startswith(primary.name) and len(same[0].name) > len(primary.name):
        return same[0]
    return primary


def _facts(g: Gazetteer, texts: tuple[str, str], lab: str | None, meta: Mapping[str, Any],
           *, hub: bool) -> ReleaseFacts:
    mentions = [find_mentions(t, g) for t in texts]
    primary = _refine(_primary(mentions[0] or mentions[1], lab), mentions)
    if primary is None and not hub:
        return ReleaseFacts()
    key = primary.name if primary else None
    scoped, others = _scope(texts[1], mentions[1], primary)
    plain = (_blank(texts[0], [m for m in mentions[0] if m.name != key]), _blank(scoped, others))
    own = [[m for m in ms if m.name == key] for ms in mentions]
    names = [texts[0]] if hub else [m.model for ms in own for m in ms]
    named = ([(0, len(texts[0]))], []) if hub else tuple([(m.start, m.end) for m in ms] for ms in own)
    known = g.known(names)
    family = {**(primary.family.facts_for(primary.version) if primary else {}),
              **{k: v for k, v in known.items() if k in ("license", "weights", "reasoning")}}
    total, active = (_num(known["total_b"]), _num(known.get("active_b"))) if "total_b" in known \
        else _params(plain, named)
    license_ = _license(g, meta.get("license") if hub else None, f"{texts[0]} {scoped}", family)
    joined = " ".join(plain)
    return ReleaseFacts(
        lab=lab if hub and lab else (primary.family.lab if primary else None), family=key,
        models=tuple(dict.fromkeys(n for n in names if _squash(n) != _squash(key or ""))),
        total_params_b=total, active_params_b=active,
        context_tokens=context_tokens(" . ".join(plain)),
        license=license_, open_weights=_weights(g, license_, joined, family, hub=hub),
        modalities=_modalities(g, joined, family, meta.get("pipeline_tag") if hub else None,
                               with_text=primary is not None),
        reasoning=_reasoning(g, names, joined, family))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _squash(name: str) -> str:
    return re.sub(r"[\s_.-]", "", name.lower())


# ---- parameters -------------------------------------------------------------------------

_PAIR = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)b[- ]a(\d+(?:\.\d+)?)b(?!\w)", _F)      # 235B-A22B
_ACTIVE_NAME = re.compile(r"(?<=[-\s])a(\d+(?:\.\d+)?)b(?!\w)"                     # Qwen1.5-MoE-A2.7B
                          r"|(?<![\w.])(\d+(?:\.\d+)?)b-\d+e(?!\w)", _F)            # Llama-4-Scout-17B-16E
_EXPERTS = re.compile(r"(?<![\w.])\d+x\d+(?:\.\d+)?b(?!\w)", _F)                      # 8x22B
_SIZE = re.compile(r"(?<![\w.$€£¥])(\d+(?:\.\d+)?)"
                   r"(?:[ -]?(billion|million|trillion)\b|([bmt])(?!\w))", _F)
_SCALE = {"b": 1.0, "billion": 1.0, "m": 0.001, "million": 0.001, "t": 1000.0, "trillion": 1000.0}
_ACTIVE_AFTER = re.compile(r"[\s,)-]*(?:parameters?\s+)?(?:active|activated)\b(?!\s+users)"
                           r"|\s*(?:parameters?\s+)?per\s+(?:input\s+)?token", _F)
_ACTIVE_BEFORE = re.compile(r"(?:activat\w*|uses)\s+(?:only\s+|about\s+|roughly\s+|around\s+)?$", _F)
_TOTAL_AFTER = re.compile(r"[\s-]*(?:parameters?\s+)?(?:in\s+)?total\b", _F)
_NOT_PARAMS_AFTER = re.compile(r"[\s-]*(?:(?:\w+\s+){0,2}tokens?\b|-?class\b|(?:in )?(?:new )?funding"
                               r"|series\b|post-money|valuation|users)", _F)
_NOT_PARAMS_BEFORE = re.compile(r"(?:rais\w*|valu\w*|invest\w*|revenue|worth)\s+(?:of\s+|at\s+|about\s+)*$"
                                r"|(?:under|below|over|above|beyond|than)\s+$", _F)     # money, bounds


@dataclass(frozen=True, slots=True)
class _Size:
    value: float
    start: int
    role: str                       # "active", "total" or "plain"


def _role(text: str, m: re.Match[str]) -> str:
    after, before = text[m.end():m.end() + 40], text[max(0, m.start() - 30):m.start()]
    if _ACTIVE_AFTER.match(after) or _ACTIVE_BEFORE.search(before):
        return "active"
    return "total" if _TOTAL_AFTER.match(after) else "plain"


def _size(text: str, m: re.Match[str], in_name: bool) -> _Size | None:
    unit = (m.group(2) or m.group(3)).lower()
    after, before = text[m.end():m.end() + 30], text[max(0, m.start() - 30):m.start()]
    role = _role(text, m)
    if role != "active" and (_NOT_PARAMS_AFTER.match(after) or _NOT_PARAMS_BEFORE.search(before)):
        return None
    if unit in ("m", "million") and (float(m.group(1)) < 20 or not (in_name or "param" in after.lower())):
        return None
    if unit in ("t", "trillion") and not re.match(r"[\s-]*(?:param|total)", after, _F):
        return None
    return _Size(round(float(m.group(1)) * _SCALE[unit], 3), m.start(), role)


def _sizes(text: str, named: Sequence[tuple[int, int]]
           ) -> tuple[list[_Size], list[tuple[float, float]]]:
    """The sizes a text states, and the (total, active) pairs it states outright. Millions
    count only in a model's name ("Gemma 3 270M") or before "parameters"."""
    pairs = [(float(m.group(1)), float(m.group(2))) for m in _PAIR.finditer(text)]
    taken = [m.span() for m in _PAIR.finditer(text)]
    sizes = [_Size(float(m.group(1) or m.group(2)), m.start(), "active")
             for m in _ACTIVE_NAME.finditer(text) if not any(a <= m.start() < b for a, b in taken)]
    taken += [m.span() for rx in (_ACTIVE_NAME, _EXPERTS) for m in rx.finditer(text)]
    for m in _SIZE.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            size = _size(text, m, any(a <= m.start() < b for a, b in named))
            sizes += [size] if size else []
    return sizes, pairs + _paired(text, sizes)


def _paired(text: str, sizes: list[_Size]) -> list[tuple[float, float]]:
    """Pair each active size with its total: a total stated right after it ("41B active and
    675B total"), else the nearest size before it in the sentence, else the nearest after."""
    pairs = []
    for a in (s for s in sizes if s.role == "active"):
        near = [s for s in sizes if s.role != "active" and s.value > a.value
                and abs(s.start - a.start) < 90
                and not re.search(r"[.;!?]\s", text[min(s.start, a.start):max(s.start, a.start)])]
        after = sorted((s for s in near if s.start > a.start), key=lambda s: s.start)
        before = sorted((s for s in near if s.start < a.start), key=lambda s: -s.start)
        total = [s for s in after if s.role == "total" and s.start - a.start < 60] + before + after
        if total:
            pairs.append((total[0].value, a.value))
    return pairs


def _params(texts: Sequence[str], named: Sequence[Sequence[tuple[int, int]]]
            ) -> tuple[float | None, float | None]:
    """The largest model's (total, active): from the title if it states a total, else the summary."""
    found = [_sizes(t, spans) for t, spans in zip(texts, named, strict=True)]
    pairs = [p for _, ps in found for p in ps]
    for sizes, tier_pairs in found:
        totals = [s.value for s in sizes if s.role != "active"] + [t for t, _ in tier_pairs]
        if totals:
            total = max(totals)
            return total, next((a for t, a in pairs if abs(t - total) <= 0.02 * total), None)
    actives = [s.value for sizes, _ in found for s in sizes if s.role == "active"]
    return None, max(actives) if actives else None


# ---- license, weights, modalities, reasoning ---------------------------------------------

def _text_license(g: Gazetteer, text: str) -> str | None:
    """The license the text names first; a fallback phrase ("for research") only if no other."""
    hits = [(fallback, m.start(), lid.format(**m.groupdict()))
            for rx, lid, fallback in g.text_licenses for m in [rx.search(text)] if m]
    return min(hits)[2] if hits else None


def _license(g: Gazetteer, hub_tag: Any, text: str, family: Mapping[str, Any]) -> str | None:
    tag = str(hub_tag).lower() if hub_tag else None
    if tag and tag != "other":
        return g.hub_licenses.get(tag, tag)
    found = _text_license(g, text) or family.get("license") or tag
    if found is None and family.get("weights") == "closed":
        return "proprietary"
    return str(found) if found else None


def _weights(g: Gazetteer, license_: str | None, text: str, family: Mapping[str, Any], *,
             hub: bool) -> str | None:
    if license_ in g.restricted:
        return "restricted"
    if family.get("weights") == "closed" or license_ == "proprietary":
        return "closed"
    if hub or g.signals["open"].search(text):
        return "open"
    if g.signals["closed"].search(text):
        return "closed"
    return "open" if license_ else family.get("weights")


def _modalities(g: Gazetteer, text: str, family: Mapping[str, Any], pipeline: Any, *,
                with_text: bool) -> tuple[str, ...]:
    found = set(family.get("modalities") or (["text"] if with_text else []))
    found.update(g.pipelines.get(str(pipeline), ()) if pipeline else ())
    found.update(k for k in ("vision", "audio") if g.signals[k].search(text))
    return tuple(m for m in _MODALITIES if m in found)


def _reasoning(g: Gazetteer, names: Iterable[str], text: str, family: Mapping[str, Any]) -> bool:
    words = (re.sub(r"([a-z])([A-Z])|[-_]", r"\1 \2", n) for n in names)     # OpenReasoning-Nemotron
    if any(g.signals["reasoning_name"].search(w) for w in words):
        return True
    if family.get("reasoning") is not None:
        return bool(family["reasoning"])
    return bool(g.signals["reasoning"].search(text))
