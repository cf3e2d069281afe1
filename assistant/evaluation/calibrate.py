"""Calibrate the support threshold on the hand-labelled (sentence, passage) pairs.

``assistant/data/support_pairs.jsonl`` holds pairs a person judged supported or
not. The verifier's score is computed for each, and the threshold that
classifies them best is reported next to the configured one, so a change to the
scorer shows up as a change in these figures (`career-assistant calibrate`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from assistant.answer import SupportScorer
from assistant.config import Settings
from assistant.search import LocalEmbeddings, UnitVectors

PAIRS_FILE = "support_pairs.jsonl"


def load_pairs() -> list[dict[str, Any]]:
    text = resources.files("assistant.data").joinpath(PAIRS_FILE).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Calibration:
    threshold: float  # the configured one
    accuracy: float  # at the configured threshold
    precision: float
    recall: float
    best_threshold: float
    best_accuracy: float
    pairs: int
    scores: tuple[tuple[float, bool], ...]


def _metrics(scores: list[tuple[float, bool]], t: float) -> tuple[float, float, float]:
    tp = sum(1 for s, y in scores if s >= t and y)
    fp = sum(1 for s, y in scores if s >= t and not y)
    fn = sum(1 for s, y in scores if s < t and y)
    acc = sum(1 for s, y in scores if (s >= t) == y) / len(scores)
    return acc, tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def calibrate(settings: Settings, embeddings: LocalEmbeddings | None = None) -> Calibration:
    scorer = SupportScorer(UnitVectors(embeddings or LocalEmbeddings(settings)))
    scores = [
        (scorer.score(p["sentence"], p["passage"])[0], bool(p["label"])) for p in load_pairs()
    ]
    grid = [round(0.30 + 0.01 * i, 2) for i in range(61)]
    # Ties go to the higher threshold: a wrongly kept claim costs more than a dropped one.
    best = max(grid, key=lambda t: (_metrics(scores, t)[0], t))
    acc, prec, rec = _metrics(scores, settings.support_min)
    return Calibration(
        threshold=settings.support_min,
        accuracy=acc,
        precision=prec,
        recall=rec,
        best_threshold=best,
        best_accuracy=_metrics(scores, best)[0],
        pairs=len(scores),
        scores=tuple(scores),
    )


def print_calibration(settings: Settings) -> int:
    c = calibrate(settings)
    print(f"{c.pairs} hand-labelled pairs ({PAIRS_FILE})")
    print(
        f"  support_min {c.threshold:.2f}: accuracy {c.accuracy:.3f}, "
        f"precision {c.precision:.3f}, recall {c.recall:.3f}"
    )
    print(f"  best threshold {c.best_threshold:.2f}: accuracy {c.best_accuracy:.3f}")
    return 0
