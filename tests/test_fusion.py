"""Fusing the passages of one question read several ways (pure logic, no index)."""

from __future__ import annotations

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search import Retrieved
from assistant.search.fusion import cap_per_essay, fuse_readings, with_leads


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


def ids(fused: list[tuple[str, float]], k: int) -> list[str]:
    return [cid for cid, _ in fused[:k]]


FUSED = [(f"p{i}", 1.0 / (i + 1)) for i in range(8)]


def test_a_lead_by_meaning_takes_the_place_of_the_last_passage() -> None:
    # The dense ranking's first two, p6 and p1: p6 takes p4's place, p4 comes next.
    assert ids(with_leads(FUSED, ["p6", "p1"], 5), 6) == ["p0", "p1", "p2", "p3", "p6", "p4"]
    # Two leads below k take the two last places, in the fusion's order.
    assert ids(with_leads(FUSED, ["p7", "p5"], 5), 5) == ["p0", "p1", "p2", "p5", "p7"]
    # Leads already in the first k change nothing; nothing is lost or repeated.
    assert with_leads(FUSED, ["p0", "p2"], 5) == FUSED
    assert sorted(with_leads(FUSED, ["p7", "p5"], 5)) == sorted(FUSED)


def test_leads_never_take_more_than_k_places() -> None:
    assert ids(with_leads(FUSED, ["p5", "p6"], 1), 2) == ["p5", "p0"]
    # A lead the fusion never ranked (a passage gone from the index) is not added.
    assert with_leads(FUSED, ["gone"], 3) == FUSED


def test_a_lead_already_in_the_first_k_is_not_the_one_that_leaves() -> None:
    # p2 is a lead and last of the three: p1, not p2, makes room for the other lead.
    assert ids(with_leads(FUSED, ["p2", "p4"], 3), 3) == ["p0", "p2", "p4"]


def test_the_per_essay_cap_holds_and_the_lead_stays() -> None:
    chunks = {c.id: c for c in [*A, *B]}
    fused = [(c.id, 1.0 / (n + 1)) for n, c in enumerate([A[0], A[1], B[0], B[1], A[2]])]
    # A[2] leads by meaning; its essay already has two of the first three.
    led = with_leads(fused, [A[2].id], 3)
    # At a cap of 2 its essay's lower passage above it yields, not the lead.
    assert cap_per_essay(led, chunks, 3, 2, keep=[A[2].id]) == [A[0].id, A[2].id, B[0].id]
    assert cap_per_essay(led, chunks, 3, 3, keep=[A[2].id]) == [A[0].id, A[1].id, A[2].id]
    # Without leads to keep, the cap takes passages in order, as before.
    assert cap_per_essay(led, chunks, 3, 2) == [A[0].id, A[1].id, B[0].id]


def test_a_lead_at_a_cap_of_one_takes_its_essays_place() -> None:
    chunks = {c.id: c for c in [*A, *B]}
    fused = [(c.id, 1.0 / (n + 1)) for n, c in enumerate([A[0], B[0], B[1], A[1]])]
    led = with_leads(fused, [A[1].id], 2)
    assert cap_per_essay(led, chunks, 2, 1, keep=[A[1].id]) == [A[1].id, B[0].id]


def test_only_leads_in_the_first_k_keep_a_place_and_the_cap_still_holds() -> None:
    chunks = {c.id: c for c in [*A, *B]}
    fused = [(c.id, 1.0 / (n + 1)) for n, c in enumerate([A[0], B[0], B[1], A[1], A[2]])]
    # A lead below the first k (not moved there) or gone from the fusion keeps no place.
    assert cap_per_essay(fused, chunks, 3, 2, keep=[A[2].id]) == [A[0].id, B[0].id, B[1].id]
    assert cap_per_essay(fused[:4], chunks, 4, 2, keep=[A[2].id]) == ids(fused[:4], 4)
    # Two leads of one essay at a cap of 1: the first is kept, the cap holds.
    led = [(c.id, 1.0) for c in [A[1], A[2], B[0]]]
    assert cap_per_essay(led, chunks, 2, 1, keep=[A[1].id, A[2].id]) == [A[1].id, B[0].id]
