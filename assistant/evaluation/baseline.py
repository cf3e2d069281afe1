"""The LangChain tutorial's retriever, as a reference measured in the same run.

What a developer following LangChain's RAG tutorial builds: every essay file read
whole, ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, the
same all-MiniLM-L6-v2 embeddings, an in-memory ``Chroma`` and ``similarity_search``.
Our retrieval has to beat it on the dev *test* split to be worth its complexity.

It needs the ``eval`` extra (langchain-text-splitters, langchain-chroma), imported
here only, lazily; the product itself does not use either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.search import LocalEmbeddings

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class BaselineHit:
    source: str  # relative to the corpus root, as gold sets name essays
    text: str


class TutorialRetriever:
    """Raw files, recursive character splits, dense similarity search."""

    def __init__(self, root: Path, embeddings: LocalEmbeddings) -> None:
        try:
            from langchain_chroma import Chroma
            from langchain_core.documents import Document
            from langchain_text_splitters import RecursiveCharacterTextSplitter
        except ImportError as exc:
            raise AssistantError(
                "The LangChain-tutorial baseline needs the eval extra: "
                "pip install 'career-assistant[eval]'."
            ) from exc
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        docs = [
            Document(
                page_content=path.read_text("utf-8", errors="replace"), metadata={"source": rel}
            )
            for rel, path in _essays(root)
        ]
        # A collection of its own in chromadb's in-memory client: nothing touches our index.
        self.store: Any = Chroma(
            collection_name=f"tutorial-{uuid.uuid4().hex[:8]}", embedding_function=embeddings
        )
        self.store.add_documents(splitter.split_documents(docs))

    def retrieve(self, query: str, k: int) -> list[BaselineHit]:
        found = self.store.similarity_search(query, k=k)
        return [BaselineHit(str(d.metadata["source"]), d.page_content) for d in found]


def _essays(root: Path) -> list[tuple[str, Path]]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.name.lower() != "readme.md":
            out.append((path.relative_to(root).as_posix(), path))
    return out
