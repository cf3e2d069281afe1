"""Benchmarks that print figures and never assert.

Every figure has a reference measured in the same run on the same machine, so
the ratio means something even when the machine is busy: ingest throughput is
compared with a bare ``SentenceTransformer.encode`` of exactly the same texts.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.ingest import Ingester, Problem
from assistant.search import LocalEmbeddings, cpu_has_native_bf16

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


def _row(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


BACKENDS = ("torch", "onnx")


def bench_ingest(settings: Settings, paths: list[Path]) -> dict[str, Any]:
    """Per embedding backend: the whole pipeline against a bare encode of the same texts
    on that same backend, and how close the ONNX vectors are to torch's."""
    print(
        f"ingest benchmark on {platform.processor() or platform.machine()}, "
        f"{_cores()} cores, python {platform.python_version()}"
    )
    print(f"  corpus: {', '.join(str(p) for p in paths)}")
    figures: dict[str, Any] = {"backends": {}}
    with tempfile.TemporaryDirectory(prefix="ca-bench-") as tmp:
        embs = {}
        for backend in BACKENDS:
            s = settings.replace(
                data_dir=Path(tmp) / backend,
                chroma_url="",
                collection="bench",
                embedding_backend=backend,
            )
            emb = LocalEmbeddings(s)
            t0 = time.perf_counter()
            emb.embed_array(["load the model (and make the ONNX export if it is missing)"])
            load_s = time.perf_counter() - t0
            emb.embed_array(["warm up the model", "and its thread pool"])
            if backend == BACKENDS[0]:
                texts = _chunk_texts(settings.replace(data_dir=Path(tmp) / "probe"), emb, paths)
            print(f"\n  backend {backend}: {emb.backend}")
            f = _bench_pipeline(s, emb, paths, texts)
            f["model_load_s"] = round(load_s, 2)
            _print_ingest(f)
            figures["backends"][backend] = f
            embs[backend] = emb
        figures["onnx_vs_torch"] = _compare_backends(embs["torch"], embs["onnx"], texts)
        torch_rate = figures["backends"]["torch"]["pipeline_chunks_per_s"]
        onnx_rate = figures["backends"]["onnx"]["pipeline_chunks_per_s"]
        _row("pipeline chunks/s, onnx / torch", f"{onnx_rate / torch_rate:.2f}x")
        figures["bf16"] = _bench_bf16(
            settings.replace(data_dir=Path(tmp) / "torch", embedding_backend="torch"),
            texts,
            figures["backends"]["torch"]["bare_encode_s"],
            embs["torch"],
        )
    return figures


def _bench_pipeline(
    s: Settings, emb: LocalEmbeddings, paths: list[Path], texts: list[str]
) -> dict[str, Any]:
    # Bare encode before and after the pipeline (A-B-A), so drift in machine load
    # during the run shows up in both sides of the ratio rather than in one.
    encode_before = _bare_encode_seconds(emb, texts, s.embedding_batch_size)
    t0 = time.perf_counter()
    report = Ingester(s, embeddings=emb).run(paths)
    pipeline_s = time.perf_counter() - t0
    encode_after = _bare_encode_seconds(emb, texts, s.embedding_batch_size)
    encode_s = (encode_before + encode_after) / 2

    t0 = time.perf_counter()
    again = Ingester(s, embeddings=emb).run(paths)
    reingest_s = time.perf_counter() - t0
    cli_s = _cli_reingest_seconds(s, paths)

    pipeline_rate = report.chunks_embedded / pipeline_s
    encode_rate = len(texts) / encode_s
    return {
        "backend": emb.backend,
        "files": report.files,
        "chunks": len(texts),
        "pipeline_s": round(pipeline_s, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 1),
        "bare_encode_s": round(encode_s, 2),
        "bare_encode_before_after_s": [round(encode_before, 2), round(encode_after, 2)],
        "bare_encode_chunks_per_s": round(encode_rate, 1),
        "pipeline_vs_encode": round(pipeline_rate / encode_rate, 3),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_unchanged_embedded": again.chunks_embedded,
        "reingest_unchanged_cli_s": round(cli_s, 2),
    }


def _compare_backends(
    torch_emb: LocalEmbeddings, onnx_emb: LocalEmbeddings, texts: list[str]
) -> dict[str, Any]:
    """The agreement ``auto`` requires (cosine >= 0.9999, top-5 overlap >= 0.99), here."""
    figures = _agreement(torch_emb, onnx_emb, texts, torch_emb.embed_array(texts))
    _row(
        "onnx vs torch float32: cosine min / top-5 overlap",
        f"{figures['cosine_min']} / {figures['top5_overlap']:.3f} ({figures['queries']} q)",
    )
    return figures


def _agreement(
    ref: LocalEmbeddings, other: LocalEmbeddings, texts: list[str], a: np.ndarray
) -> dict[str, Any]:
    """Vector agreement, and retrieval agreement: each text's first sentence as a query,
    exact top-5 in each space (``a``: ``ref``'s vectors of ``texts``)."""
    b = other.embed_array(texts)
    cos = (a * b).sum(axis=1)
    queries = [
        t.split("\n", 1)[-1].split(". ")[0][:200] for t in texts[:: max(1, len(texts) // 100)]
    ]
    qa, qb = ref.embed_array(queries), other.embed_array(queries)
    top_a = np.argsort(-(qa @ a.T), axis=1)[:, :5]
    top_b = np.argsort(-(qb @ b.T), axis=1)[:, :5]
    overlap = float(np.mean([len(set(x) & set(y)) / 5 for x, y in zip(top_a, top_b, strict=True)]))
    return {
        "cosine_min": round(float(cos.min()), 7),
        "cosine_mean": round(float(cos.mean()), 7),
        "top5_overlap": round(overlap, 4),
        "top1_agreement": round(float(np.mean(top_a[:, 0] == top_b[:, 0])), 4),
        "queries": len(queries),
    }


def _print_ingest(f: dict[str, Any]) -> None:
    before, after = f["bare_encode_before_after_s"]
    _row("embedding backend that ran", f["backend"])
    _row("files / chunks", f"{f['files']} / {f['chunks']}")
    _row("model load (+ export when missing)", f"{f['model_load_s']:.2f} s")
    _row(
        "pipeline (parse+chunk+embed+store)",
        f"{f['pipeline_s']:.2f} s = {f['pipeline_chunks_per_s']:.1f} chunks/s",
    )
    _row(
        "bare encode on this backend, same texts",
        f"{f['bare_encode_s']:.2f} s = {f['bare_encode_chunks_per_s']:.1f} chunks/s "
        f"(before {before:.2f} s, after {after:.2f} s)",
    )
    _row("pipeline / bare encode (target >= 0.8)", f"{f['pipeline_vs_encode']:.2f}x")
    _row(
        "re-ingest unchanged, in process (target < 2 s)",
        f"{f['reingest_unchanged_s']:.3f} s, {f['reingest_unchanged_embedded']} embedded",
    )
    _row(
        "re-ingest unchanged, whole CLI process",
        f"{f['reingest_unchanged_cli_s']:.2f} s (includes Python start-up)",
    )


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def _chunk_texts(settings: Settings, emb: LocalEmbeddings, paths: list[Path]) -> list[str]:
    """The exact texts the pipeline embeds, made by the same parser and chunker."""
    from assistant.ingest import Candidate, IngestReport, discover, read_essay

    ingester = Ingester(settings, embeddings=emb)
    texts: list[str] = []
    for root in paths:
        for cand in discover(root):
            if isinstance(cand, Candidate):
                read = read_essay(cand, int(settings.max_file_mb * 1_000_000))
                if not isinstance(read, Problem):
                    texts.extend(c.embed_text for c in ingester.chunk_file(read, IngestReport()))
    return texts


def _bare_encode_seconds(emb: LocalEmbeddings, texts: list[str], batch_size: int) -> float:
    """The backend's own encode, nothing around it (ONNX: ``embed_array`` is that already)."""
    t0 = time.perf_counter()
    if emb.backend_kind == "onnx":
        emb.embed_array(texts, batch_size)
    else:
        emb.model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    return time.perf_counter() - t0


def _cli_reingest_seconds(settings: Settings, paths: list[Path]) -> float:
    cli = Path(sys.executable).parent / "career-assistant"
    if not cli.exists():
        return float("nan")
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(cli),
            "ingest",
            *map(str, paths),
            "--data-dir",
            str(settings.data_dir),
            "--collection",
            settings.collection,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "CAREER_ASSISTANT_EMBEDDING_BACKEND": settings.embedding_backend},
    )
    return time.perf_counter() - t0


def _bench_bf16(
    settings: Settings, texts: list[str], fp32_s: float, fp32: LocalEmbeddings
) -> dict[str, Any]:
    """Is bfloat16 worth offering? Speed, vector agreement and retrieval agreement."""
    if not cpu_has_native_bf16():
        _row(
            "bfloat16", "not measured: this CPU has no native bf16 units (it would be ~100x slower)"
        )
        return {"measured": False}
    bf16 = LocalEmbeddings(settings.replace(embedding_dtype="bfloat16"))
    bf16.embed_array(["warm up"])
    t0 = time.perf_counter()
    bf16.embed_array(texts)
    bf16_s = time.perf_counter() - t0
    agreement = _agreement(fp32, bf16, texts, fp32.embed_array(texts))
    figures = {"measured": True, "speedup_vs_fp32": round(fp32_s / bf16_s, 2), **agreement}
    overlap, top1, queries = (agreement[k] for k in ("top5_overlap", "top1_agreement", "queries"))
    _row("bfloat16 encode vs float32 (same texts)", f"{figures['speedup_vs_fp32']:.2f}x faster")
    _row(
        "bfloat16 cosine to float32 (min / mean)",
        f"{figures['cosine_min']} / {figures['cosine_mean']}",
    )
    _row(f"bfloat16 top-5 overlap / top-1 same ({queries} q)", f"{overlap:.3f} / {top1:.3f}")
    return figures


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
