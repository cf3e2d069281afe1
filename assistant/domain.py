"""Domain types: small frozen dataclasses with stable ids.

``Chunk`` is what the index stores and retrieval returns; its metadata mapping
is the contract with Chroma (scalars only), so it lives here and not in the
index module.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any

HEADING_SEPARATOR = " > "

# What a shown name must not carry: control characters (newlines forge report lines,
# ESC drives the terminal), surrogates (an OS name that isn't UTF-8: no JSON, HTML or
# Chroma string can hold them), line separators, and invisible format characters such
# as bidi overrides (which make "evil\u202egpj.md" look like "evildm.jpg").
_NAME_ESCAPED = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
# Text from an essay (front matter) keeps its format characters: bidi marks belong in
# Arabic or Hebrew titles.
_TEXT_ESCAPED = frozenset({"Cc", "Cs"})
_SURROGATES = frozenset({"Cs"})
_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})")


def stable_hash(*parts: str, length: int = 32) -> str:
    """A short sha256 hex digest of ``parts``; the same input gives the same id forever."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def _escaped(text: str, categories: frozenset[str]) -> str:
    if text.isprintable():  # the common case, and fast: nothing to escape
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if unicodedata.category(ch) not in categories:
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode keeps it
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def display_name(name: str) -> str:
    """A file name or path as shown, stored and cited: its undecodable bytes as ``\\xNN``
    and its control, format and separator characters as ``\\xNN``/``\\uNNNN``.

    Printable names come back unchanged, so their ids never change. The result is one
    line of valid UTF-8, and escaping it again changes nothing.
    """
    return _escaped(name, _NAME_ESCAPED)


def clean_text(text: str) -> str:
    """Metadata text (front matter) with surrogates and control characters escaped."""
    return _escaped(text, _TEXT_ESCAPED)


def path_on_disk(shown: str) -> str:
    """The path to open for a path stored by :func:`display_name`: its escapes undone.

    A backslash is never escaped itself, so a real file literally named ``a\\x41.md``
    reads the same as an escaped one; the file that exists under the shown name wins.
    """
    if "\\" not in shown or os.path.lexists(shown):
        return shown

    def undo(m: re.Match[str]) -> str:
        if m.group(1):
            byte = int(m.group(1), 16)
            return chr(0xDC00 + byte) if byte >= 0x80 else chr(byte)
        return chr(int(m.group(2), 16))

    return _ESCAPE.sub(undo, shown)


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
    # Set at ingest: "instructions" when the passage gives orders to an AI assistant
    # (an injection written into the essay); see assistant.search.screening.
    flags: tuple[str, ...] = ()
    id: str = field(default="")

    def __post_init__(self) -> None:
        _no_surrogates(self)
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
            "flags": ", ".join(self.flags),
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
            flags=tuple(f for f in str(meta.get("flags") or "").split(", ") if f),
            id=chunk_id,
        )


def _no_surrogates(chunk: Chunk) -> None:
    """The last guard before a hash, Chroma or JSON: a surrogate that slipped into a
    field (an OS name, a YAML "\\ud800") is escaped rather than crash the whole ingest.
    Only surrogates: any other character of a stored field stays, or an index written
    before names were escaped would no longer match its own chunks."""
    names = (chunk.source, chunk.path, chunk.root, chunk.title, chunk.author, chunk.url)
    try:
        "".join((*names, *chunk.heading, *chunk.categories, chunk.date)).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    for f in fields(chunk):
        value = getattr(chunk, f.name)
        if isinstance(value, str) and f.name != "text":  # text: strictly decoded UTF-8
            object.__setattr__(chunk, f.name, _escaped(value, _SURROGATES))
        elif isinstance(value, tuple):
            object.__setattr__(chunk, f.name, tuple(_escaped(v, _SURROGATES) for v in value))


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
    # Every sentence of the passage the answer rests on, in the order it used them (the
    # quote above is the best supported): the sources panel marks them all. One passage
    # often backs several sentences ("Less is more: … Use only 1 page…"), and marking
    # only the best left the others for the reader to find.
    quotes: tuple[str, ...] = ()

    @property
    def all_quotes(self) -> tuple[str, ...]:
        return self.quotes or (self.quote,)

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
            "quotes": list(self.all_quotes),
        }


@dataclass(frozen=True)
class ReadMore:
    """A section retrieved for the question but not quoted: where to read on, and why.

    ``start``/``end`` are the passage's offsets in the essay file (as a chunk's), so a
    viewer opens the essay there; ``why`` is one line such as "Also about: equity".
    """

    source: str
    title: str
    heading: str
    start: int
    end: int
    score: float  # cosine of the passage to the query
    why: str
    chunk_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "heading": self.heading,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "why": self.why,
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
    # Other readings of the question whose passages were fused with ``query``'s (a
    # follow-up as the conversation said it); not in the JSON contract.
    variants: tuple[str, ...] = field(default=(), compare=False)
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int | str] = field(default_factory=dict)  # token counts and their "source"
    generator: str = ""
    notes: tuple[str, ...] = ()  # e.g. "LLM unreachable; answered extractively"
    # The passages retrieved for ``query``, best first, and the best dense cosine among
    # all candidates (the refusal signal). Not in the JSON contract: they are for the
    # question log, "Read more" and debugging, not for clients.
    hits: tuple[SearchHit, ...] = field(default=(), repr=False, compare=False)
    best_score: float = 0.0
    # Up to three sections that cover the question beyond what was quoted (none when
    # the answer refuses); see assistant.answer.read_more.
    read_more: tuple[ReadMore, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "reason": self.reason,
            "query": self.query,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "usage": dict(self.usage),
            "read_more": [r.to_json() for r in self.read_more],
        }
