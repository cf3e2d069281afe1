"""Curation: the questions the essays answered badly, grouped by topic.

A logged question is *answered badly* when it was refused (except refusals of orders to
the assistant: those are attacks, not gaps), its user voted 👎, its support was weak, or
retrieval had no clear winner (thresholds below, derived from the settings). The bad
questions are embedded with the project's own model and clustered with scikit-learn's
``AgglomerativeClustering`` (average linkage, cosine distance, no fixed number of
clusters: ``CLUSTER_DISTANCE``). Each topic is named by its most distinctive terms
(class-based TF-IDF: one document per topic), shows three example questions, the essays
and sections the real retriever finds closest for its questions, and a verdict: *not
covered* (mostly refused, or matching the essays barely) or *covered but answered
poorly*. Not-covered and large topics come first.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.question_log import clean_record, load_log, utc_now
from assistant.search import STOPWORDS, LocalEmbeddings, PassageRetriever

# "Weak support": answered, but the best passage's cosine was within this of the
# refusal threshold (Settings.refuse_below), or the best cited sentence's support score
# within SUPPORT_MARGIN of the bar every kept claim clears (Settings.support_min).
WEAK_MARGIN = 0.15
SUPPORT_MARGIN = 0.05
# "No clear winner": the two best essays' cosines are this close, and the best is below
# refuse_below + NO_WINNER_BELOW (a strong match is clear enough whoever is second).
NO_WINNER_MARGIN = 0.03
NO_WINNER_BELOW = 0.20
# Average-linkage cosine distance under which two groups of questions merge (1 - cosine).
# Set on eval/datasets/curate-example-questions.txt with all-MiniLM-L6-v2: at 0.7 the
# freelancing questions split in two, at 0.8 visas merge with layoffs and burnout with
# promotions; 0.75 keeps each worry together.
CLUSTER_DISTANCE = 0.75
# A topic is "not covered" when at least this share of its questions was refused, or
# when its median best cosine is within UNCOVERED_MARGIN of refuse_below (the essays
# barely match it: on the example log, freelancing and burnout questions, 0.34-0.44,
# against 0.42-0.56 for covered questions answered poorly).
NOT_COVERED_SHARE = 0.5
UNCOVERED_MARGIN = 0.10
IGNORED_REASONS = frozenset({"instructions"})
EXAMPLES = 3
CLOSEST = 3
NAME_TERMS = 3
FLAGS = ("refused", "disliked", "weak support", "no clear winner")
NOT_COVERED, POORLY = "not covered", "covered but answered poorly"
# Words every career question uses: they name no topic.
GENERIC = frozenset(
    "should would could can get got want need know like way best good really anyone "
    "advice tips help think make much many also still even one im ive dont thing things "
    "career job work people someone something".split()
)


def thresholds(settings: Settings) -> dict[str, float]:
    """The numbers behind the flags, as the report prints them."""
    return {
        "weak_best_below": round(settings.refuse_below + WEAK_MARGIN, 4),
        "weak_support_below": round(settings.support_min + SUPPORT_MARGIN, 4),
        "no_winner_margin": NO_WINNER_MARGIN,
        "no_winner_below": round(settings.refuse_below + NO_WINNER_BELOW, 4),
        "not_covered_below": round(settings.refuse_below + UNCOVERED_MARGIN, 4),
        "cluster_distance": CLUSTER_DISTANCE,
    }


def no_clear_winner(top: Sequence[dict[str, Any]], limits: dict[str, float]) -> bool:
    best: dict[str, float] = {}
    for hit in top:
        source = str(hit.get("source", ""))
        best[source] = max(best.get(source, 0.0), float(hit.get("score", 0.0)))
    scores = sorted(best.values(), reverse=True)
    return (
        len(scores) >= 2
        and scores[0] - scores[1] < limits["no_winner_margin"]
        and scores[0] < limits["no_winner_below"]
    )


def flags_of(record: dict[str, Any], limits: dict[str, float]) -> list[str]:
    """Why a logged question counts as answered badly; [] when it was answered well.
    ``record`` is as the log's reading leaves it (``clean_record``: fields of their type)."""
    if record.get("reason") in IGNORED_REASONS:
        return []
    out = []
    if record.get("refused"):
        out.append("refused")
    if record.get("liked") is False:
        out.append("disliked")
    if not record.get("refused") and record.get("liked") is not True:  # a 👍 settles it
        support = record.get("support")
        best = float(record.get("best_score") or 0.0)
        if best < limits["weak_best_below"] or (
            support is not None and float(support) < limits["weak_support_below"]
        ):
            out.append("weak support")
        if no_clear_winner(record.get("top") or [], limits):
            out.append("no clear winner")
    return out


def cluster(vectors: np.ndarray) -> list[int]:
    """Topic labels for unit-length question vectors."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]

    model = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=CLUSTER_DISTANCE,
    )
    return [int(x) for x in model.fit_predict(vectors)]


def topic_terms(documents: list[str]) -> list[list[str]]:
    """The most distinctive terms of each document (one per topic): TF-IDF with the
    topics as the documents, so a word every topic uses ranks low."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    pattern = r"(?u)\b[a-zA-Z][\w-]+\b"
    # The stop words as this pattern cuts them ("don't" -> "don"), as sklearn expects.
    stop = sorted({t for w in STOPWORDS | GENERIC for t in re.findall(pattern, w)})
    vectorizer = TfidfVectorizer(stop_words=stop, ngram_range=(1, 2), token_pattern=pattern)
    try:
        matrix = vectorizer.fit_transform(documents).toarray()
    except ValueError:  # nothing but stop words
        return [[] for _ in documents]
    vocab = vectorizer.get_feature_names_out()
    out = []
    for row in matrix:
        chosen: list[str] = []
        for i in np.argsort(-row, kind="stable"):
            if row[i] <= 0 or len(chosen) == NAME_TERMS:
                break
            words = set(str(vocab[i]).split())
            if not any(words & set(c.split()) for c in chosen):
                chosen.append(str(vocab[i]))
        out.append(chosen)
    return out


def closest(retriever: PassageRetriever, queries: list[str], k: int) -> dict[str, Any]:
    """The sections and essays the retriever finds for a topic's questions: ranked by
    the sum of their cosines over the questions (found often and close ranks first),
    each shown with its mean cosine where found and how many questions found it."""
    sections: dict[tuple[str, str], list[float]] = defaultdict(list)
    essays: dict[str, list[float]] = defaultdict(list)
    titles: dict[str, str] = {}
    for query in queries:
        per_section: dict[tuple[str, str], float] = {}
        for hit in retriever.retrieve(query, k).hits:
            c = hit.chunk
            titles[c.source] = c.title
            key = (c.source, c.heading_path)
            per_section[key] = max(per_section.get(key, 0.0), hit.score)
        for key, score in per_section.items():
            sections[key].append(score)
        for source in {s for s, _ in per_section}:
            essays[source].append(max(v for (s, _), v in per_section.items() if s == source))

    def ranked(found: dict[Any, list[float]]) -> list[tuple[Any, list[float]]]:
        return sorted(found.items(), key=lambda kv: -sum(kv[1]))[:CLOSEST]

    return {
        "sections": [
            {"source": s, "title": titles[s], "heading": h, **_scored(v)}
            for (s, h), v in ranked(sections)
        ],
        "essays": [{"source": s, "title": titles[s], **_scored(v)} for s, v in ranked(essays)],
    }


def _scored(scores: list[float]) -> dict[str, Any]:
    return {"score": round(statistics.fmean(scores), 3), "found_by": len(scores)}


def _topic(
    members: list[dict[str, Any]], terms: list[str], near: dict[str, Any], uncovered_below: float
) -> dict[str, Any]:
    flags: Counter[str] = Counter(f for m in members for f in m["flags"])
    reasons = Counter(str(m.get("reason")) for m in members if m.get("refused"))
    best = [float(m.get("best_score") or 0.0) for m in members]
    # Not covered: mostly refused, or the essays' best passages barely match (median).
    uncovered = (
        flags["refused"] / len(members) >= NOT_COVERED_SHARE
        or statistics.median(best) < uncovered_below
    )
    # Examples: distinct questions, the most often asked first.
    asked = Counter(" ".join(str(m["question"]).split()) for m in members)
    return {
        "name": " · ".join(terms) or "(no distinctive words)",
        "terms": terms,
        "count": len(members),
        "verdict": NOT_COVERED if uncovered else POORLY,
        "flags": {f: flags[f] for f in FLAGS if flags[f]},
        "reasons": dict(reasons.most_common()),
        "mean_best_score": round(statistics.fmean(best), 3),
        "examples": [q for q, _ in asked.most_common(EXAMPLES)],
        "questions": sorted(asked),
        **near,
    }


def build_report(
    records: list[dict[str, Any]],
    settings: Settings,
    embeddings: LocalEmbeddings | None,
    retriever: PassageRetriever | None,
    since: dt.date | None = None,
    *,
    skipped: int = 0,
) -> dict[str, Any]:
    """The curation report (JSON-ready) for logged ``records`` (with votes joined), of
    which ``skipped`` more log lines could not be read. ``embeddings`` and ``retriever``
    are needed only when some question was answered badly."""
    # Cleaned again (it is idempotent): a caller may pass records straight from a file.
    cleaned = [r for r in map(clean_record, records) if r is not None]
    skipped += len(records) - len(cleaned)
    limits = thresholds(settings)
    bad = [{**r, "flags": f} for r in cleaned if (f := flags_of(r, limits))]
    report: dict[str, Any] = {
        "generated": utc_now(),
        "since": since.isoformat() if since else None,
        "questions": len(cleaned),
        "skipped": skipped,
        "answered_badly": len(bad),
        "flags": {f: sum(f in b["flags"] for b in bad) for f in FLAGS},
        "thresholds": limits,
        "clustering": "scikit-learn AgglomerativeClustering, average linkage, cosine "
        f"distance threshold {CLUSTER_DISTANCE}, on {embeddings.name if embeddings else 'the'} "
        "embedding model's vectors of each question's standalone query",
        "topics": [],
    }
    if not bad:
        return report
    if embeddings is None or retriever is None:
        raise AssistantError("Curating needs the index: run `career-assistant ingest` first.")
    texts = [b["query"] for b in bad]
    labels = cluster(embeddings.embed_array(texts))
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(i)
    order = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    names = topic_terms([" ".join(texts[i] for i in g) for g in order])
    topics = [
        _topic(
            [bad[i] for i in g],
            terms,
            closest(retriever, [texts[i] for i in g], settings.k),
            limits["not_covered_below"],
        )
        for g, terms in zip(order, names, strict=True)
    ]
    topics.sort(key=lambda t: (t["verdict"] != NOT_COVERED, -t["count"], t["mean_best_score"]))
    report["topics"] = topics
    return report


def curation_for(
    settings: Settings,
    since: dt.date | None = None,
    embeddings: LocalEmbeddings | None = None,
    retriever: PassageRetriever | None = None,
) -> dict[str, Any]:
    """The report for the data dir's log, opening the model and the index only when some
    question needs them (the web app passes its own)."""
    records, skipped = load_log(settings.data_dir, since)
    limits = thresholds(settings)
    if any(flags_of(r, limits) for r in records) and retriever is None:
        embeddings = embeddings or LocalEmbeddings(settings)
        retriever = PassageRetriever.from_settings(settings, embeddings)
    if retriever is not None and embeddings is None:
        embeddings = retriever.index.embeddings
    return build_report(records, settings, embeddings, retriever, since, skipped=skipped)
