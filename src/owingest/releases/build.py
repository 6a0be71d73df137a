"""From stored item facts to release rows: the pure step between reading and writing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from owingest.extract import extract_facts
from owingest.extract.rules import gazetteer
from owingest.releases.events import LinkItem
from owingest.releases.fields import FIELDS, Release, build_release, release_ids
from owingest.releases.link import link_events, role_of

__all__ = ["releases_of"]


@cache
def _family_lab(family: str) -> str | None:
    return gazetteer().family_lab(family)


@cache
def _family_of_repo(repo: str) -> str | None:
    return extract_facts(title=repo, summary="").family


def _meta(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _bases(meta: Mapping[str, Any]) -> tuple[str, ...]:
    found = meta.get("base_models") or []
    repos = (b.get("repo") if isinstance(b, dict) else b for b in found)
    return tuple(dict.fromkeys(str(r) for r in repos if r))


def _link_item(row: Mapping[str, Any]) -> LinkItem:
    meta = _meta(row.get("meta"))
    family = str(row["family"])
    family_lab = _family_lab(family) or row.get("lab")
    repo = str(meta.get("repo_id") or "") or (row.get("title") if row["kind"] == "hf_models" else None)
    g = gazetteer()
    role = role_of(kind=str(row["kind"]), title=str(row.get("title") or ""), family=family,
                   family_lab=family_lab, source_lab=g.lab_of(row.get("source_lab")),
                   source_tags=row.get("source_tags") or (),
                   repo_lab=g.lab_of(repo.partition("/")[0]) if repo else None)
    facts = {k: row.get(k) for k in FIELDS if row.get(k) not in (None, [], ())}
    return LinkItem(item_id=str(row["item_id"]), family=family, family_lab=family_lab, role=role,
                    day=row.get("published_at"), url=row.get("url"), repo=repo or None,
                    bases=_bases(meta), models=tuple(row.get("models") or ()), facts=facts)


def releases_of(rows: Iterable[Mapping[str, Any]]) -> list[Release]:
    """The release events of stored items. Each row is an item with facts and a family:
    ``item_id``, ``family``, ``lab``, the fact fields, ``kind``, ``title``, ``url``,
    ``published_at``, ``meta`` (dict or JSON text), ``source_lab`` and ``source_tags``."""
    items: Sequence[LinkItem] = [_link_item(r) for r in rows if r.get("family")]
    bases = {b for i in items for b in i.bases}
    family_of = {b.lower(): f for b in sorted(bases) if (f := _family_of_repo(b))}
    events = link_events(items, family_of)
    return [build_release(e, rid) for e, rid in zip(events, release_ids(events), strict=True)]

