"""Domain types: small frozen dataclasses with stable ids.

``Chunk`` is what the index stores and retrieval returns; its metadata mapping
is the contract with Chroma (scalars only), so it lives here and not in the
index module.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

HEADING_SEPARATOR = " > "


def stable_hash(*parts: str, length: int = 32) -> str:
    """A short sha256 hex digest of ``parts``; the same input gives the same id forever."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def normalise_text(text: str) -> str:
    """NFC and single spaces: whitespace-only edits must not change a chunk's id."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Essay:
    """One source file after parsing: metadata plus the raw text offsets refer to."""

    source: str  # path relative to the corpus root it was ingested from, "/"-separated
    path: str  # absolute path of the file on disk
    title: str
    sha256: str  # of the file's bytes
    date: str = ""
    author: str = ""
    categories: tuple[str, ...] = ()
    url: str = ""

    @property
    def id(self) -> str:
        return stable_hash("essay", self.source, length=16)


@dataclass(frozen=True)
class Chunk:
    """A passage of an essay, small enough for the embedding model to see whole.

    ``start``/``end`` are character offsets into the essay file's decoded text:
    ``raw[start:end]`` is the markup the passage was cleaned from, so a viewer can
    highlight it in the original.
    """

    source: str
    path: str
    title: str
    heading: tuple[str, ...]  # section > subsection, without the essay title
    text: str  # what a reader sees: markup stripped, blocks separated by newlines
    start: int
    end: int
    ordinal: int  # position of the chunk within its essay
    file_sha256: str = ""
    root: str = ""  # the corpus root it was ingested from (absolute)
    date: str = ""
    author: str = ""
    categories: tuple[str, ...] = ()
    url: str = ""
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", stable_hash(self.source, normalise_text(self.text)))

    @property
    def heading_path(self) -> str:
        return HEADING_SEPARATOR.join(self.heading)

    @property
    def embed_text(self) -> str:
        """The text embedded: title and section give the passage its context."""
        context = HEADING_SEPARATOR.join((self.title, *self.heading))
        return f"{context}\n{self.text}"

    def to_metadata(self) -> dict[str, str | int]:
        return {
            "source": self.source,
            "path": self.path,
            "title": self.title,
            "heading": self.heading_path,
            "start": self.start,
            "end": self.end,
            "ordinal": self.ordinal,
            "file_sha256": self.file_sha256,
            "root": self.root,
            "date": self.date,
            "author": self.author,
            "categories": ", ".join(self.categories),
            "url": self.url,
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        heading = str(meta.get("heading") or "")
        categories = str(meta.get("categories") or "")
        return cls(
            source=str(meta.get("source", "")),
            path=str(meta.get("path", "")),
            title=str(meta.get("title", "")),
            heading=tuple(heading.split(HEADING_SEPARATOR)) if heading else (),
            text=text,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            ordinal=int(meta.get("ordinal", 0)),
            file_sha256=str(meta.get("file_sha256", "")),
            root=str(meta.get("root", "")),
            date=str(meta.get("date", "")),
            author=str(meta.get("author", "")),
            categories=tuple(c for c in categories.split(", ") if c),
            url=str(meta.get("url", "")),
            id=chunk_id,
        )


@dataclass(frozen=True)
class SearchHit:
    """A retrieved chunk. ``score`` is its cosine similarity to the query (higher is
    closer); ``lexical`` its BM25 score; ``fused`` what hybrid ranking ordered it by."""

    chunk: Chunk
    score: float
    lexical: float = 0.0
    fused: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "source": self.chunk.source,
            "title": self.chunk.title,
            "heading": self.chunk.heading_path,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
        }


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites, numbered by first use, with the exact supporting quote."""

    n: int
    source: str
    title: str
    heading: str
    quote: str  # the sentence of the passage that supports the answer
    start: int  # offsets of the quote in the essay file
    end: int
    score: float  # support score of the best sentence citing it
    chunk_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "heading": self.heading,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True)
class Answer:
    """What the assistant says, with the evidence for it; JSON field names are a contract."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    reason: str  # why it refused, or "" (e.g. "weak-evidence", "off-topic", "unsupported")
    query: str  # the standalone query used for retrieval
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int | str] = field(default_factory=dict)  # token counts and their "source"
    generator: str = ""
    notes: tuple[str, ...] = ()  # e.g. "LLM unreachable; answered extractively"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "reason": self.reason,
            "query": self.query,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "usage": dict(self.usage),
        }
