"""The `career-assistant bench` command: which benchmark runs, and where its figures go.

Benchmarks print figures and never assert. Every figure has a reference measured in
the same run on the same machine, so the ratio means something even when the machine
is busy: ingest throughput is compared with a bare ``SentenceTransformer.encode`` of
exactly the same texts. The benchmarks: ingest (:mod:`.bench_ingest`), answers and cold
start (:mod:`.bench_answer`), scale (:mod:`.bench_scale`) and many small files
(:mod:`.bench_files`).
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.bench_answer import bench_answer
from assistant.evaluation.bench_ingest import bench_ingest

SHARED_CORPORA = Path("../shared/corpora")


def run_bench(settings: Settings, what: str, paths: list[Path]) -> int:
    if what in {"ingest", "answer", "scale", "ingest-files"}:
        if what == "ingest":
            figures = bench_ingest(settings, paths or _default_paths(settings))
        elif what == "answer":
            figures = bench_answer(settings, paths or _default_paths(settings))
        elif what == "ingest-files":
            from assistant.evaluation.bench_files import bench_files

            figures = bench_files(settings, 5000)
        else:
            from assistant.evaluation.bench_scale import bench_scale

            figures = bench_scale(settings, paths or _default_paths(settings))
        out = settings.data_dir / "bench" / f"{what}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2))
        print(f"\nfigures written to {out}")
        return 0
    raise ValueError(what)


def _default_paths(settings: Settings) -> list[Path]:
    paths = list(settings.corpus)
    if SHARED_CORPORA.is_dir():
        paths.append(SHARED_CORPORA)
    return paths
