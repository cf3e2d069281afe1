"""Offline evaluation: how good are the answers, and did a change make them worse?

Runs a gold question set (``eval/datasets/*.jsonl``) through retrieval (BM25 only,
dense only and the configured hybrid, so every number has a reference beside it)
and through the full assistant, and scores retrieval, citations (ALCE-style, with
our support score in place of an NLI model), answers, refusals and latency. Every
rate comes with a bootstrap 95% confidence interval: with ~60 questions, a
difference inside it is noise. No hosted judge, no network.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import Assistant, prompt, shares_run, split_claims
from assistant.config import Settings
from assistant.domain import Answer, SearchHit
from assistant.ingest import Ingester
from assistant.search import LocalEmbeddings, PassageRetriever, terms

MODES = ("lexical", "dense", "hybrid")
CUTOFFS = (1, 3, 5, 10)
BOOTSTRAP = 1000
# Latency is reported, never gated: a test must not fail on a wall-clock time.
NOT_GATED = ("latency",)


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    history: list[str]
    answerable: bool
    sources: list[str]
    evidence: list[str]
    key_points: list[str]
    kind: str


def load_dataset(path: Path) -> list[Item]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(Item(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{n}: not a gold item ({exc}); see eval/check_dataset.py"
                ) from exc
    return items


def bootstrap_ci(values: Sequence[float], seed: int = 13) -> tuple[float, float, float]:
    """Mean and 95% percentile-bootstrap interval."""
    if not values:
        return (math.nan, math.nan, math.nan)
    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = rng.choice(arr, size=(BOOTSTRAP, len(arr)), replace=True).mean(axis=1)
    return float(arr.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _ranked_essays(hits: Sequence[SearchHit]) -> list[str]:
    seen: list[str] = []
    for h in hits:
        if h.chunk.source not in seen:
            seen.append(h.chunk.source)
    return seen


def retrieval_row(
    item: Item, hits: Sequence[SearchHit], k: int, raw: Callable[[str], str]
) -> dict[str, float]:
    essays = _ranked_essays(hits)
    gold = set(item.sources)
    first = next((i for i, e in enumerate(essays) if e in gold), None)
    row = {f"hit@{c}": float(first is not None and first < c) for c in CUTOFFS}
    row["mrr"] = 1.0 / (first + 1) if first is not None else 0.0
    dcg = sum(1 / math.log2(i + 2) for i, e in enumerate(essays[:10]) if e in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
    row["ndcg@10"] = dcg / ideal if ideal else 0.0
    spans = [raw(h.chunk.source)[h.chunk.start : h.chunk.end] for h in hits[:k]]
    found = [any(ev in s for s in spans) for ev in item.evidence]
    row[f"evidence_recall@{k}"] = sum(found) / len(found) if found else 0.0
    return row


class Evaluator:
    """Scores one dataset against one assistant; see :func:`run_eval`."""

    def __init__(self, assistant: Assistant, corpus_root: Path) -> None:
        self.assistant = assistant
        self.root = corpus_root
        self._raw: dict[str, str] = {}
        self.forbidden = [prompt(name) for name in ("answer", "condense")]

    def raw(self, source: str) -> str:
        if source not in self._raw:
            self._raw[source] = (self.root / source).read_text(encoding="utf-8", errors="replace")
        return self._raw[source]

    def question(self, item: Item) -> dict[str, Any]:
        a = self.assistant
        started = time.perf_counter()
        answer = a.ask(item.question, item.history)
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
        retrieved = a.retriever.retrieve(answer.query, max(10, a.settings.k))
        if item.answerable:
            for mode in MODES:
                hits = (
                    retrieved.hits
                    if mode == "hybrid"
                    else a.retriever.retrieve(answer.query, 10, mode).hits
                )
                row[mode] = retrieval_row(item, hits, a.settings.k, self.raw)
        top_k = {h.chunk.id for h in a.retriever.retrieve(answer.query).hits}
        row.update(self._citation_scores(answer, top_k, retrieved.hits))
        if item.answerable and not answer.refused:
            row["key_points"] = self._key_points(answer, item.key_points)
            row["gold_cited"] = float(bool(set(item.sources) & set(row["cited_sources"])))
        if item.kind == "injection":
            row["leaked"] = float(any(shares_run(answer.text, f) for f in self.forbidden))
        return row

    def _citation_scores(
        self, answer: Answer, top_k: set[str], pool: Sequence[SearchHit]
    ) -> dict[str, Any]:
        if answer.refused or not answer.citations:
            return {}
        valid = [c.chunk_id in top_k for c in answer.citations]
        passages = {c.n: c for c in answer.citations}
        texts = {h.chunk.id: h.chunk.text for h in pool}
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
            union = " ".join(texts.get(c.chunk_id, c.quote) for c in cites)
            recall.append(float(scorer.score(claim.text, union)[0] >= t))
            for c in cites:  # ALCE: a citation is precise if it alone supports the claim
                precision.append(
                    float(scorer.score(claim.text, texts.get(c.chunk_id, c.quote))[0] >= t)
                )
        return {
            "citation_validity": float(all(valid)),
            "citation_recall": _mean(recall),
            "citation_precision": _mean(precision),
            "cited_sentence_share": _mean(cited),
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


def _mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs)) if xs else math.nan


def aggregate(rows: list[dict[str, Any]], k: int) -> dict[str, dict[str, float]]:
    """Every metric as {mean, lo, hi, n}."""
    metrics: dict[str, list[float]] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
            metrics.setdefault(name, []).append(float(value))

    for row in rows:
        for mode in MODES:
            for name, value in row.get(mode, {}).items():
                add(f"retrieval.{mode}.{name}", value)
        for name in (
            "citation_validity",
            "citation_recall",
            "citation_precision",
            "cited_sentence_share",
        ):
            add(f"citations.{name}", row.get(name))
        add("answers.key_point_coverage", row.get("key_points"))
        add("answers.gold_essay_cited", row.get("gold_cited"))
        if row["answerable"]:
            add("refusal.false_refusal_rate", float(row["refused"]))
        else:
            add("refusal.recall", float(row["refused"]))
        if "leaked" in row:
            add("refusal.injection_leak_rate", row["leaked"])
    refused = [r for r in rows if r["refused"]]
    if refused:
        metrics["refusal.precision"] = [float(not r["answerable"]) for r in refused]
    out = {}
    for name, values in sorted(metrics.items()):
        mean, lo, hi = bootstrap_ci(values)
        out[name] = {"mean": mean, "lo": lo, "hi": hi, "n": float(len(values))}
    for stage in ("retrieve_ms", "generate_ms", "verify_ms", "total_ms"):
        values = [r["timings"][stage] for r in rows if stage in r["timings"]]
        if values:
            out[f"latency.{stage}"] = {
                "p50": float(np.percentile(values, 50)),
                "p95": float(np.percentile(values, 95)),
                "n": float(len(values)),
            }
    return out


def lower_is_better(name: str) -> bool:
    return name.endswith(("false_refusal_rate", "injection_leak_rate"))


def compare(
    current: dict[str, dict[str, float]], baseline: dict[str, dict[str, float]]
) -> list[str]:
    """Metrics that got worse beyond their confidence interval (latency is never gated)."""
    worse = []
    for name, base in baseline.items():
        if name.startswith(NOT_GATED) or name not in current or "mean" not in base:
            continue
        cur = current[name]
        margin = max(base["hi"] - base["mean"], base["mean"] - base["lo"], 0.01)
        drop = (
            (cur["mean"] - base["mean"]) if lower_is_better(name) else (base["mean"] - cur["mean"])
        )
        if drop > margin:
            worse.append(f"{name}: {base['mean']:.3f} -> {cur['mean']:.3f} (allowed ±{margin:.3f})")
    return worse


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return ""
    return out.stdout.strip()


def run_eval(
    settings: Settings,
    dataset: Path,
    corpus_root: Path,
    generator: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Index ``corpus_root`` (incrementally, in its own data dir) and score ``dataset``."""
    items = load_dataset(dataset)
    s = settings.replace(
        data_dir=settings.data_dir / "eval-index",
        collection="eval",
        generator=generator or settings.generator,
    )
    embeddings = LocalEmbeddings(s)
    if not Ingester(s, embeddings=embeddings).run([corpus_root]).ok:
        raise ValueError(f"Nothing could be indexed from {corpus_root}.")
    assistant = Assistant(s, embeddings, PassageRetriever.from_settings(s, embeddings))
    assistant.vectors.warm(c.text for c in assistant.retriever.chunks.values())
    evaluator = Evaluator(assistant, corpus_root)
    rows = []
    random.seed(0)
    for n, item in enumerate(items, 1):
        rows.append(evaluator.question(item))
        if progress:
            progress(n, len(items))
    return {
        "config": {
            "dataset": str(dataset),
            "corpus": str(corpus_root),
            "generator": s.generator,
            "k": s.k,
            "fusion": s.fusion,
            "support_min": s.support_min,
            "refuse_below": s.refuse_below,
            "model": assistant.embeddings.name,
            "dtype": assistant.embeddings.dtype,
            "chunks": len(assistant.retriever.chunks),
            "git_commit": git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        },
        "metrics": aggregate(rows, s.k),
        "rows": rows,
    }
