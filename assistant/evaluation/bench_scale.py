"""How cost grows with the collection, and whether the index keeps the best passage.

Scales: the real corpus, 10k and 100k chunks. The 10k chunks are synthetic texts
made of three random sentences of the corpus, embedded for real by the model;
the 100k are those vectors perturbed (a convex mix of two plus noise, unit
length), because embedding 100k texts would take most of an hour on 2 cores.
At each scale: Chroma's HNSW (embedded, and a `chroma run` server) against exact
numpy search in the same run: query p50/p95 and recall@5 against exact top-5.
Then cold start (process start to first answer) and its peak RSS.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.domain import Chunk
from assistant.ingest import Ingester
from assistant.search import ChunkIndex, LocalEmbeddings, chroma_server_command, split_units

QUERIES = Path("eval/datasets/gold.jsonl")


def _row(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def _pct(xs: list[float], p: int) -> float:
    return round(float(np.percentile(xs, p)), 2)


def _synthetic(units: list[str], n: int, rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(units, 3)) for _ in range(n)]


def _perturbed(base: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = base[rng.integers(0, len(base), n)]
    b = base[rng.integers(0, len(base), n)]
    w = rng.uniform(0.6, 1.0, (n, 1)).astype(np.float32)
    v = w * a + (1 - w) * b + rng.normal(0, 0.03, a.shape).astype(np.float32)
    out: np.ndarray = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def _chunks(texts: list[str], prefix: str) -> list[Chunk]:
    return [
        Chunk(
            source=f"{prefix}/{i // 50}.md",
            path="",
            title="synthetic",
            heading=(),
            text=t,
            start=0,
            end=len(t),
            ordinal=i % 50,
        )
        for i, t in enumerate(texts)
    ]


def _measure(
    index: ChunkIndex, ids: list[str], matrix: np.ndarray, queries: np.ndarray
) -> dict[str, Any]:
    """HNSW vs exact on the same vectors (``ids[i]`` is row i): latency and recall@5."""
    exact_ms, hnsw_ms, recall = [], [], []
    for q in queries:
        t = time.perf_counter()
        top = np.argpartition(-(matrix @ q), 5)[:5]
        exact_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        hits = index.search_by_vector(q, 5)
        hnsw_ms.append((time.perf_counter() - t) * 1000)
        recall.append(len({ids[i] for i in top} & {h.chunk.id for h in hits}) / 5)
    return {
        "exact_p50_ms": _pct(exact_ms, 50),
        "exact_p95_ms": _pct(exact_ms, 95),
        "hnsw_p50_ms": _pct(hnsw_ms, 50),
        "hnsw_p95_ms": _pct(hnsw_ms, 95),
        "recall@5": round(float(np.mean(recall)), 4),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_scale(settings: Settings, paths: list[Path], server: bool = True) -> dict[str, Any]:
    rng = random.Random(5)
    print("scale benchmark: Chroma HNSW vs exact numpy search, same vectors, same run")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ca-scale-") as tmp:
        base = settings.replace(
            data_dir=Path(tmp) / "real", collection="real", chroma_url="", exact_search_max=0
        )
        emb = LocalEmbeddings(base)
        Ingester(base, embeddings=emb).run(paths)
        real = ChunkIndex(base, emb, create=False)
        chunks = real.all_chunks()
        units = [u.text for c in chunks for u in split_units(c.text) if len(u.text.split()) > 5]
        questions = (
            [json.loads(x)["question"] for x in QUERIES.read_text().splitlines() if x]
            if QUERIES.is_file()
            else units[:60]
        )
        qv = emb.embed_array(questions)
        stored = real.vectors([c.id for c in chunks])
        real_ids = list(stored)
        figures["real"] = _measure(real, real_ids, np.stack([stored[i] for i in real_ids]), qv)
        t = time.perf_counter()
        texts10k = _synthetic(units, 10_000, rng)
        v10k = emb.embed_array(texts10k)
        figures["embed_10k_s"] = round(time.perf_counter() - t, 1)
        v100k = np.concatenate([v10k, _perturbed(v10k, 90_000)])
        texts100k = texts10k + [texts10k[i % 10_000] + f" ({i})" for i in range(90_000)]
        for label, texts, vectors in (("10k", texts10k, v10k), ("100k", texts100k, v100k)):
            s = base.replace(data_dir=Path(tmp) / label, collection=f"s{label}")
            index = ChunkIndex(s, emb, create=True)
            synthetic = _chunks(texts, label)
            ids = [c.id for c in synthetic]
            t = time.perf_counter()
            index.upsert(synthetic, vectors)
            figures[f"{label}_insert_s"] = round(time.perf_counter() - t, 1)
            figures[label] = _measure(index, ids, vectors, qv)
            if server and label == "10k":
                figures["10k_server"] = _server(s, emb, texts, vectors, qv, Path(tmp))
    _report(figures)
    figures["cold_start"] = cold_start(settings)
    return figures


def _server(  # noqa: PLR0917 - a private helper of one caller
    s: Settings,
    emb: LocalEmbeddings,
    texts: list[str],
    vectors: np.ndarray,
    qv: np.ndarray,
    tmp: Path,
) -> dict[str, Any]:
    port = _free_port()
    proc = subprocess.Popen(
        chroma_server_command(tmp / "server", port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        server = ChunkIndex(s.replace(chroma_url=f"http://127.0.0.1:{port}"), emb, create=True)
        synthetic = _chunks(texts, "10k")
        t = time.perf_counter()
        server.upsert(synthetic, vectors)
        out = {"insert_s": round(time.perf_counter() - t, 1)}
        out.update(_measure(server, [c.id for c in synthetic], vectors, qv))
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cold_start(settings: Settings) -> dict[str, Any]:
    """`career-assistant ask` in a fresh process on the existing index: wall time, peak RSS."""
    cli = Path(sys.executable).parent / "career-assistant"
    t = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(cli),
            "ask",
            "How do I negotiate a job offer?",
            "--json",
            "--data-dir",
            str(settings.data_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS, no other's
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / 1024
    out = {"ok": proc.returncode == 0, "wall_s": round(wall, 2), "peak_rss_mb": round(rss_mb, 1)}
    _row(
        "cold start: process start to first answer",
        f"{wall:.2f} s, peak RSS {rss_mb:.0f} MB"
        + ("" if proc.returncode == 0 else " (failed: run `career-assistant ingest` first)"),
    )
    return out


def _report(f: dict[str, Any]) -> None:
    for label in ("real", "10k", "10k_server", "100k"):
        if label not in f:
            continue
        m = f[label]
        _row(
            f"{label}: exact numpy top-5 (p50 / p95)",
            f"{m['exact_p50_ms']} / {m['exact_p95_ms']} ms",
        )
        _row(
            f"{label}: Chroma HNSW top-5 (p50 / p95)", f"{m['hnsw_p50_ms']} / {m['hnsw_p95_ms']} ms"
        )
        _row(f"{label}: HNSW recall@5 vs exact", f"{m['recall@5']:.4f}")
    for key in ("embed_10k_s", "10k_insert_s", "100k_insert_s"):
        if key in f:
            _row(key.replace("_", " "), f"{f[key]} s")
