"""Passage units (sentences and whole list items) and a cache of their vectors.

The extractive generator picks units to build an answer from, and the citation
verifier looks for the unit of a passage that best supports a claim. Both need
unit vectors, and embedding ~40 short texts per question costs ~300 ms on two
cores, so vectors are cached by text in memory and on disk, and the cache is
filled for the whole index in a background thread when the assistant starts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.domain import Chunk, stable_hash
from assistant.search.embeddings import LocalEmbeddings

log = logging.getLogger(__name__)

_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|St|No|Fig|approx|Inc)\.$", re.I)
# Initials end no sentence: "U.S. President John F. Kennedy" is one. Case-sensitive, so
# "a." or "plan b." still may; a sentence that really ends in a capital initial ("plan
# B.") is rarer than a name with one.
_INITIALS = re.compile(r"(?:^|[\s(])(?:[A-Z]\.)+$")
# An elision mark quoting an essay ("…a simple question. (...) A code of conduct…") ends
# no sentence and says nothing: kept, it took the answer's citation marker ("( [1]...)").
_ELIDED = re.compile(r"^[(\[](?:\.{3}|…)[)\]]\s*|\s*[(\[](?:\.{3}|…)[)\]]$")
# A sentence ends at . ! or ? plus any closing quotes or brackets; the next one starts
# after the white space, maybe with an opening quote or bracket. Only the white space
# (group 1) is cut, so `Ask for "the best offer." Then…` keeps its closing quote.
# A citation marker after a sentence ("…questions?" [1].) belongs to it: no cut there.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(\s+)(?!\[\d)(?=[\"'“‘(\[]?[A-Z0-9])")
# A quotation of several sentences ("Tell me about your journey into tech. How did you
# get interested…?") is one unit up to this many words: its first sentence alone is a
# fragment, and its "me" would read as the author's.
QUOTE_WORDS = 80
_LIST_MARKER = re.compile(r"^(?:-|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class Unit:
    """A sentence of a paragraph, or one whole list item / table row, of a passage."""

    text: str  # as in the passage, list marker removed
    line: int  # which line (block) of the passage it is on
    is_item: bool  # a list item or table row, not a prose sentence
    # The last sentence before a list, announcing it without a colon: "There are many
    # reasons why a person would not want to be paid for their open source work."
    announces: bool = False
    # A table row: cells joined by " | " on a line of its own, no list marker ("- Python
    # | Java | Go" is a list item that happens to hold bars).
    is_row: bool = False

    @property
    def lead_in(self) -> bool:
        return not self.is_item and (self.text.rstrip().endswith(":") or self.announces)


_COUNT = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|few|several|some|many)"
_KINDS = (
    r"(?:reasons|ways|points|factors|steps|tips|types|kinds|structures|questions|ideas"
    r"|options|things|rules|principles|areas|categories|files|roles|benefits|examples|stages"
    r"|levels|signs)"
)
# A sentence that says a list follows, though it ends in a full stop: "There are three
# common governance structures…", "Gergely Orosz came up with 12 points…", "These
# questions are suitable for…". Without it, the section's heading led the list, and under
# "Why some people seek financial support" the reasons *not* to be paid read as reasons to.
_ANNOUNCES = re.compile(
    rf"\b(?:the following|following (?:{_KINDS}|are)|here (?:are|is)|there are {_COUNT}\b"
    rf"|{_COUNT} (?:\w+ )?{_KINDS}\b|^these (?:{_KINDS}|are|include)\b)",
    re.IGNORECASE,
)


def split_units(passage: str) -> list[Unit]:
    """Units of a chunk's text; chunk lines are blocks (see ``assistant.ingest.chunking``)."""
    units: list[Unit] = []
    for line_no, raw in enumerate(passage.splitlines()):
        line = raw.strip()
        if not line:
            continue
        marker = _LIST_MARKER.match(line)
        if marker or " | " in line:
            text = line[marker.end() :] if marker else line
            if text:
                units.append(Unit(text, line_no, True, is_row=not marker))
            continue
        sentences = (_ELIDED.sub("", s) for s in split_sentences(line))
        units.extend(Unit(s, line_no, False) for s in sentences if s)
    if not units:
        return units  # a blank passage: nothing to pair with a next unit
    return [
        replace(u, announces=True)
        if not u.is_item and nxt.is_item and nxt.line != u.line and _ANNOUNCES.search(u.text)
        else u
        for u, nxt in zip(units, [*units[1:], Unit("", -1, False)], strict=True)
    ]


def split_sentences(text: str) -> list[str]:
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        parts.append(text[start : m.start(1)])
        start = m.end(1)
    parts.append(text[start:])
    out: list[str] = []
    for raw in parts:
        part = raw.strip()
        if not part:
            continue
        if out and (
            _ABBREVIATIONS.search(out[-1])
            or _INITIALS.search(out[-1])
            or (_open_quote(out[-1]) and len(out[-1].split()) + len(part.split()) <= QUOTE_WORDS)
        ):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _open_quote(text: str) -> bool:
    """A double quotation opened and not yet closed: its next sentence is still quoted."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def unit_cache_file(data_dir: Path, embeddings: LocalEmbeddings) -> Path:
    """Where the unit vectors of one data dir and model live; ingest fills the file, answers
    read it. Named by the model's weights: another model's vectors are never reused."""
    weights = stable_hash(embeddings.fingerprint, length=12)
    return data_dir / "cache" / f"units-{weights}-{embeddings.dtype}.npz"


def list_spans(units: Sequence[Unit], headed: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each list in ``units``: a lead-in ("Methods I've found
    effective:") and the items right after it. With ``headed``, items that open the
    passage are a list too, led by the section heading they sit under ("Senior Software
    Engineer": its Description, Scope, Experience…)."""
    spans = []
    if headed:
        end = 0
        while end < len(units) and units[end].is_item:
            end += 1
        if end >= 2:
            spans.append((0, end))
    for i, unit in enumerate(units):
        if not unit.lead_in:
            continue
        end = i + 1
        while end < len(units) and units[end].is_item:
            end += 1
        if end > i + 1:
            spans.append((i, end))
    return spans


def list_runs(units: Sequence[Unit]) -> list[int]:
    """For each unit, the number of the list it leads or is an item of, -1 for prose."""
    out, run = [], -1
    for pos, unit in enumerate(units):
        if unit.lead_in or (
            unit.is_item and (pos == 0 or not (units[pos - 1].is_item or units[pos - 1].lead_in))
        ):
            run = pos  # a new list: numbered by where it starts
        elif not unit.is_item:
            out.append(-1)
            continue
        out.append(run)
    return out


def list_text(units: Sequence[Unit], heading: str = "") -> str:
    """A list read as one text, lead-in and items, after the heading it sits under: what
    it says as a whole. "What worked for me:" and its items never say "portfolio"; under
    "Effective Portfolio Strategies" they are the essay's portfolio advice."""
    text = " ".join(u.text for u in units)
    return f"{heading}: {text}" if heading else text


def chunk_unit_texts(chunk: Chunk) -> list[str]:
    """What an answer embeds of a passage: its units, its essay's title and its section
    heading (an essay's outline is matched by them), and each of its lists read whole."""
    units = split_units(chunk.text)
    heading = chunk.heading[-1] if chunk.heading else ""
    lists = [list_text(units[a:b], heading) for a, b in list_spans(units, bool(heading))]
    texts = [u.text for u in units] + lists
    return [chunk.title, *chunk.heading[:1], *texts] if chunk.title else texts


class UnitVectors:
    """Unit-length vectors of short texts, cached by text hash (memory + ``.npz`` files).

    The cache is one file plus parts: an ingest adds a part per commit group (only the
    vectors that group embedded, so a kill loses at most that group's), and ``save``
    folds the parts and this process's new vectors into the one file.
    """

    def __init__(self, embeddings: LocalEmbeddings, cache_file: Path | None = None) -> None:
        self.embeddings = embeddings
        self.cache_file = cache_file
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._unsaved: list[str] = []  # keys embedded since the last save or part
        self._vectors.update(self._read_disk()[0])

    def _parts(self) -> list[Path]:
        if self.cache_file is None:
            return []
        return sorted(self.cache_file.parent.glob(f"{self.cache_file.stem}.part-*.npz"))

    def _read_disk(self) -> tuple[dict[str, np.ndarray], list[Path]]:
        """Every vector in the cache file and its parts, and the parts read."""
        out: dict[str, np.ndarray] = {}
        parts = self._parts()
        main = [self.cache_file] if self.cache_file is not None else []
        for path in main + parts:
            try:
                with np.load(path) as data:
                    keys, vecs = data["keys"], data["vectors"]
                out.update((str(k), v) for k, v in zip(keys, vecs, strict=True))
            except FileNotFoundError:
                continue  # no cache yet, or a part another process just folded in
            except (OSError, ValueError, KeyError) as exc:
                log.warning("ignoring unreadable vector cache %s: %s", path, exc)
        return out, parts

    def save(self) -> None:
        """Write every vector, with those other processes saved meanwhile, to the one file,
        then remove the parts folded into it."""
        if self.cache_file is None or not (self._unsaved or self._parts()):
            return
        on_disk, parts = self._read_disk()
        with self._lock:
            for key, vec in on_disk.items():
                self._vectors.setdefault(key, vec)
            keys = list(self._vectors)
            self._unsaved = []
            self._write(self.cache_file, keys)
        for part in parts:
            part.unlink(missing_ok=True)

    def save_part(self) -> None:
        """Write only the vectors embedded since the last save, as a new part file."""
        if self.cache_file is None or not self._unsaved:
            return
        with self._lock:
            keys, self._unsaved = self._unsaved, []
            name = f"{self.cache_file.stem}.part-{time.time_ns()}-{os.getpid()}.npz"
            self._write(self.cache_file.with_name(name), keys)

    def _write(self, path: Path, keys: list[str]) -> None:
        """Atomically: a reader sees the old file or the new one, never half of one."""
        vecs = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".units-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=np.array(keys, dtype="U24"), vectors=vecs)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts`` (rows in order), embedding only what is not cached."""
        keys = [_key(t) for t in texts]
        self._embed_missing(keys, texts)
        with self._lock:
            if not texts:
                return np.zeros((0, self.embeddings.dimension), dtype=np.float32)
            return np.stack([self._vectors[k] for k in keys])

    def add(self, texts: Iterable[str]) -> int:
        """Embed those of ``texts`` not cached yet; how many were embedded."""
        texts = list(texts)
        return self._embed_missing([_key(t) for t in texts], texts)

    def _embed_missing(self, keys: list[str], texts: list[str]) -> int:
        with self._lock:
            missing = sorted(
                {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}.items()
            )
        if missing:
            vecs = self.embeddings.embed_array([t for _, t in missing])
            with self._lock:
                for (k, _), v in zip(missing, vecs, strict=True):
                    self._vectors[k] = v
                self._unsaved.extend(k for k, _ in missing)
        return len(missing)

    def warm(
        self, chunks: Iterable[Chunk], batch: int = 64, stop: threading.Event | None = None
    ) -> None:
        """Embed every unit of ``chunks`` not yet cached (run it in a background thread;
        setting ``stop`` ends it between batches, keeping what was done)."""
        pending: list[str] = []
        for chunk in chunks:
            if stop is not None and stop.is_set():
                break
            pending.extend(chunk_unit_texts(chunk))
            if len(pending) >= batch:
                self.add(pending)
                pending = []
        if pending and not (stop is not None and stop.is_set()):
            self.add(pending)
        self.save()

    def __len__(self) -> int:
        return len(self._vectors)


def complete_sentences(draft: str) -> str:
    """The prefix of a streamed ``draft`` made of finished sentences."""
    sentences = split_sentences(" ".join(draft.split()))
    return " ".join(sentences[:-1]) if len(sentences) > 1 else ""


def pieces(text: str) -> Iterator[str]:
    """Sentence-sized pieces whose concatenation is ``text`` (single-spaced) exactly."""
    sentences = split_sentences(text)
    for i, s in enumerate(sentences):
        yield s if i == len(sentences) - 1 else s + " "
