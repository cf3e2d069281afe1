"""Retrieval: from a question to the passages most likely to answer it.

Dense search over the Chroma index, exposed both as plain :class:`SearchHit`
lists and as a LangChain ``BaseRetriever`` so chains can compose it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from assistant.domain import SearchHit
from assistant.embeddings import LocalEmbeddings
from assistant.index import ChunkIndex


class PassageRetriever(BaseRetriever):
    """Top-``k`` passages by cosine similarity; each Document carries its chunk's metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ChunkIndex
    k: int = 5

    @classmethod
    def from_settings(
        cls, settings: Settings, embeddings: LocalEmbeddings | None = None
    ) -> PassageRetriever:
        index = ChunkIndex(settings, embeddings or LocalEmbeddings(settings), create=False)
        return cls(index=index, k=settings.k)

    def hits(self, query: str, k: int | None = None) -> list[SearchHit]:
        return self.index.search(query, k or self.k)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        docs = []
        for hit in self.hits(query, kwargs.get("k")):
            meta = {**hit.chunk.to_metadata(), "score": hit.score}
            docs.append(Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.id))
        return docs
