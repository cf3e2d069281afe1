"""Which runtime embeds the corpus's chunks fastest on this CPU?

The same all-MiniLM-L6-v2 weights, on the same chunk texts (the index's own, longest
first in batches, as sentence-transformers batches them): torch float32
(sentence-transformers), ONNX Runtime on the cached export, and OpenVINO on that same
export, both with its latency and its throughput (asynchronous, all cores) settings.
OpenVINO computes in bfloat16 by default on CPUs that have it. Prints chunks/s, the best
of two rounds, and the lowest cosine between ONNX Runtime's and OpenVINO's vectors.

    .venv/bin/pip install openvino   # not a dependency
    .venv/bin/python eval/compare_runtimes.py --data-dir .data/eval-index --collection eval

Asserts nothing: it is the evidence for the ingest floor noted in the README.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=".data")
    ap.add_argument("--collection", default="essays")
    ap.add_argument("--chunks", type=int, default=384)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()

    import openvino as ov
    import sentence_transformers
    from tokenizers import Tokenizer

    from assistant.config import load_settings
    from assistant.search import ChunkIndex, LocalEmbeddings
    from assistant.search.backend_check import cache_folder
    from assistant.search.model_files import default_model_path

    settings = load_settings(data_dir=args.data_dir, collection=args.collection)
    embeddings = LocalEmbeddings(settings)
    texts = [c.embed_text for c in ChunkIndex(settings, embeddings, create=False).all_chunks()]
    texts = sorted(texts[: args.chunks], key=len, reverse=True)
    onnx_file = str(cache_folder(settings.data_dir, embeddings.fingerprint) / "model.onnx")
    tokenizer = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()
    batches = [
        _feeds(tokenizer, texts[i : i + args.batch]) for i in range(0, len(texts), args.batch)
    ]

    import onnxruntime as ort

    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    core = ov.Core()
    latency = core.compile_model(onnx_file, "CPU", {"PERFORMANCE_HINT": "LATENCY"})
    throughput = core.compile_model(onnx_file, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})
    model = sentence_transformers.SentenceTransformer(str(default_model_path()), device="cpu")
    runs: dict[str, Callable[[], Any]] = {
        "torch float32 (sentence-transformers)": lambda: model.encode(texts, batch_size=args.batch),
        "ONNX Runtime float32": lambda: [session.run(None, b)[0] for b in batches],
        "OpenVINO, latency hint": lambda: [latency(b)[latency.output(0)] for b in batches],
        "OpenVINO, throughput hint (async)": lambda: _async(ov, throughput, batches),
    }
    print(
        f"{len(texts)} chunks, batches of {args.batch}, precision of OpenVINO: "
        f"{latency.get_property('INFERENCE_PRECISION_HINT')}"
    )
    best: dict[str, float] = {}
    for _ in range(2):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = max(best.get(name, 0.0), len(texts) / (time.perf_counter() - started))
    for name, rate in best.items():
        print(f"  {name:40s} {rate:7.1f} chunks/s")
    a = runs["ONNX Runtime float32"]()
    b = _async(ov, throughput, batches)
    low = min(
        float((_pool(x, f) * _pool(y, f)).sum(1).min())
        for x, y, f in zip(a, b, batches, strict=True)
    )
    print(f"  lowest cosine, ONNX Runtime vs OpenVINO: {low:.6f}")


def _feeds(tokenizer: Any, batch: list[str]) -> dict[str, np.ndarray]:
    enc = tokenizer.encode_batch(batch)
    return {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }


def _async(ov: Any, compiled: Any, batches: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    queue = ov.AsyncInferQueue(compiled, 0)
    out: list[Any] = [None] * len(batches)
    queue.set_callback(lambda req, i: out.__setitem__(i, req.get_output_tensor(0).data.copy()))
    for i, feeds in enumerate(batches):
        queue.start_async(feeds, i)
    queue.wait_all()
    return out


def _pool(hidden: np.ndarray, feeds: dict[str, np.ndarray]) -> np.ndarray:
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


if __name__ == "__main__":
    main()
