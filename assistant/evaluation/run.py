"""Running a gold set: index the corpus in its own data dir, build the evaluator (and
the tutorial baseline beside it), score every question of a dataset, and record the
run's configuration with the metrics. Each question is scored by
:class:`~assistant.evaluation.evaluate.Evaluator`.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.answer import Assistant
from assistant.config import Settings
from assistant.evaluation.baseline import TutorialRetriever
from assistant.evaluation.dataset import load_dataset, topic_switches
from assistant.evaluation.evaluate import Evaluator
from assistant.evaluation.metrics import aggregate
from assistant.ingest import Ingester
from assistant.search import LocalEmbeddings, PassageRetriever


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


def prepare(
    settings: Settings, corpus_root: Path, generator: str | None = None, *, baseline: bool = True
) -> Evaluator:
    """Index ``corpus_root`` (incrementally, in its own data dir) and, unless told not to,
    build the tutorial baseline beside it; one evaluator then scores any dataset."""
    s = settings.replace(
        data_dir=settings.data_dir / "eval-index",
        collection="eval",
        generator=generator or settings.generator,
    )
    embeddings = LocalEmbeddings(s)
    report = Ingester(s, embeddings=embeddings).run([corpus_root])
    if not report.ok:
        # Say why: an index that already holds these essays from another folder skips
        # them by name, and "nothing could be indexed" alone left that to guess.
        why = "; ".join(f"{p.path}: {p.reason}" for p in report.problems[:3])
        raise ValueError(
            f"Nothing could be indexed from {corpus_root}" + (f" ({why})." if why else ".")
        )
    assistant = Assistant(s, embeddings, PassageRetriever.from_settings(s, embeddings))
    assistant.vectors.warm(assistant.retriever.chunks.values())
    tutorial = TutorialRetriever(corpus_root, embeddings) if baseline else None
    return Evaluator(assistant, corpus_root, tutorial)


def score(
    evaluator: Evaluator, dataset: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Every question of ``dataset`` through ``evaluator``: config, metrics and rows."""
    items = load_dataset(dataset)
    assistant, s = evaluator.assistant, evaluator.assistant.settings
    rows = []
    switches = topic_switches(items)
    for n, item in enumerate(items, 1):
        rows.append(evaluator.question(item, switches.get(item.id, "")))
        if progress:
            progress(n, len(items))
    return {
        "config": {
            "dataset": str(dataset),
            "corpus": str(evaluator.root),
            "generator": s.generator,
            "k": s.k,
            "fusion": s.fusion,
            "support_min": s.support_min,
            "refuse_below": s.refuse_below,
            "answer_unit_above": s.answer_unit_above,
            "refuse_near_below": s.refuse_near_below,
            "near_unit_above": s.near_unit_above,
            "model": assistant.embeddings.name,
            "dtype": assistant.embeddings.dtype,
            "chunks": len(assistant.retriever.chunks),
            "git_commit": git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        },
        "metrics": aggregate(rows, s.k),
        "rows": rows,
    }


def run_eval(
    settings: Settings,
    dataset: Path,
    corpus_root: Path,
    generator: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    baseline: bool = True,
) -> dict[str, Any]:
    """Index ``corpus_root`` and score one ``dataset`` (see :func:`prepare`, :func:`score`)."""
    return score(prepare(settings, corpus_root, generator, baseline=baseline), dataset, progress)
