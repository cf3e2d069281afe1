"""Fusing the passages of one question read several ways (pure logic, no index)."""

from __future__ import annotations

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search import Retrieved
from assistant.search.fusion import fuse_readings


def chunk(source: str, n: int) -> Chunk:
    return Chunk(source, source, source, (f"part {n}",), f"text {n}", n * 10, n * 10 + 9, n)


def found(query: str, chunks: list[Chunk], dense_best: float) -> Retrieved:
    hits = [SearchHit(c, 0.5, 0.0, 1.0 / (i + 1)) for i, c in enumerate(chunks)]
    return Retrieved(query=query, hits=hits, dense_best=dense_best, unit_best=0.6)


A = [chunk("a.md", n) for n in range(4)]
B = [chunk("b.md", n) for n in range(4)]
ALL = {c.id: c for c in A + B}


def test_a_passage_both_readings_find_leads() -> None:
    ours = found("what if they say no? how do I negotiate?", [A[0], B[0], A[1]], 0.42)
    said = found("how do I negotiate? what if they say no?", [B[0], A[2], A[0]], 0.55)
    fused = fuse_readings([ours, said], ALL, 3, Settings())
    # B[0]: ranks 2 and 1; A[0]: ranks 1 and 3; then each reading's next best.
    assert [h.chunk for h in fused.hits] == [B[0], A[0], A[2]]
    # Refusal and drafting go by the first reading's signals, as they were tuned.
    assert (fused.query, fused.dense_best, fused.unit_best) == (ours.query, 0.42, 0.6)


def test_the_per_essay_cap_holds_across_readings() -> None:
    ours = found("q1", A[:3], 0.5)
    said = found("q2", [A[3], B[0]], 0.5)
    fused = fuse_readings([ours, said], ALL, 3, Settings(max_per_essay=2))
    assert [h.chunk.source for h in fused.hits].count("a.md") == 2
    assert B[0] in [h.chunk for h in fused.hits]


def test_one_reading_is_returned_as_it_is() -> None:
    ours = found("q", A[:2], 0.5)
    assert fuse_readings([ours], ALL, 5, Settings()) is ours
