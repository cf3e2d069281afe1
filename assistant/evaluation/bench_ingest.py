"""Ingest throughput per embedding backend, against a bare encode of the same texts.

The whole pipeline (parse, chunk, embed, store) is timed against the backend's own
encode of exactly the texts it embeds, measured before and after it in the same run;
then re-ingesting unchanged files, how close the ONNX vectors are to torch's, and
whether bfloat16 is worth offering.
"""

from __future__ import annotations

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
