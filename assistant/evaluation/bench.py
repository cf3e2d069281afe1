"""Benchmarks that print figures and never assert.

Every figure has a reference measured in the same run on the same machine, so
the ratio means something even when the machine is busy: ingest throughput is
compared with a bare ``SentenceTransformer.encode`` of exactly the same texts.
"""

from __future__ import annotations

import json
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
    if what in {"ingest", "answer", "scale"}:
        if what == "ingest":
            figures = bench_ingest(settings, paths or _default_paths(settings))
        elif what == "answer":
            figures = bench_answer(settings, paths or _default_paths(settings))
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


def bench_ingest(settings: Settings, paths: list[Path]) -> dict[str, Any]:
    print(
        f"ingest benchmark on {platform.processor() or platform.machine()}, "
        f"{_cores()} cores, python {platform.python_version()}"
    )
    print(f"  corpus: {', '.join(str(p) for p in paths)}")
    with tempfile.TemporaryDirectory(prefix="ca-bench-") as tmp:
        s = settings.replace(data_dir=tmp, chroma_url="", collection="bench")
        emb = LocalEmbeddings(s)
        t0 = time.perf_counter()
        _ = emb.model
        load_s = time.perf_counter() - t0
        emb.embed_array(["warm up the model", "and its thread pool"])

        # Bare encode before and after the pipeline (A-B-A), so drift in machine load
        # during the run shows up in both sides of the ratio rather than in one.
        texts = _chunk_texts(settings.replace(data_dir=Path(tmp) / "probe"), emb, paths)
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
        figures: dict[str, Any] = {
            "backend": emb.backend,
            "files": report.files,
            "chunks": len(texts),
            "model_load_s": round(load_s, 2),
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
        _print_ingest(figures)
        figures["bf16"] = _bench_bf16(s, texts, encode_s, emb)
    return figures


def _print_ingest(f: dict[str, Any]) -> None:
    before, after = f["bare_encode_before_after_s"]
    _row("embedding backend that ran", f["backend"])
    _row("files / chunks", f"{f['files']} / {f['chunks']}")
    _row("model load", f"{f['model_load_s']:.2f} s")
    _row(
        "pipeline (parse+chunk+embed+store)",
        f"{f['pipeline_s']:.2f} s = {f['pipeline_chunks_per_s']:.1f} chunks/s",
    )
    _row(
        "bare SentenceTransformer.encode, same texts",
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
    import os

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
    t0 = time.perf_counter()
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
    b = bf16.embed_array(texts)
    bf16_s = time.perf_counter() - t0
    a = fp32.embed_array(texts)
    cos = (a * b).sum(axis=1)
    # Retrieval agreement: each chunk's first sentence as a query, exact top-5 in each space.
    queries = [
        t.split("\n", 1)[-1].split(". ")[0][:200] for t in texts[:: max(1, len(texts) // 100)]
    ]
    qa, qb = fp32.embed_array(queries), bf16.embed_array(queries)
    top_a = np.argsort(-(qa @ a.T), axis=1)[:, :5]
    top_b = np.argsort(-(qb @ b.T), axis=1)[:, :5]
    overlap = float(np.mean([len(set(x) & set(y)) / 5 for x, y in zip(top_a, top_b, strict=True)]))
    top1 = float(np.mean(top_a[:, 0] == top_b[:, 0]))
    figures = {
        "measured": True,
        "speedup_vs_fp32": round(fp32_s / bf16_s, 2),
        "cosine_min": round(float(cos.min()), 5),
        "cosine_mean": round(float(cos.mean()), 6),
        "top5_overlap": round(overlap, 4),
        "top1_agreement": round(top1, 4),
        "queries": len(queries),
    }
    _row("bfloat16 encode vs float32 (same texts)", f"{figures['speedup_vs_fp32']:.2f}x faster")
    _row(
        "bfloat16 cosine to float32 (min / mean)",
        f"{figures['cosine_min']} / {figures['cosine_mean']}",
    )
    _row(f"bfloat16 top-5 overlap / top-1 same ({len(queries)} q)", f"{overlap:.3f} / {top1:.3f}")
    return figures


GOLD = Path("eval/datasets/gold.jsonl")


def bench_answer(settings: Settings, paths: list[Path]) -> dict[str, Any]:
    """Warm latency of retrieval and of a full extractive answer, against a bare
    query encode + numpy top-k over the same vectors, measured in the same run."""
    from assistant.answer import Assistant
    from assistant.search import PassageRetriever

    questions = (
        [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]
        if GOLD.is_file()
        else ["How do I negotiate a job offer?"]
    )
    print(f"answer benchmark: {len(questions)} questions, {_cores()} cores")
    with tempfile.TemporaryDirectory(prefix="ca-bench-") as tmp:
        s = settings.replace(
            data_dir=tmp, chroma_url="", collection="bench", generator="extractive"
        )
        emb = LocalEmbeddings(s)
        Ingester(s, embeddings=emb).run(paths)
        bot = Assistant(s, emb, PassageRetriever.from_settings(s, emb))
        bot.vectors.warm(c.text for c in bot.retriever.chunks.values())
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

    def pct(xs: list[float], p: int) -> float:
        return round(float(np.percentile(xs, p)), 1)

    figures = {
        "questions": len(questions),
        "chunks": len(chunks),
        "reference_encode_topk_ms": {"p50": pct(ref, 50), "p95": pct(ref, 95)},
        "retrieval_ms": {"p50": pct(retr, 50), "p95": pct(retr, 95)},
        "extractive_answer_ms": {"p50": pct(full, 50), "p95": pct(full, 95)},
    }
    _row("reference: encode + numpy top-k (p50 / p95)", f"{pct(ref, 50)} / {pct(ref, 95)} ms")
    _row(
        "hybrid retrieval (p50 / p95)",
        f"{pct(retr, 50)} / {pct(retr, 95)} ms "
        f"({pct(retr, 50) / max(pct(ref, 50), 0.01):.1f}x reference)",
    )
    _row(
        "full extractive answer (p50 / p95; target p50 < 200)",
        f"{pct(full, 50)} / {pct(full, 95)} ms",
    )
    return figures
