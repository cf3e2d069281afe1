"""The vector index: the only module that imports chromadb.

Embedded by default (``PersistentClient`` under ``<data_dir>/chroma``); a
``chroma run`` server when ``chroma_url`` is set, so a team can share one index
and outgrow one machine.

We use chromadb directly, not through langchain-chroma. We embed a passage *with*
its title and section heading but store only the passage text; we update metadata
without re-embedding, page through the collection, count it and read stored
vectors back. langchain-chroma's public API can't express that (``add_texts``
embeds the very text it stores; there is no count and no metadata-only update),
so wrapping it would mean using its store *and* reaching past it to its private
chromadb collection. LangChain users get
:class:`~assistant.search.retrieval.PassageRetriever`, a ``BaseRetriever``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.errors import IndexMissingError, IndexUnavailableError
from assistant.search.collection_meta import check_model, stamped, version_of
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.exact import page_chunks, query_hits
from assistant.search.index_cache import CachedIndex
from assistant.search.index_health import (
    damage_before_open,
    damaged,
    diagnose,
    rebuilt,
    unusable,
)

if TYPE_CHECKING:  # chromadb is imported lazily: it is slow to import
    from chromadb.api import ClientAPI
    from chromadb.api.collection_configuration import CreateHNSWConfiguration
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, Include, Where
    from chromadb.base_types import InclusionExclusionOperator, LiteralValue

T = TypeVar("T")
log = logging.getLogger(__name__)

# HNSW settings chosen for recall over build speed: a curated corpus must never
# lose its best passage to the approximate index (see `career-assistant bench`).
# Chroma applies them when it creates the collection; an existing one keeps its own.
HNSW_CONFIGURATION: CreateHNSWConfiguration = {
    "space": "cosine",
    "ef_construction": 200,
    "ef_search": 200,
    "max_neighbors": 32,
}

PAGE = 5000  # records per get/update/delete request (Chroma caps one request)
# Sources per `$in` filter: one request for a commit group, well under SQLite's limit on
# bound parameters.
SOURCES_PER_GET = 500


def chroma_server_command(path: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The `chroma run` command for a server over ``path`` (benchmarks and tests start one);
    the executable is chromadb's own, beside this Python."""
    chroma = Path(sys.executable).parent / "chroma"
    return [str(chroma), "run", "--host", host, "--port", str(port), "--path", str(path)]


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    # Telemetry would try to reach the network; this product never does.
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings, *, create: bool) -> ClientAPI:
    """A chromadb client for the configured store (embedded or server)."""
    import chromadb

    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_chroma_settings(),
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises bare Exceptions for connection errors
            raise IndexUnavailableError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). "
                "Start it with `chroma run --host 127.0.0.1 --port PORT --path DIR`, "
                "or unset CAREER_ASSISTANT_CHROMA_URL to use the embedded index."
            ) from exc
        return client
    path = settings.chroma_dir
    if not create and not path.exists():
        raise IndexMissingError(f"No index at {path} — run `career-assistant ingest`.")
    reason = damage_before_open(path)  # chromadb would start over in an emptied file
    if reason:
        raise damaged(path, reason)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:  # the Rust bindings raise InternalError, and not only that
        # chromadb caches a store's System by path *before* starting it, and keeps it when
        # the start fails: every later client for this path in this process would get the
        # broken one ("no attribute 'bindings'"), even after the files were moved aside.
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
        raise unusable(settings, exc) from exc


class ChunkIndex(CachedIndex):
    """Chunks and their vectors in one Chroma collection; a reader's caches of it in
    :class:`~assistant.search.index_cache.CachedIndex`."""

    def __init__(self, settings: Settings, embeddings: LocalEmbeddings, *, create: bool) -> None:
        self._client_lock = threading.Lock()
        self._closed = False  # the client was closed and no new one could be opened
        super().__init__()
        self.settings = settings
        self.embeddings = embeddings
        self.client = make_client(settings, create=create)
        try:
            if not create and not self._exists():
                raise IndexMissingError(
                    f"No collection {settings.collection!r} at {self.location} — run "
                    "`career-assistant ingest`."
                )
            self.collection = self._open()
        except _chroma_errors() as exc:
            _close(self.client)
            raise unusable(settings, exc) from exc
        if not create:  # a writer checks too, unless --rebuild replaces the vectors
            self.verify_model()

    @classmethod
    def rebuilt(cls, settings: Settings, embeddings: LocalEmbeddings) -> tuple[ChunkIndex, str]:
        """An empty collection for `ingest --rebuild`, whatever state the store was in, and a
        note for the user: see :func:`~assistant.search.index_health.rebuilt`."""
        return rebuilt(lambda: cls(settings, embeddings, create=True), settings)

    def _open(self) -> Collection:
        # No embedding function: every vector is ours, computed from text the
        # collection doesn't store (and Chroma's default would fetch a model).
        return self.client.get_or_create_collection(
            self.settings.collection,
            configuration={"hnsw": HNSW_CONFIGURATION},
            embedding_function=None,
        )

    def _reopen(self, stale: ClientAPI) -> None:
        """Read the embedded store from disk again.

        An embedded Chroma keeps its segments in this process's memory and assumes it is
        the only writer; after `career-assistant ingest` wrote from another process, its
        view is stale ("Error finding id"). Closing the client stops its chromadb System
        (when no other client in this process shares it: the ingester closes its own), so
        a new client reads what is on disk now. ``stale`` is the client the caller saw
        fail: when another thread has already replaced it, there is nothing to do. A
        server (`chroma_url`) is always current.
        """
        if self.settings.chroma_url:
            return
        with self._client_lock:
            if self.client is not stale:
                return
            _close(stale)
            # Until a new client opens (a damaged store fails to, until `ingest --rebuild`),
            # every read tries again rather than use the closed one.
            self._closed = True
            self.client = make_client(self.settings, create=False)
            self.collection = self._open()
            self._closed = False

    def close(self) -> None:
        """Release the client (and, for the embedded store, its files' System)."""
        _close(self.client)

    def _read(self, read: Callable[[], T]) -> T:
        """Run a read; if the embedded store went stale under it, reopen and try once more."""
        if self._closed:  # the last reopen failed; after `ingest --rebuild` this one won't
            self._reopen(self.client)
        client = self.client
        try:
            return read()
        except _chroma_errors() as exc:
            if self.settings.chroma_url:
                raise
            log.info("index read failed (%s); reading the embedded store again", exc)
            self._reopen(client)
        try:
            return read()
        except _chroma_errors() as exc:
            reason = diagnose(self.settings.chroma_dir, exc)
            if reason:
                raise damaged(self.settings.chroma_dir, reason) from exc
            raise

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    def _exists(self) -> bool:
        names = {getattr(c, "name", c) for c in self.client.list_collections()}
        return self.settings.collection in names

    # -- reading ---------------------------------------------------------------

    def count(self) -> int:
        # A lambda, not the bound method: after a reopen the retry must use the new collection.
        return int(self._read(lambda: self.collection.count()))  # noqa: PLW0108

    @property
    def collection_id(self) -> str:
        return str(self.collection.id)

    def _current(self) -> Collection:
        """The collection as stored now: its metadata (version, model) as last committed by
        any process; ``self.collection`` keeps what it had when it was opened."""
        name = self.settings.collection
        return self._read(lambda: self.client.get_collection(name, embedding_function=None))

    def stamp(self) -> dict[str, Any]:
        """The collection's metadata: version, embedding model, fingerprint and backend."""
        return dict(self._current().metadata or {})

    def verify_model(self) -> None:
        """Refuse an index whose vectors another embedding model made."""
        check_model(self.stamp(), self.embeddings, self.location)

    def _read_generation(self) -> tuple[int, int]:
        current = self._current()
        check_model(current.metadata, self.embeddings, self.location)
        if current.id != self.collection.id:  # rebuilt by another process: use the new one
            self.collection = current
        return self.count(), version_of(current.metadata)

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(list(ids), PAGE):
            found.update(self.collection.get(ids=batch, include=[])["ids"])
        return found

    def ids_for_source(self, source: str) -> set[str]:
        return self.ids_by_source([source]).get(source, set())

    def ids_by_source(self, sources: Sequence[str]) -> dict[str, set[str]]:
        """Stored chunk ids of each of ``sources``, in a request per ``SOURCES_PER_GET``."""
        found: dict[str, set[str]] = {}
        for batch in _batches(list(dict.fromkeys(sources)), SOURCES_PER_GET):
            where: Where = {"source": batch[0]}
            if len(batch) > 1:
                values: list[LiteralValue] = list(batch)
                within: dict[InclusionExclusionOperator, list[LiteralValue]] = {"$in": values}
                where = {"source": within}
            got = self.collection.get(where=where, include=["metadatas"])
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                found.setdefault(str((meta or {}).get("source", "")), set()).add(cid)
        return found

    def _pages(self, include: Include) -> Iterator[GetResult]:
        """The whole collection, ``PAGE`` records a request."""
        total, offset = self.count(), 0
        while offset < total:
            yield self.collection.get(include=include, limit=PAGE, offset=offset)
            offset += PAGE

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk (text and metadata), for the lexical index."""
        pages = self._read(lambda: list(self._pages(["documents", "metadatas"])))
        return [chunk for got in pages for chunk in page_chunks(got)]

    def _stored_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        got = self._read(lambda: self.collection.get(ids=ids, include=["embeddings"]))
        embeddings = got["embeddings"] if got["embeddings"] is not None else []
        found: dict[str, np.ndarray] = {}
        for cid, vector in zip(got["ids"], embeddings, strict=True):
            found[cid] = np.asarray(vector, dtype=np.float32)
        return found

    def all_metadata(self) -> list[dict[str, Any]]:
        """Every chunk's metadata; used to rebuild a lost manifest from the index."""
        return [dict(m or {}) for got in self._pages(["metadatas"]) for m in got["metadatas"] or []]

    def _nearest(self, vector: Sequence[float] | np.ndarray, k: int) -> list[SearchHit]:
        got = self.collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32)[np.newaxis],  # a batch of one
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return query_hits(got)

    def _refresh_matrix(self, generation: tuple[int, int]) -> None:
        dim = self.embeddings.dimension
        self._matrix.refresh(generation, self._matrix_pages, dim, _chroma_errors(), self.location)

    def _matrix_pages(self) -> list[GetResult]:
        """Every vector, for exact search, after a change to the index."""
        if self._matrix.loaded:
            self._reopen(self.client)  # an ingest elsewhere changed the files under this process
        return self._read(lambda: list(self._pages(["embeddings", "documents", "metadatas"])))

    # -- writing ---------------------------------------------------------------

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store chunks with vectors we computed (from text the collection doesn't keep)."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        step = max(1, min(PAGE, int(self.client.get_max_batch_size())))
        for lo in range(0, len(chunks), step):
            part = chunks[lo : lo + step]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[lo : lo + step],
                documents=[c.text for c in part],
                metadatas=[c.to_metadata() for c in part],
            )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Refresh metadata (offsets, title) of stored chunks without touching their vectors.

        The stored text stays: a chunk's id already pins its text up to whitespace,
        and Chroma would want to re-embed a changed document.
        """
        for lo in range(0, len(chunks), PAGE):
            part = chunks[lo : lo + PAGE]
            self.collection.update(
                ids=[c.id for c in part], metadatas=[c.to_metadata() for c in part]
            )

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids), PAGE):
            self.collection.delete(ids=batch)

    def commit(self) -> None:
        """Mark a write: a new collection version, so readers everywhere reload their caches,
        and this model recorded as the one the vectors came from. Refuses when another
        model committed to the collection since this ingest checked it."""
        current = self._current().metadata
        check_model(current, self.embeddings, self.location)
        self.collection.modify(metadata=stamped(current, self.embeddings))

    def drop(self) -> None:
        """Delete the whole collection (``ingest --rebuild``) and start a fresh, empty one."""
        try:
            if self._exists():
                self.client.delete_collection(self.settings.collection)
            self.collection = self._open()
            self.commit()  # readers notice the index emptied; the new one names this model
        except _chroma_errors() as exc:
            raise unusable(self.settings, exc) from exc


def _close(client: ClientAPI) -> None:
    # Public on chromadb's Client (every client made here); the ClientAPI protocol omits it.
    client.close()  # type: ignore[attr-defined]


def _chroma_errors() -> tuple[type[Exception], ...]:
    from chromadb.errors import ChromaError

    return (ChromaError,)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]
