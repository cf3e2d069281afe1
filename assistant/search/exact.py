"""Exact dense search: every vector of the collection in one matrix, top-k by a product.

Below ``exact_search_max`` chunks this is faster than an HNSW query and its recall is
1.0, so a curated corpus never loses its best passage to an approximate index. The
matrix is rebuilt only when the index's generation changes (see ``ChunkIndex``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from assistant.domain import Chunk, SearchHit

NOT_LOADED = (-1, -1)


class ExactSearch:
    """The vectors and chunks loaded for one index generation; ``lock`` guards reloads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: tuple[int, int] = NOT_LOADED
        self._matrix = np.zeros((0, 1), dtype=np.float32)
        self._chunks: list[Chunk] = []

    @property
    def loaded(self) -> bool:
        return self.generation != NOT_LOADED

    def load(self, pages: Iterable[Mapping[str, Any]], dimension: int) -> None:
        """Replace the matrix with the collection read page by page (Chroma ``get`` results
        with ids, embeddings, documents and metadatas); nothing changes if a read fails."""
        vecs: list[np.ndarray] = []
        chunks: list[Chunk] = []
        for got in pages:
            embeddings = got["embeddings"] if got["embeddings"] is not None else []
            for cid, emb, doc, meta in zip(
                got["ids"], embeddings, got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                vecs.append(np.asarray(emb, dtype=np.float32))
                chunks.append(Chunk.from_metadata(cid, doc or "", dict(meta or {})))
        dim = dimension if not vecs else len(vecs[0])
        matrix = np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32)
        self._matrix, self._chunks = matrix, chunks  # swapped together, after a full read

    def top_k(self, vector: np.ndarray, k: int) -> list[SearchHit]:
        matrix, chunks = self._matrix, self._chunks
        if not len(chunks):
            return []
        scores = matrix @ vector
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [SearchHit(chunk=chunks[i], score=float(scores[i])) for i in top]
