"""Answer latency and cold start, each against a reference measured in the same run.

Warm retrieval and a full extractive answer per embedding backend, against a bare
query encode and numpy top-k over the same vectors; then wall time and peak RSS of a
fresh `ask` process per backend, against bare imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.evaluation.bench_ingest import BACKENDS
from assistant.ingest import Ingester
from assistant.search import LocalEmbeddings


def _row(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def _cores() -> int:
    return len(os.sched_getaffinity(0))


GOLD = Path("eval/datasets/gold.jsonl")


def bench_answer(settings: Settings, paths: list[Path]) -> dict[str, Any]:
    """Warm latency of retrieval and of a full extractive answer, against a bare
    query encode + numpy top-k over the same vectors on the same backend, measured in the
    same run; then the cold start of a whole `ask` process per backend."""
    questions = (
        [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]
        if GOLD.is_file()
        else ["How do I negotiate a job offer?"]
    )
    print(f"answer benchmark: {len(questions)} questions, {_cores()} cores")
    figures: dict[str, Any] = {"questions": len(questions), "backends": {}}
    with tempfile.TemporaryDirectory(prefix="ca-bench-") as tmp:
        s = settings.replace(
            data_dir=tmp, chroma_url="", collection="bench", generator="extractive"
        )
        Ingester(s, embeddings=LocalEmbeddings(s)).run(paths)
        for backend in BACKENDS:
            print(f"\n  backend {backend}")
            figures["backends"][backend] = _answer_latency(
                s.replace(embedding_backend=backend), questions
            )
        figures["cold_start"] = bench_cold_start(s, questions[0])
    return figures


def _answer_latency(s: Settings, questions: list[str]) -> dict[str, Any]:
    from assistant.answer import Assistant
    from assistant.search import PassageRetriever

    emb = LocalEmbeddings(s)
    bot = Assistant(s, emb, PassageRetriever.from_settings(s, emb))
    bot.vectors.warm(bot.retriever.chunks.values())
    chunks = list(bot.retriever.chunks.values())
    matrix = np.stack(list(bot.retriever.index.vectors([c.id for c in chunks]).values()))
    for q in questions[:3]:  # warm every path once
        bot.ask(q)
    ref, retr, full = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        v = emb.embed_array([q])[0]
        np.argsort(-(matrix @ v))[: s.k]
        ref.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        bot.retriever.retrieve(q)
        retr.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        bot.ask(q)
        full.append((time.perf_counter() - t0) * 1000)
    bot.retriever.index.close()

    def pct(xs: list[float], p: int) -> float:
        return round(float(np.percentile(xs, p)), 1)

    figures = {
        "backend": emb.backend,
        "chunks": len(chunks),
        "reference_encode_topk_ms": {"p50": pct(ref, 50), "p95": pct(ref, 95)},
        "retrieval_ms": {"p50": pct(retr, 50), "p95": pct(retr, 95)},
        "extractive_answer_ms": {"p50": pct(full, 50), "p95": pct(full, 95)},
        "retrieval_vs_reference_p50": round(pct(retr, 50) / max(pct(ref, 50), 0.01), 2),
    }
    _row("embedding backend that ran", emb.backend)
    _row("reference: encode + numpy top-k (p50 / p95)", f"{pct(ref, 50)} / {pct(ref, 95)} ms")
    _row(
        "hybrid retrieval (p50 / p95; target <= 1.25x)",
        f"{pct(retr, 50)} / {pct(retr, 95)} ms "
        f"({figures['retrieval_vs_reference_p50']:.2f}x reference)",
    )
    _row(
        "full extractive answer (p50 / p95; target p50 < 200)",
        f"{pct(full, 50)} / {pct(full, 95)} ms",
    )
    return figures


COLD_RUNS = 3  # fresh processes per command; the median is shown


def bench_cold_start(s: Settings, question: str) -> dict[str, Any]:
    """Wall time and peak RSS of fresh processes, medians of ``COLD_RUNS``: `ask` on the
    existing index per backend, against bare imports (``import assistant``; torch and
    sentence-transformers) in the same run."""
    cli = str(Path(sys.executable).parent / "career-assistant")
    ask = [cli, "ask", question, "--data-dir", str(s.data_dir), "--collection", s.collection]
    commands = {
        "python -c 'import assistant'": ([sys.executable, "-c", "import assistant"], {}),
        "python -c 'import torch, sentence_transformers'": (
            [sys.executable, "-c", "import torch, sentence_transformers"],
            {},
        ),
        "ask, onnx backend": (ask, {"CAREER_ASSISTANT_EMBEDDING_BACKEND": "onnx"}),
        "ask, torch backend (the old path)": (ask, {"CAREER_ASSISTANT_EMBEDDING_BACKEND": "torch"}),
    }
    print("\n  cold start (fresh process, median of 3; target ask <= 3 s, <= 400 MB)")
    figures: dict[str, Any] = {}
    for label, (cmd, env) in commands.items():
        runs = sorted(_timed_child(cmd, env) for _ in range(COLD_RUNS))
        seconds, rss_mb = runs[len(runs) // 2]
        figures[label] = {"s": round(seconds, 2), "peak_rss_mb": round(rss_mb)}
        _row(label, f"{seconds:.2f} s, peak RSS {rss_mb:.0f} MB")
    onnx, torch = figures["ask, onnx backend"], figures["ask, torch backend (the old path)"]
    base = figures["python -c 'import assistant'"]["s"]
    _row("ask onnx / import assistant", f"{onnx['s'] / base:.2f}x")
    _row("ask onnx / ask torch", f"{onnx['s'] / torch['s']:.2f}x")
    return figures


# Runs the command and prints its wall time and peak RSS. The command must be started by
# a small process: Linux counts a child's peak RSS from the process it was forked from
# (exec keeps the high-water mark), so forked from this one, every child would "peak" at
# this process's size.
_LAUNCHER = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - t0
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def _timed_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process running ``cmd``."""
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    seconds, rss_kb, code = proc.stdout.split()
    if proc.returncode != 0 or code != "0":
        raise RuntimeError(f"{cmd[1:3]} failed: {proc.stderr[-500:]}")
    return float(seconds), int(rss_kb) / 1024  # Linux reports kilobytes
