"""Classify: the shipped classifier (``load_classifier()``) on normalized feed, release and Hub
items, as the pipeline calls it (one batch per run), with its quality figure beside it.

Inputs are the items ``items_from_documents`` makes of the fixtures (RSS, Atom, GitHub
releases, Hub pages), so text lengths are those of real runs. Baseline in the same run:
one item per call (per-call overhead); and the stage breakdown of one batch (frame, the
feature step the two heads share, of which character n-grams, the heads).
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import common
import parse as parse_bench

_WORKER: dict[str, Any] = {}


def items(n: int) -> list[tuple[Any, Any]]:
    """``n`` (source, Item) pairs cycled from normalized fixture items (40% RSS, 30% Atom,
    10% GitHub releases, 20% Hub)."""
    from owingest.parse.work import items_from_documents

    now = datetime(2026, 11, 30, tzinfo=UTC)
    pools: dict[str, list[Any]] = {}
    for kind, docs in (("rss", 8), ("atom", 6), ("github", 10), ("hub", 2)):
        for src, fetched in parse_bench._jobs(kind, docs):
            pools.setdefault(kind, []).extend((src, i) for i in items_from_documents(src, fetched, now)[0])
    mix = [("rss", 4), ("atom", 3), ("github", 1), ("hub", 2)]
    rows: list[Any] = []
    while len(rows) < n:
        for kind, share in mix:
            start = len(rows)
            rows += [pools[kind][(start + k) % len(pools[kind])] for k in range(share)]
    return rows[:n]


def inputs(pairs: list[tuple[Any, Any]]) -> list[Any]:
    """The ClassifyInput rows the pipeline makes of these items."""
    from owingest.classify.records import ClassifyInput

    return [ClassifyInput(title=i.title, summary=i.summary, source_kind=i.kind, source_lab=src.lab,
                          source_tags=src.tags, published=i.published_at.date() if i.published_at else None)
            for src, i in pairs]


def _extract_rate(pairs: list[tuple[Any, Any]], repeats: int, limit: int) -> dict[str, Any] | None:
    """Release-fact extraction (``owingest.extract``), the other per-item step of the commit,
    over the same items: items/s per source format, one process."""
    try:
        from owingest.extract.facts import extract_facts
    except ImportError:
        return None
    by_kind: dict[str, list[tuple[Any, Any]]] = {}
    for src, item in pairs[:limit]:
        kind = "hub" if item.kind == "hf_models" else ("github" if src.tags else src.id.rstrip("0123456789"))
        by_kind.setdefault(kind, []).append((src, item))
    out: dict[str, Any] = {}
    for kind, group in by_kind.items():
        def run(group: list[tuple[Any, Any]] = group) -> None:
            for s, i in group:
                extract_facts(title=i.title, summary=i.summary, source_kind=i.kind, source_lab=s.lab,
                              meta=i.meta, published=i.published_at.date() if i.published_at else None)
        wall = _timed(run, repeats)
        out[kind] = {"items_per_s": round(len(group) / wall["median"]), "wall_s": wall,
                     "mean_summary_chars": round(sum(len(i.summary) for _, i in group) / len(group))}
    total = sum(len(g) for g in by_kind.values())
    out["all"] = round(total / sum(len(by_kind[k]) / out[k]["items_per_s"] for k in by_kind))
    return out


def _init_worker() -> None:
    from owingest.classify.classifier import load_classifier

    _WORKER["clf"] = load_classifier()


def _classify_chunk(rows: list[Any]) -> int:
    return len(_WORKER["clf"].classify(rows))


def _timed(fn: Any, repeats: int) -> dict[str, Any]:
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
    return common.summary(walls)


def _breakdown(model: Any, rows: list[Any]) -> dict[str, float]:
    """Seconds per stage of one batch: building the frame, the shared feature step (of which
    the character n-grams of title and summary), and the three heads."""
    from owingest.classify.features import frame

    t = [time.perf_counter()]
    x = frame(rows)
    t.append(time.perf_counter())
    features = model.features.transform(x)
    t.append(time.perf_counter())
    model.topic_head.predict_proba(features)
    model.relevance_head.predict_proba(features)
    model.phase_head.predict_proba(features)
    t.append(time.perf_counter())
    parts = dict(model.features.named_transformers_)
    parts["title_chars"].transform(x["title"])
    parts["body_chars"].transform(x["body"])
    t.append(time.perf_counter())
    d = [round(b - a, 3) for a, b in itertools.pairwise(t)]
    chars = sum(len(a) + len(b) for a, b in zip(x["title"], x["body"], strict=True))
    return {"frame_s": d[0], "features_s": d[1], "heads_s": d[2], "char_ngrams_s": d[3],
            "mean_text_chars": round(chars / len(rows))}


def _quality(clf: Any) -> dict[str, Any] | None:
    """Figures of the shipped model on ../shared/corpus (real items never trained on), if present."""
    corpus = common.ROOT.parent / "shared" / "corpus"
    files = sorted(corpus.glob("*.jsonl")) if corpus.is_dir() else []
    if not files:
        return None
    from owingest.classify.evaluate import evaluate
    from owingest.classify.records import load_records
    from owingest.config import load_sources

    sources = {s.id: (s.kind, s.lab, s.tags) for s in load_sources(common.ROOT / "sources.yaml").sources}
    result = evaluate(clf, load_records(files, sources))
    return {"corpus": [p.name for p in files], "n": result["n"], "topic_micro_f1": result["topics"]["micro_f1"],
            "topic_macro_f1": result["topics"]["macro_f1"], "relevance_f1": result["relevance"]["f1"],
            "phase_accuracy": result["phase"]["accuracy"]}


def run(quick: bool) -> dict[str, Any]:
    """Items per second of Classifier.classify on one batch, in one process and split over 2
    processes; one item per call; model load time (fresh process and warm); the stage
    breakdown; and, beside it, release-fact
    extraction over the same items. Target: >= 5,000 items/s on 2 cores."""
    n, repeats, n_single = (1_000, 2, 50) if quick else (3_000, 3, 100)
    probe = ("import time; t = time.perf_counter(); from owingest.classify.classifier import load_classifier; "
             "c = load_classifier(); print(round(time.perf_counter() - t, 3))")
    cold = [float(common.run_child([common.PYTHON, "-c", probe])["stdout"].split()[-1])
            for _ in range(1 if quick else 2)]
    from owingest.classify.classifier import load_classifier

    start = time.perf_counter()
    clf = load_classifier()
    first_load = time.perf_counter() - start
    warm = _timed(load_classifier, 3)
    pairs = items(n)
    rows = inputs(pairs)
    clf.classify(rows[:200])  # warm-up
    one = _timed(lambda: clf.classify(rows), repeats)
    single = _timed(lambda: [clf.classify([r]) for r in rows[:n_single]], 1)
    half = len(rows) // 2
    with ProcessPoolExecutor(2, initializer=_init_worker) as pool:
        list(pool.map(_classify_chunk, [rows[:50], rows[50:100]]))  # load the model in both workers
        two = _timed(lambda: list(pool.map(_classify_chunk, [rows[:half], rows[half:]])), repeats)
    breakdown = _breakdown(clf.model, rows[:2000])
    rate_1, rate_2 = round(n / one["median"]), round(n / two["median"])
    return {
        "model_version": clf.version, "n": n, "model_file_mib": _model_mib(),
        "load_cold_process_s": common.summary(cold), "load_in_process_first_s": round(first_load, 3),
        "load_warm_s": warm,
        "batch_1proc_s": one, "batch_2proc_s": two,
        "items_per_s": rate_2, "items_per_s_1proc": rate_1,
        "items_per_s_one_per_call": round(n_single / single["median"]),
        "two_process_speedup": round(one["median"] / two["median"], 2),
        "breakdown_s": breakdown,
        "two_process_note": "2 processes = this benchmark's ProcessPoolExecutor split; the pipeline "
                            "classifies in one process",
        "quality": _quality(clf),
        "extract": _extract_rate(pairs, 2, 300 if quick else 1000),
        "target": ">= 5,000 items/s on 2 cores", "target_met": rate_2 >= 5000,
    }


def _model_mib() -> float | None:
    from owingest.classify import registry

    try:
        path = Path(registry.default_model_path())
    except Exception:  # noqa: BLE001 - informative only
        return None
    return round(path.stat().st_size / 2**20, 2) if path.exists() else None


if __name__ == "__main__":
    common.main(run)
