"""Exact dense search: every vector of the collection in one matrix, top-k by a product.

Below ``exact_search_max`` chunks this is faster than an HNSW query and its recall is
1.0, so a curated corpus never loses its best passage to an approximate index. The
matrix is rebuilt only when the index's generation (chunk count, collection version)
changes (see ``CachedIndex.generation`` in :mod:`assistant.search.index_cache`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from assistant.domain import Chunk, SearchHit
from assistant.errors import IndexUnavailableError

NOT_LOADED = (-1, -1)
log = logging.getLogger(__name__)


class ExactSearch:
    """The vectors and chunks loaded for one index generation; ``lock`` guards reloads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: tuple[int, int] = NOT_LOADED
        # The matrix, its chunks row by row, and each chunk id's row: one tuple, replaced
        # whole, so a reader never pairs a new matrix with old rows.
        self._loaded: tuple[np.ndarray, list[Chunk], dict[str, int]] = (
            np.zeros((0, 1), dtype=np.float32),
            [],
            {},
        )

    @property
    def loaded(self) -> bool:
        return self.generation != NOT_LOADED

    @property
    def chunks(self) -> list[Chunk]:
        """The chunks of the loaded generation, row by row (BM25 is built from them too)."""
        return self._loaded[1]

    def vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Loaded vectors of those ``ids`` that are loaded. A chunk id pins its text, so a
        vector loaded for an earlier generation is still that chunk's vector."""
        matrix, _, rows = self._loaded
        return {i: matrix[rows[i]] for i in ids if i in rows}

    def refresh(
        self,
        generation: tuple[int, int],
        read_pages: Callable[[], Iterable[Mapping[str, Any]]],
        dimension: int,
        errors: tuple[type[Exception], ...],
        where: str,
    ) -> None:
        """Reload the vectors with ``read_pages`` unless they are of ``generation`` already.

        While an ingest is still writing, a read can fail even on a fresh client (one of
        ``errors``); then the vectors loaded before keep answering (the new essays appear
        a query later) rather than the question failing.
        """
        with self.lock:
            if self.generation == generation:
                return
            try:
                self.load(read_pages(), dimension)
            except errors as exc:
                if not self.loaded:
                    raise IndexUnavailableError(
                        f"Cannot read the index at {where} ({exc}); if an ingest is "
                        "running, try again when it has finished."
                    ) from exc
                log.warning("kept the previous vectors: the index could not be read (%s)", exc)
                return
            self.generation = generation

    def load(self, pages: Iterable[Mapping[str, Any]], dimension: int) -> None:
        """Replace the matrix with the collection read page by page (Chroma ``get`` results
        with ids, embeddings, documents and metadatas); nothing changes if a read fails."""
        vecs: list[np.ndarray] = []
        chunks: list[Chunk] = []
        for got in pages:
            embeddings = got["embeddings"] if got["embeddings"] is not None else []
            vecs.extend(np.asarray(emb, dtype=np.float32) for emb in embeddings)
            chunks.extend(page_chunks(got))
        if len(vecs) != len(chunks):
            raise ValueError("one vector per chunk")
        dim = dimension if not vecs else len(vecs[0])
        matrix = np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32)
        # Replaced together, after a full read.
        self._loaded = (matrix, chunks, {c.id: n for n, c in enumerate(chunks)})

    def top_k(self, vector: np.ndarray, k: int) -> list[SearchHit]:
        matrix, chunks, _ = self._loaded
        if not len(chunks):
            return []
        scores = matrix @ vector
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [SearchHit(chunk=chunks[i], score=float(scores[i])) for i in top]


def page_chunks(got: Mapping[str, Any]) -> list[Chunk]:
    """The chunks of one Chroma ``get`` result (ids, documents, metadatas)."""
    return [
        Chunk.from_metadata(cid, doc or "", dict(meta or {}))
        for cid, doc, meta in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
        )
    ]


def query_hits(got: Mapping[str, Any]) -> list[SearchHit]:
    """The hits of a Chroma ``query`` for one vector, in a cosine space (distance = 1 - cosine)."""
    ids, docs = got["ids"][0], (got["documents"] or [[]])[0]
    metas, distances = (got["metadatas"] or [[]])[0], (got["distances"] or [[]])[0]
    return [
        SearchHit(Chunk.from_metadata(cid, doc, dict(meta or {})), 1.0 - float(distance))
        for cid, doc, meta, distance in zip(ids, docs, metas, distances, strict=True)
        if doc is not None
    ]
