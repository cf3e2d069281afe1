"""Turning per-question rows into metrics with confidence intervals, and gating a run
against a baseline.

Every rate is reported with a 95% percentile-bootstrap interval: with ~60 questions
a difference inside it is noise, so the gate only fails a metric that dropped by
more than its baseline's interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MODES = ("lexical", "dense", "hybrid")
# Retrieval rows scored beside ours: the LangChain tutorial's retriever, follow-ups
# retrieved with history and question naively joined, and standalone questions asked
# after an unrelated one (a topic switch), as we read them and naively joined.
REFERENCES = ("tutorial", "naive_followup", "switch_ours", "switch_naive")
BOOTSTRAP = 1000
# Latency is reported, never gated: a test must not fail on a wall-clock time. An
# answer's length in words is reported beside key-point coverage, which a longer answer
# buys: it is neither better higher nor lower.
NOT_GATED = ("latency", "answers.words")


def bootstrap_ci(values: Sequence[float], seed: int = 13) -> tuple[float, float, float]:
    """Mean and 95% percentile-bootstrap interval."""
    if not values:
        return (math.nan, math.nan, math.nan)
    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = rng.choice(arr, size=(BOOTSTRAP, len(arr)), replace=True).mean(axis=1)
    return float(arr.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs)) if xs else math.nan


def aggregate(rows: list[dict[str, Any]], k: int) -> dict[str, dict[str, float]]:
    """Every metric as {mean, lo, hi, n}."""
    metrics: dict[str, list[float]] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
            metrics.setdefault(name, []).append(float(value))

    for row in rows:
        for mode in (*MODES, *REFERENCES):
            for name, value in row.get(mode, {}).items():
                add(f"retrieval.{mode}.{name}", value)
        if "naive_followup" in row:  # ours on the same follow-ups, to compare like with like
            for name, value in row.get("hybrid", {}).items():
                add(f"retrieval.followup_ours.{name}", value)
        if "switch_ours" in row:  # the same questions asked alone: what a switch should keep
            for name, value in row.get("hybrid", {}).items():
                add(f"retrieval.switch_alone.{name}", value)
        for name in (
            "citation_validity",
            "citation_recall",
            "citation_precision",
            "cited_sentence_share",
        ):
            add(f"citations.{name}", row.get(name))
        add("answers.key_point_coverage", row.get("key_points"))
        add("answers.gold_essay_cited", row.get("gold_cited"))
        add("answers.evidence_cited", row.get("evidence_cited"))
        add("answers.words", row.get("words"))
        add("answers.repeated_share", row.get("repeated"))
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
    return name.endswith(("false_refusal_rate", "injection_leak_rate", "repeated_share"))


def compare(
    current: dict[str, dict[str, float]], baseline: dict[str, dict[str, float]]
) -> list[str]:
    """Metrics that got worse beyond their confidence interval (latency is never gated)."""
    worse = []
    for name, base in baseline.items():
        if name.startswith(NOT_GATED) or ".chars@" in name or name not in current:
            continue
        if "mean" not in base:
            continue
        cur = current[name]
        margin = max(base["hi"] - base["mean"], base["mean"] - base["lo"], 0.01)
        drop = (
            (cur["mean"] - base["mean"]) if lower_is_better(name) else (base["mean"] - cur["mean"])
        )
        if drop > margin:
            worse.append(f"{name}: {base['mean']:.3f} -> {cur['mean']:.3f} (allowed ±{margin:.3f})")
    return worse
