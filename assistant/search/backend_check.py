"""Is a faster backend the same model? The equivalence check, and where its verdict lives.

A backend other than torch float32 is used by ``embedding_backend = auto`` only once it has
been shown to give the same vectors and the same rankings on the corpus's own text: every
vector within cosine ``MIN_COSINE`` of torch's, and the exact top-5 of sampled queries
agreeing on at least ``MIN_TOP5_OVERLAP`` of their members. The check runs once, when the
export is made (at ingest, where torch is loaded anyway); its result is written beside the
export, so a later process reads a small JSON file instead of loading torch to ask again.

Layout: ``<data dir>/cache/embeddings/<model fingerprint>/`` holds ``model.onnx`` and
``check.json``. The folder is keyed by the weights' fingerprint, so other weights never
pick up this export, and the same weights in another folder share it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ONNX_FILE = "model.onnx"
RECORD_FILE = "check.json"
# The bar from issue #11: bf16 (cosine ≈ 0.9965, top-5 overlap 0.991) must fail it, an
# fp32 export of the same graph (cosine ≈ 0.99999) must pass it.
MIN_COSINE = 0.9999
MIN_TOP5_OVERLAP = 0.99
# Fewer texts than this say too little about rankings: a batch this size or larger starts
# the check by itself; an explicit ``prepare`` needs at least MIN_PREPARE_TEXTS.
MIN_CHECK_TEXTS = 32
MIN_PREPARE_TEXTS = 10
# Texts and queries compared: enough for a stable overlap figure, cheap beside an ingest.
MAX_CHECK_TEXTS = 512
MAX_QUERIES = 100
RECORD_VERSION = 1

Encode = Callable[[list[str]], np.ndarray]


def cache_folder(data_dir: Path, fingerprint: str) -> Path:
    return Path(data_dir) / "cache" / "embeddings" / fingerprint.replace(":", "-")


@dataclass(frozen=True)
class CheckResult:
    """How a candidate backend compares with torch float32 on the same texts."""

    texts: int
    queries: int
    cosine_min: float
    cosine_mean: float
    top5_overlap: float
    top1_agreement: float

    @property
    def passed(self) -> bool:
        return self.cosine_min >= MIN_COSINE and self.top5_overlap >= MIN_TOP5_OVERLAP

    def summary(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return (
            f"{verdict}: cosine min {self.cosine_min:.6f} on {self.texts} texts, top-5 "
            f"overlap {self.top5_overlap:.3f} on {self.queries} queries"
        )


def spread(n: int) -> list[int]:
    """Indices of at most ``MAX_CHECK_TEXTS`` items spread over ``n`` (not just the first
    file's chunks)."""
    step = max(1, -(-n // MAX_CHECK_TEXTS))
    return list(range(0, n, step))[:MAX_CHECK_TEXTS]


def _queries(texts: list[str]) -> list[str]:
    """Question-sized probes: the first sentence of evenly spaced texts."""
    step = max(1, len(texts) // MAX_QUERIES)
    picked = texts[::step][:MAX_QUERIES]
    return [t.strip().split("\n", 1)[-1].split(". ")[0][:200] or t[:200] for t in picked]


def compare(
    texts: list[str], reference: Encode, candidate: Encode, ref_vectors: np.ndarray | None = None
) -> CheckResult:
    """Vectors and exact top-5 rankings of ``candidate`` against ``reference`` on ``texts``
    (``ref_vectors``: the reference's vectors of ``texts`` when the caller has them)."""
    a = reference(texts) if ref_vectors is None else ref_vectors
    b = candidate(texts)
    cos = (a * b).sum(axis=1)
    queries = _queries(texts)
    qa, qb = reference(queries), candidate(queries)
    k = min(5, len(texts))
    top_a = np.argsort(-(qa @ a.T), axis=1)[:, :k]
    top_b = np.argsort(-(qb @ b.T), axis=1)[:, :k]
    overlap = np.mean([len(set(x) & set(y)) / k for x, y in zip(top_a, top_b, strict=True)])
    return CheckResult(
        texts=len(texts),
        queries=len(queries),
        cosine_min=round(float(cos.min()), 7),
        cosine_mean=round(float(cos.mean()), 7),
        top5_overlap=round(float(overlap), 4),
        top1_agreement=round(float(np.mean(top_a[:, 0] == top_b[:, 0])), 4),
    )


def read_record(folder: Path) -> dict[str, Any] | None:
    """The recorded verdict, or None when there is none (or it is unreadable: then the
    check simply runs again)."""
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        return None
    return record


def write_record(folder: Path, record: dict[str, Any]) -> None:
    """Atomically, like the export: a reader sees the old record or the new one."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{RECORD_FILE}.", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": RECORD_VERSION, **record}, fh, indent=2)
    os.replace(tmp, folder / RECORD_FILE)


def result_record(result: CheckResult) -> dict[str, Any]:
    return {**asdict(result), "passed": result.passed}
