"""Offline evaluation: how good are the answers, and did a change make them worse?

Puts each question of a gold set (``eval/datasets/*.jsonl``) through retrieval (BM25 only,
dense only and the configured hybrid, so every number has a reference beside it)
and through the full assistant, and scores retrieval, citations (ALCE-style, with
our support score in place of an NLI model), answers, refusals and latency. Every
rate comes with a bootstrap 95% confidence interval: with ~60 questions, a
difference inside it is noise. No hosted judge, no network.

This module scores one gold question at a time; :mod:`assistant.evaluation.run`
indexes the corpus and runs a whole set through it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer import (
    MARKERS,
    Assistant,
    already_said,
    chunk_support,
    prompt,
    shares_run,
    split_claims,
    supporting_text,
    without_attribution,
)
from assistant.domain import Answer, Chunk, SearchHit
from assistant.evaluation.baseline import TutorialRetriever
from assistant.evaluation.dataset import Item
from assistant.evaluation.metrics import MODES, mean
from assistant.search import Retrieved, terms

CUTOFFS = (1, 3, 5, 10)


def _ranked_essays(sources: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for source in sources:
        if source not in seen:
            seen.append(source)
    return seen


def retrieval_row(item: Item, passages: Sequence[tuple[str, str]], k: int) -> dict[str, float]:
    """Essay-level ranking metrics and evidence recall@k for ranked (source, text) passages."""
    essays = _ranked_essays([source for source, _ in passages])
    gold = set(item.sources)
    first = next((i for i, e in enumerate(essays) if e in gold), None)
    row = {f"hit@{c}": float(first is not None and first < c) for c in CUTOFFS}
    row["mrr"] = 1.0 / (first + 1) if first is not None else 0.0
    dcg = sum(1 / math.log2(i + 2) for i, e in enumerate(essays[:10]) if e in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
    row["ndcg@10"] = dcg / ideal if ideal else 0.0
    for cut in sorted({3, k}):
        spans = [text for _, text in passages[:cut]]
        found = [any(ev in span for span in spans) for ev in item.evidence]
        row[f"evidence_recall@{cut}"] = sum(found) / len(found) if found else 0.0
        row[f"chars@{cut}"] = float(sum(len(span) for span in spans))
    return row


def repeated_share(answer: Answer, said: str) -> float:
    """The share of the answer's sentences that the previous answer already gave."""
    # As the essay says it: an author's attribution and a list's joining "and" are not
    # what was said, and a repeat after them is a repeat all the same.
    sentences = [
        re.sub(r"^(?:and|or)\s+", "", without_attribution(c.text))
        for c in split_claims(answer.text)
        if c.text.strip()
    ]
    repeated = already_said(said)
    return sum(repeated(s) for s in sentences) / len(sentences) if sentences else 0.0


class Evaluator:
    """Scores one dataset against one assistant, a question at a time; the run over a
    whole set is :func:`assistant.evaluation.run.score`."""

    def __init__(
        self, assistant: Assistant, corpus_root: Path, baseline: TutorialRetriever | None = None
    ) -> None:
        self.assistant = assistant
        self.baseline = baseline
        self.root = corpus_root
        self._raw: dict[str, str] = {}
        self.forbidden = [prompt(name) for name in ("answer", "condense")]

    def raw(self, source: str) -> str:
        if source not in self._raw:
            self._raw[source] = (self.root / source).read_text(encoding="utf-8", errors="replace")
        return self._raw[source]

    def question(self, item: Item, switched_from: str = "") -> dict[str, Any]:
        """One item through the assistant; ``switched_from`` is an unrelated question
        asked before it (see :func:`topic_switches`), scored for retrieval only."""
        a = self.assistant
        history: list[str | dict[str, str]] = list(item.history)
        said = ""
        if item.history:
            # A real conversation: the previous question was answered, and a follow-up's
            # answer is scored as given after that answer.
            said = a.ask(item.history[-1], item.history[:-1]).text
            history.append({"role": "assistant", "content": said})
        started = time.perf_counter()
        answer = a.ask(item.question, history)
        elapsed = (time.perf_counter() - started) * 1000
        row: dict[str, Any] = {
            "id": item.id,
            "kind": item.kind,
            "answerable": item.answerable,
            "question": item.question,
            "query": answer.query,
            "refused": answer.refused,
            "reason": answer.reason,
            "answer": answer.text,
            "generator": answer.generator,
            "cited_sources": sorted({c.source for c in answer.citations}),
            "timings": {**answer.timings, "wall_ms": elapsed},
        }
        # As the answer read the question: its query, and the readings fused with it.
        readings = (answer.query, *answer.variants)
        asks = item.question  # what the question asks, however it was read
        found = a.retriever.retrieve_all(readings, asks=asks)
        hits = self._read(readings, max(10, a.settings.k), found, asks)
        if item.answerable:
            row.update(self._retrieval(item, answer.query, hits))
        if item.answerable and switched_from:
            row.update(self._switch(item, switched_from))
        given = a.outlined(item.question, found)
        top_k = {h.chunk.id for h in given.hits}
        row.update(self._citation_scores(answer, top_k, hits))
        if item.answerable and not answer.refused:
            row["key_points"] = self._key_points(answer, item.key_points)
            row["words"] = len(MARKERS.sub("", answer.text).split())  # the essays' words
            row["gold_cited"] = float(bool(set(item.sources) & set(row["cited_sources"])))
            row["evidence_cited"] = self._evidence_cited(item, answer)
            if said:
                row["repeated"] = repeated_share(answer, said)
        if item.kind == "injection":
            row["leaked"] = float(any(shares_run(answer.text, f) for f in self.forbidden))
        return row

    def _retrieval(self, item: Item, query: str, hybrid: Sequence[SearchHit]) -> dict[str, Any]:
        """Each retriever of ours, the tutorial baseline, and (for follow-ups) the
        history and question naively joined, all scored the same way."""
        a, k = self.assistant, self.assistant.settings.k
        out: dict[str, Any] = {}
        for mode in MODES:
            hits = hybrid if mode == "hybrid" else a.retriever.retrieve(query, 10, mode).hits
            out[mode] = retrieval_row(item, self._spans(hits), k)
        if self.baseline is not None:
            found = self.baseline.retrieve(item.question, 10)
            out["tutorial"] = retrieval_row(item, [(h.source, h.text) for h in found], k)
        if item.history:
            naive = " ".join([*item.history, item.question])
            out["naive_followup"] = retrieval_row(
                item, self._spans(a.retriever.retrieve(naive, 10).hits), k
            )
        return out

    def _read(
        self,
        readings: Sequence[str],
        depth: int,
        found: Retrieved | None = None,
        asks: str | None = None,
    ) -> list[SearchHit]:
        """The passages of the question read as ``readings``, ``depth`` of them: first
        their top k fused, as the answer was drafted from them (``found``, when already
        retrieved), then the rest of what their top ``depth`` fuse to. ``asks``: the
        question the readings read (see :meth:`PassageRetriever.retrieve`)."""
        retriever = self.assistant.retriever
        deeper = retriever.retrieve_all(readings, depth, asks=asks).hits
        # Not the first k of the deeper list, even for one reading: the top k keeps the
        # passage that leads by meaning (search/fusion.py, ``with_leads``), which the
        # deeper list need not rank among its first k.
        top = (found or retriever.retrieve_all(readings, asks=asks)).hits
        seen = {h.chunk.id for h in top}
        return [*top, *(h for h in deeper if h.chunk.id not in seen)][:depth]

    def _switch(self, item: Item, before: str) -> dict[str, Any]:
        """The question asked after an unrelated one: retrieved as the assistant reads it
        in that conversation, and with the two naively joined."""
        a, k = self.assistant, self.assistant.settings.k
        ours = a.standalone_queries(item.question, [before])
        naive = (f"{before} {item.question}",)
        ours_hits = self._read(ours, 10, None, item.question)
        return {
            "switch_ours": retrieval_row(item, self._spans(ours_hits), k),
            "switch_naive": retrieval_row(item, self._spans(self._read(naive, 10)), k),
        }

    def _spans(self, hits: Sequence[SearchHit]) -> list[tuple[str, str]]:
        """Each passage as the file text it came from: evidence is quoted from files."""
        return [(h.chunk.source, self._file_text(h.chunk)) for h in hits]

    def _file_text(self, chunk: Chunk) -> str:
        return self.raw(chunk.source)[chunk.start : chunk.end]

    def _evidence_cited(self, item: Item, answer: Answer) -> float:
        """1 when a passage the answer cites holds one of the evidence quotes: the answer
        stands on the passage that answers, not just on the right essay."""
        chunks = self.assistant.retriever.chunks
        for c in answer.citations:
            chunk = chunks.get(c.chunk_id)
            if chunk is not None and any(ev in self._file_text(chunk) for ev in item.evidence):
                return 1.0
        return 0.0

    def _citation_scores(
        self, answer: Answer, top_k: set[str], pool: Sequence[SearchHit]
    ) -> dict[str, Any]:
        if answer.refused or not answer.citations:
            return {}
        valid = [c.chunk_id in top_k for c in answer.citations]
        passages = {c.n: c for c in answer.citations}
        # What the verifier lets a claim rest on: the passage under its headings.
        texts = {h.chunk.id: supporting_text(h.chunk) for h in pool}
        chunks = {h.chunk.id: h.chunk for h in pool}
        scorer, t = self.assistant.scorer, self.assistant.settings.support_min
        recall, precision, cited = [], [], []
        for claim in split_claims(answer.text):
            if not re.search(r"\w", claim.text):
                continue
            cited.append(float(bool(claim.cited)))
            cites = [passages[n] for n in claim.cited if n in passages]
            if not cites:
                recall.append(0.0)
                continue
            said = without_attribution(claim.text)  # as the verifier measures it
            union = " ".join(texts.get(c.chunk_id, c.quote) for c in cites)
            # ALCE: a citation is precise if it alone supports the claim (as the verifier
            # checks it: a table row's reading word for word).
            precise = [
                float(chunk_support(said, chunks[c.chunk_id], scorer)[0] >= t)
                if c.chunk_id in chunks
                else float(scorer.score(said, c.quote)[0] >= t)
                for c in cites
            ]
            recall.append(max([float(scorer.score(said, union)[0] >= t), *precise]))
            precision.extend(precise)
        return {
            "citation_validity": float(all(valid)),
            "citation_recall": mean(recall),
            "citation_precision": mean(precision),
            "cited_sentence_share": mean(cited),
        }

    def _key_points(self, answer: Answer, points: list[str]) -> float:
        if not points:
            return 0.0
        sentences = [c.text for c in split_claims(answer.text) if c.text.strip()] or [answer.text]
        vecs = self.assistant.vectors.get([*points, *sentences])
        sims = vecs[: len(points)] @ vecs[len(points) :].T
        said = set(terms(answer.text))

        def lexically(point: str) -> bool:
            words = set(terms(point))
            return bool(words) and len(words & said) / len(words) >= 0.6

        covered = [float(sims[i].max() >= 0.55 or lexically(p)) for i, p in enumerate(points)]
        return sum(covered) / len(covered)
