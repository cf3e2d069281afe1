"""Retrieval: from a question to the passages most likely to answer it.

Hybrid: dense candidates from the Chroma index and lexical candidates from BM25
are fused (reciprocal rank fusion by default, or a weighted score sum), the passage
that means most is kept among the first k, then a per-essay cap keeps one long essay
from crowding out another that also answers.
Exposed as plain :class:`SearchHit` lists and as a LangChain ``BaseRetriever``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.fusion import MEANING_LEADS, cap_per_essay, fuse, fuse_readings, with_leads
from assistant.search.index import ChunkIndex
from assistant.search.lexical import (
    LexicalIndex,
    spelled_out,
    terms,
)
from assistant.search.outline import is_rule_list, outline_items, section_heads
from assistant.search.quantities import asked_quantity, of_closest_essay, quantity_ranking
from assistant.search.retrieved import Retrieved, TermUsage
from assistant.search.units import UnitVectors, split_units, unit_cache_file
from assistant.search.vocabulary import lexical_text, term_usage, unknown_terms

MODES = ("hybrid", "dense", "lexical")
# An essay's outline answers a question this close to the essay's title. Set from a dozen
# questions written for it (broad ones 0.41–0.94, ones about a single point 0.04–0.35).
OUTLINE_TITLE_MIN = 0.38
# Candidate passages whose unit vectors small-to-big keeps at hand (about 9 KB each).
UNIT_VECTORS_KEPT = 2048


class PassageRetriever(BaseRetriever):
    """Hybrid dense + BM25 retrieval over the indexed chunks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ChunkIndex
    settings: Settings
    mode: str = "hybrid"

    _lexical: LexicalIndex | None = PrivateAttr(default=None)
    _chunks: dict[str, Chunk] = PrivateAttr(default_factory=dict)
    _loaded: tuple[int, int] = PrivateAttr(default=(-1, -1))
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _units: UnitVectors | None = PrivateAttr(default=None)
    # Each candidate passage's unit vectors, looked up once: splitting and hashing the
    # units of 60 candidates cost more per query than the rest of small-to-big.
    # With them, which of those units say something (see :meth:`_best_sentence`), and
    # their texts.
    _unit_vecs: dict[str, tuple[np.ndarray, np.ndarray, tuple[str, ...]]] = PrivateAttr(
        default_factory=dict
    )

    @classmethod
    def from_settings(
        cls, settings: Settings, embeddings: LocalEmbeddings | None = None, mode: str = "hybrid"
    ) -> PassageRetriever:
        index = ChunkIndex(settings, embeddings or LocalEmbeddings(settings), create=False)
        return cls(index=index, settings=settings, mode=mode)

    @property
    def k(self) -> int:
        return self.settings.k

    @property
    def units(self) -> UnitVectors:
        """Vectors of passage units (sentences, list items), cached on disk by text."""
        with self._lock:
            if self._units is None:
                emb = self.index.embeddings
                self._units = UnitVectors(emb, unit_cache_file(self.settings.data_dir, emb))
            return self._units

    @property
    def chunks(self) -> dict[str, Chunk]:
        self._refresh()
        return self._chunks

    def _refresh(self) -> None:
        """(Re)build the BM25 index when an ingest changed the collection, from the same
        read of it that loads the exact-search vectors."""
        generation, chunks = self.index.snapshot()
        with self._lock:
            if generation == self._loaded and self._lexical is not None:
                return
            self._chunks = {c.id: c for c in chunks}
            self._unit_vecs = {}
            self._lexical = LexicalIndex([c.id for c in chunks], [lexical_text(c) for c in chunks])
            self._loaded = generation

    def hits(self, query: str, k: int | None = None, mode: str | None = None) -> list[SearchHit]:
        return self.retrieve(query, k, mode).hits

    def retrieve(
        self, query: str, k: int | None = None, mode: str | None = None, *, asks: str | None = None
    ) -> Retrieved:
        """The top ``k`` passages for ``query``. ``asks`` is the user's own question when
        ``query`` reads it with the conversation: the quantity it asks ("How long…?") is
        read from it, not from an earlier turn joined before it ("" asks none)."""
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        k = k or self.settings.k
        self._refresh()
        n = max(self.settings.candidates, k)
        text = spelled_out(query)  # "a PR" is the essays' "a pull request"
        qvec = np.asarray(self.index.embeddings.embed_query(text), dtype=np.float32)
        dense = [] if mode == "lexical" else self.index.search_by_vector(qvec, n)
        assert self._lexical is not None
        lexical = [] if mode == "dense" else self._lexical.search(text, n)
        cosines = {h.chunk.id: h.score for h in dense}
        bm25 = dict(lexical)
        ranking = [h.chunk.id for h in dense]
        units = mode == "hybrid" and self.settings.unit_weight > 0
        stating: list[str] = []  # asked "how long…": passages by their sentence saying it
        if units:
            candidates = list(dict.fromkeys([*ranking, *bm25]))
            ranking = self._small_to_big(candidates, qvec, cosines)
            asked = asked_quantity(spelled_out(asks) if asks is not None else text)
            if asked and ranking:
                chunks = self._chunks  # one snapshot: a re-ingest may swap the dict
                near = of_closest_essay(
                    ranking[: 2 * self.settings.k], lambda c: getattr(chunks.get(c), "source", None)
                )
                stating = quantity_ranking(near, self._unit_vectors, qvec, asked)
        fused = fuse(
            ranking, [i for i, _ in lexical], cosines, bm25, self.settings, stating=stating
        )
        rank_fused = mode == "hybrid" and self.settings.fusion == "rrf"
        leads = ranking[:MEANING_LEADS] if rank_fused else []
        fused = with_leads(fused, leads, k)
        chosen = cap_per_essay(fused, self._chunks, k, self.settings.max_per_essay, keep=leads)
        self._add_cosines([i for i in chosen if i not in cosines], qvec, cosines)
        fused_score = dict(fused)
        hits = [
            SearchHit(self._chunks[i], cosines.get(i, 0.0), bm25.get(i, 0.0), fused_score[i])
            for i in chosen
            if i in self._chunks
        ]
        return Retrieved(
            query=query,
            hits=hits,
            dense_best=max(cosines.values(), default=0.0),
            unit_best=self._best_sentence(hits, qvec) if units else 0.0,
            unknown_terms=unknown_terms(self._lexical, text, [h.chunk for h in hits]),
            passages=len(self._lexical),
            query_vector=qvec,
        )

    def retrieve_all(
        self, queries: Sequence[str], k: int | None = None, *, asks: str | None = None
    ) -> Retrieved:
        """The question read several ways, ``queries`` (the one the answer goes by
        first): each retrieved, and their passages fused (:func:`fuse_readings`).
        ``asks``: the user's own question (see :meth:`retrieve`)."""
        return self.fused([self.retrieve(q, k, asks=asks) for q in queries], k)

    def fused(self, found: Sequence[Retrieved], k: int | None = None) -> Retrieved:
        """Retrievals of one question read several ways as one (:func:`fuse_readings`)."""
        return fuse_readings(found, self.chunks, k or self.settings.k, self.settings)

    def with_outline(self, retrieved: Retrieved, *, factors: bool = False) -> Retrieved:
        """``retrieved`` plus the sections of the best-matching essay whose headings are
        its own list of rules or steps, when there is one; with ``factors`` (the question
        weighs options), whose headings are any list, such as the factors of a choice.

        The essay must lead the ranking (be among the first three, for ``factors``) or
        hold two of the top ``k`` passages: an outline of an essay that only brushes the
        question would answer something else.
        And the question must be about the essay as a whole (``_about_essay``).
        """
        hits = retrieved.hits
        if retrieved.outline or not hits:
            return retrieved
        top = hits[: self.settings.k]
        per_essay: dict[str, int] = {}
        for hit in top:
            per_essay[hit.chunk.source] = per_essay.get(hit.chunk.source, 0) + 1
        tried: set[str] = set()
        for rank, hit in enumerate(top):
            source = hit.chunk.source
            # Asked how to choose, an essay among the first three may be about the choice
            # ("Choosing between companies" for "How should I pick between two offers?").
            lone = rank >= (3 if factors else 1) and per_essay[source] < 2
            if source in tried or lone:
                continue
            tried.add(source)
            heads = outline_items(section_heads(self.chunks.values(), source))
            headings = [c.heading[0] for c in heads]
            if is_rule_list(hit.chunk.title, headings, factors=factors) and self._about_essay(
                retrieved, hit.chunk.title, headings
            ):
                return self._add_outline(retrieved, heads)
        return retrieved

    def led_by(
        self, retrieved: Retrieved, chunk: Chunk, term: str, *, alone: bool = False
    ) -> Retrieved:
        """``retrieved`` with ``chunk`` first, as many passages as before (or ``alone``):
        the passage that says what the question's ``term`` is leads (see
        ``answer.coverage.definition``)."""
        rest = [] if alone else [h for h in retrieved.hits if h.chunk.id != chunk.id]
        if len(rest) == len(retrieved.hits) and rest:
            rest = rest[:-1]  # it takes the last one's place
        cosines: dict[str, float] = {}
        if retrieved.query_vector is not None:
            self._add_cosines([chunk.id], retrieved.query_vector, cosines)
        lead = SearchHit(chunk, cosines.get(chunk.id, 0.0))
        return replace(retrieved, hits=[lead, *rest], definition=1, term=term)

    def _about_essay(self, retrieved: Retrieved, title: str, headings: list[str]) -> bool:
        """Whether the question asks what the essay as a whole is about ("How do I
        negotiate an offer?" and "Ten rules of negotiation": 0.41), not one point inside
        it ("How do I get off the phone without committing?": 0.10), nor one of its
        sections more than the whole ("How do I build a portfolio?")."""
        if retrieved.query_vector is None:
            return False
        cosines = self.units.get([title, *headings]) @ retrieved.query_vector
        return bool(cosines[0] >= OUTLINE_TITLE_MIN and cosines[0] >= cosines[1:].max())

    def _add_outline(self, retrieved: Retrieved, heads: list[Chunk]) -> Retrieved:
        hits = list(retrieved.hits)
        # A section already retrieved is cited where it is, by whichever of its passages.
        position: dict[tuple[str, str], int] = {}
        for n, h in enumerate(hits, 1):
            if h.chunk.heading:
                position.setdefault((h.chunk.source, h.chunk.heading[0]), n)
        cosines: dict[str, float] = {}
        if retrieved.query_vector is not None:
            self._add_cosines([c.id for c in heads], retrieved.query_vector, cosines)
        outline = []
        for chunk in heads:
            key = (chunk.source, chunk.heading[0])
            if key not in position:
                hits.append(SearchHit(chunk, cosines.get(chunk.id, 0.0)))
                position[key] = len(hits)
            outline.append(position[key])
        added = len(hits) - len(retrieved.hits)
        return replace(retrieved, hits=hits, outline=tuple(outline), outline_only=added)

    def _add_cosines(self, ids: list[str], qvec: np.ndarray, cosines: dict[str, float]) -> None:
        """Passage cosines for candidates only BM25 found (from their stored vectors)."""
        for cid, vec in self.index.vectors(ids).items():
            cosines[cid] = float(vec @ qvec)

    def _small_to_big(
        self, ids: list[str], qvec: np.ndarray, cosines: dict[str, float]
    ) -> list[str]:
        """The candidates ranked by their passage cosine blended with their best unit's.

        A passage vector averages every sentence of a section, so the one sentence
        that answers ("A pull request doesn't have to represent finished work.") is
        diluted; matching units and returning their whole passage finds it. This
        ranking takes the dense one's place in fusion.
        """
        chunks = self._chunks  # once: a private attribute of a pydantic model is slow to read
        ids = [cid for cid in ids if cid in chunks]
        self._add_cosines([i for i in ids if i not in cosines], qvec, cosines)
        w, scored, kept = self.settings.unit_weight, {}, self._unit_vecs
        for cid in ids:
            found = kept.get(cid)
            vecs = found[0] if found is not None else self._unit_vectors(cid)[0]
            best = float((vecs @ qvec).max()) if len(vecs) else cosines[cid]
            scored[cid] = (1 - w) * cosines[cid] + w * best
        return sorted(scored, key=lambda cid: (-scored[cid], cid))

    def _best_sentence(self, hits: list[SearchHit], qvec: np.ndarray) -> float:
        """The best cosine of a sentence or list item of ``hits`` that says something:
        three words of its own, no table row ("Visa | $2200 | $110,000" had matched "How
        do I get a US work visa?" at 0.52)."""
        best = 0.0
        for h in hits:
            vecs, says, _ = self._unit_vectors(h.chunk.id)
            if says.any():
                best = max(best, float((vecs[says] @ qvec).max()))
        return best

    def _unit_vectors(self, cid: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """The vectors of a passage's units, which of them say something, and their texts."""
        found = self._unit_vecs.get(cid)
        if found is None:
            texts = tuple(u.text for u in split_units(self._chunks[cid].text))
            vecs = self.units.get(list(texts)) if texts else np.zeros((0, 1), dtype=np.float32)
            says = np.array([" | " not in t and len(set(terms(t))) >= 3 for t in texts], bool)
            if len(self._unit_vecs) >= UNIT_VECTORS_KEPT:
                self._unit_vecs = {}  # a bound, not an LRU: refilled from the unit cache
            found = self._unit_vecs[cid] = (vecs, says, texts)
        return found

    def doc_freq(self, term: str) -> int:
        """In how many passages a (stemmed) term occurs: how well the essays know a word."""
        return self.doc_freqs([term])[1][term]

    def doc_freqs(self, terms_: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(the number of passages, :meth:`doc_freq` of each term), from one look at the
        index: on a Chroma server each look is two requests."""
        self._refresh()
        assert self._lexical is not None
        return len(self._lexical), {t: self._lexical.doc_freq(t) for t in terms_}

    def term_usage(self, words: Sequence[str], keep: int) -> TermUsage:
        """How the passages use ``words`` (:func:`~assistant.search.vocabulary.term_usage`),
        from one look at the index."""
        self._refresh()
        assert self._lexical is not None
        return term_usage(self._lexical, self._chunks, words, keep)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        docs = []
        for hit in self.hits(query, kwargs.get("k")):
            meta = {**hit.chunk.to_metadata(), "score": hit.score, "lexical": hit.lexical}
            docs.append(Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.id))
        return docs
