"""Fusion: the dense and the BM25 rankings of one query become one ranking, and the
per-essay cap chooses the top k from it; the passages of several readings of one
question become one list the same way (:func:`fuse_readings`).

Reciprocal rank fusion (the default) needs no score calibration between a cosine and
a BM25 score; a weighted score sum is kept for comparison (``Settings.fusion``). The
cap keeps one long essay from crowding out another that also answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search.retrieved import Retrieved


def fuse(
    dense: list[str],
    lexical: list[str],
    cosines: dict[str, float],
    bm25: dict[str, float],
    settings: Settings,
    *,
    stating: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """(chunk id, fused score) pairs, best first, ties broken by id (a stable order).
    ``stating``, for a question that asks a quantity, ranks the candidates by their
    sentence that states one (see search/quantities.py); reciprocal rank fusion only."""
    if settings.fusion == "rrf":
        return reciprocal_ranks(
            (dense, lexical, stating),
            (1.0, settings.lexical_weight, settings.quantity_weight),
            settings.rrf_k,
        )
    scores: dict[str, float] = {}
    w = settings.dense_weight
    top = max(bm25.values(), default=0.0) or 1.0
    for cid in {*dense, *lexical}:
        scores[cid] = w * cosines.get(cid, 0.0) + (1 - w) * bm25.get(cid, 0.0) / top
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def reciprocal_ranks(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], rrf_k: int
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of ``rankings`` (chunk ids, best first), each weighted:
    (chunk id, score) pairs, best first, ties broken by id (a stable order)."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def cap_per_essay(
    fused: list[tuple[str, float]], chunks: dict[str, Chunk], k: int, cap: int
) -> list[str]:
    """Top-k ids with at most ``cap`` per essay; the cap yields when nothing else is left."""
    chosen: list[str] = []
    overflow: list[str] = []
    per_essay: dict[str, int] = {}
    for cid, _ in fused:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        if per_essay.get(chunk.source, 0) >= cap:
            overflow.append(cid)
            continue
        per_essay[chunk.source] = per_essay.get(chunk.source, 0) + 1
        chosen.append(cid)
        if len(chosen) == k:
            return chosen
    return (chosen + overflow)[:k]


def fuse_readings(
    found: Sequence[Retrieved], chunks: dict[str, Chunk], k: int, settings: Settings
) -> Retrieved:
    """The first of ``found`` (retrievals of one question read several ways, the reading
    the answer goes by first) with the passages of all of them, fused by reciprocal rank
    and capped per essay. Every signal but the passages (``dense_best``, ``unit_best``,
    the query and its vector) stays the first reading's: refusal was tuned on it.

    A follow-up read with its topic turns (``followup.with_context``) and with the
    conversation joined as it was said (``followup.joined``) found the right essay first
    for different questions: on followup-tune each found it for five or six the other
    missed, 54 of 64 each. Fused, for questions said as follow-ups, 58 (gold.jsonl: 7 of
    8, against 6 ours and 7 joined; dev-tune 12 of 12 as before)."""
    first = found[0]
    if len(found) == 1:
        return first
    hits: dict[str, SearchHit] = {}
    for retrieved in found:
        for hit in retrieved.hits:
            hits.setdefault(hit.chunk.id, hit)
    rankings = [[h.chunk.id for h in retrieved.hits] for retrieved in found]
    ranked = reciprocal_ranks(rankings, [1.0] * len(found), settings.rrf_k)
    chosen = cap_per_essay(ranked, chunks, k, settings.max_per_essay)
    return replace(first, hits=[hits[cid] for cid in chosen])
