"""What a reader of the index keeps between queries, and when it reads the store again.

Every cache here is of one generation of the index, (chunk count, collection version):
it changes whenever an ingest on any machine commits (see
:mod:`assistant.search.collection_meta`). Below ``exact_search_max`` chunks one read of
the collection per generation loads the exact-search matrix
(:mod:`assistant.search.exact`) and the chunks BM25 is built from; above it, one read
of texts only, and Chroma's HNSW answers dense queries.

Nothing here knows Chroma: :class:`~assistant.search.index.ChunkIndex` supplies the
reads (the abstract methods below).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search.exact import ExactSearch
from assistant.search.index_health import store_stamp


class CachedIndex(ABC):
    """The generation, the chunk snapshot and dense search of an index, each read from
    the store once per generation."""

    settings: Settings
    _client_lock: threading.Lock  # also guards the text snapshot
    _closed: bool  # the client was closed and no new one could be opened

    def __init__(self) -> None:
        self._matrix = ExactSearch()
        self._texts: tuple[tuple[int, int], list[Chunk]] = ((-1, -1), [])  # above exact_search_max
        # The last generation read, and the store file's stamp taken just before reading it.
        self._known: tuple[tuple[int, int, int] | None, tuple[int, int]] = (None, (-1, -1))

    # -- supplied by the store -------------------------------------------------

    @abstractmethod
    def _read_generation(self) -> tuple[int, int]:
        """The generation as the store has it now (a round trip to it)."""

    @abstractmethod
    def _refresh_matrix(self, generation: tuple[int, int]) -> None:
        """Load the exact-search matrix of ``generation`` unless it is loaded."""

    @abstractmethod
    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk (text and metadata)."""

    @abstractmethod
    def _stored_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``ids``, read from the store."""

    @abstractmethod
    def _nearest(self, vector: Sequence[float] | np.ndarray, k: int) -> list[SearchHit]:
        """The store's own (approximate) top-``k`` by cosine."""

    # -- reading ---------------------------------------------------------------

    def generation(self) -> tuple[int, int]:
        """(chunk count, collection version): it changes whenever an ingest on any machine
        committed, so caches reload. The count alone misses an edit that keeps the number
        of chunks; the version is in the collection, seen by every process sharing it.

        An embedded store whose file is untouched since the last read is not asked again:
        two Chroma calls were a fifth of a query's time.
        """
        stamp = None if self.settings.chroma_url else store_stamp(self.settings.chroma_dir)
        seen, known = self._known
        if stamp is not None and stamp == seen and not self._closed:
            return known
        generation = self._read_generation()
        self._known = (stamp, generation)  # the stamp from before the read: never too new
        return generation

    def snapshot(self) -> tuple[tuple[int, int], list[Chunk]]:
        """Every stored chunk and the generation it was read at, from one read of the
        collection per generation: below ``exact_search_max`` chunks the read that loads
        the exact-search vectors, else one of texts only (HNSW answers dense queries)."""
        generation = self.generation()
        if generation[0] <= self.settings.exact_search_max:
            self._refresh_matrix(generation)
            return self._matrix.generation, self._matrix.chunks
        with self._client_lock:
            held = self._texts
        if held[0] != generation:
            held = (generation, self.all_chunks())
            with self._client_lock:
                self._texts = held
        return held

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (to score chunks that only BM25 found): from the exact-search
        matrix when it holds them, else read from the collection."""
        found = self._matrix.vectors(ids)
        rest = [i for i in ids if i not in found]
        if not rest:
            return found
        found.update(self._stored_vectors(rest))
        return found

    def search_by_vector(self, vector: Sequence[float] | np.ndarray, k: int) -> list[SearchHit]:
        """Top-``k`` by cosine: exact below ``exact_search_max`` chunks, else Chroma's HNSW.

        A curated corpus must never lose its best passage to an approximate index, and
        exact search over a few thousand vectors costs less than one HNSW query.
        """
        generation = self.generation()
        count = generation[0]
        k = min(k, count)
        if k <= 0:
            return []
        if count <= self.settings.exact_search_max:
            return self._exact(np.asarray(vector, dtype=np.float32), k, generation)
        return self._nearest(vector, k)

    def _exact(self, vector: np.ndarray, k: int, generation: tuple[int, int]) -> list[SearchHit]:
        self._refresh_matrix(generation)
        return self._matrix.top_k(vector, k)
