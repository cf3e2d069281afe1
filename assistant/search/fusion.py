"""Fusion: the dense and the BM25 rankings of one query become one ranking, the
passage that means most is kept among its first k (:func:`with_leads`), and the
per-essay cap chooses the top k from it; the passages of several readings of one
question become one list the same way (:func:`fuse_readings`).

Reciprocal rank fusion (the default) needs no score calibration between a cosine and
a BM25 score; a weighted score sum is kept for comparison (``Settings.fusion``). The
cap keeps one long essay from crowding out another that also answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search.retrieved import Retrieved

# The passage that means most what the question asks (the first of the dense ranking)
# stays in the top k though BM25 finds none of its words, in the last place; where its
# essay is already at the per-essay cap, that essay's lowest passage above it yields (a
# question read two ways fuses the readings' lists after, by rank, and keeps it only if
# it ranks there). Reciprocal rank fusion is
# flat at rrf_k=60: passages both rankings found a little lower outrank the dense
# ranking's first ("Why would someone turn down sponsorship money?" lost the essay's
# "There are many reasons why a person would not want to be paid…" to five passages of
# the same essay that said "sponsorship" and "money"). Set on the tune sets: dev-tune
# evidence recall@5 0.718 -> 0.736 and key points 0.627 -> 0.645 with one; two found
# more (0.753) but put the wrong essay first for a follow-up in each follow-up set
# (gold.jsonl 0.875 -> 0.750) and lowered followup-tune key points 0.714 -> 0.698.
MEANING_LEADS = 1


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
    fused: list[tuple[str, float]],
    chunks: dict[str, Chunk],
    k: int,
    cap: int,
    keep: Sequence[str] = (),
) -> list[str]:
    """Top-k ids with at most ``cap`` per essay; the cap yields when nothing else is left.
    Each of ``keep`` (the leads :func:`with_leads` moved into the first k) holds its place:
    its essay's places are kept for it, so a passage of that essay ranked above it yields
    instead (with a cap of 2, two passages of one essay above its lead: the second goes).
    Only a lead among the first k of ``fused`` is kept, and no more of them per essay than
    the cap allows, so a kept place is always used and the cap still holds."""
    head = {cid for cid, _ in fused[:k]}
    held: Counter[str] = Counter()  # places kept for leads still to come, by essay
    kept: set[str] = set()
    for cid in dict.fromkeys(keep):
        chunk = chunks.get(cid)
        if chunk is not None and cid in head and held[chunk.source] < cap:
            held[chunk.source] += 1
            kept.add(cid)
    chosen: list[str] = []
    overflow: list[str] = []
    per_essay: dict[str, int] = {}
    for cid, _ in fused:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        source = chunk.source
        if cid in kept:
            held[source] -= 1
        elif per_essay.get(source, 0) + held[source] >= cap:
            overflow.append(cid)
            continue
        per_essay[source] = per_essay.get(source, 0) + 1
        chosen.append(cid)
        if len(chosen) == k:
            return chosen
    return (chosen + overflow)[:k]


def with_leads(
    fused: list[tuple[str, float]], leads: Sequence[str], k: int
) -> list[tuple[str, float]]:
    """``fused`` (best first) with each of ``leads`` that ranks below the first ``k``
    moved up to the last of them, in the place of the last passage that is not a lead
    (which moves down to just after them). Applied before the per-essay cap, which keeps
    the leads (``cap_per_essay(..., keep=leads)``): where a lead's essay is full, its
    lowest passage above the lead yields instead, so the cap holds and the lead stays."""
    position = {cid: n for n, (cid, _) in enumerate(fused)}
    leading = [cid for cid in dict.fromkeys(leads) if cid in position][:k]
    low = [cid for cid in leading if position[cid] >= k]
    if not low:
        return fused
    head = fused[:k]
    others = [n for n, (cid, _) in enumerate(head) if cid not in leading]
    over = len(head) + len(low) - k  # how many must leave the first k
    leaving = set(others[len(others) - over :]) if over > 0 else set()
    top = sorted({*range(len(head)), *(position[cid] for cid in low)} - leaving)
    rest = sorted(set(range(len(fused))) - set(top))
    return [fused[n] for n in [*top, *rest]]


def fuse_readings(
    found: Sequence[Retrieved], chunks: dict[str, Chunk], k: int, settings: Settings
) -> Retrieved:
    """The first of ``found`` (retrievals of one question read several ways, the reading
    the answer goes by first) with the passages of all of them, fused by reciprocal rank
    and capped per essay. Every signal but the passages (``dense_best``, ``unit_best``,
    the query and its vector) stays the first reading's: refusal was tuned on it.

    A follow-up read with its topic turns (``conversation.with_context``) and with the
    conversation joined as it was said (``conversation.joined``) found the right essay first
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
