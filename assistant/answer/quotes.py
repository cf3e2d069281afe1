"""Where a quote sits in its essay file: character offsets for highlighting."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from assistant.domain import Chunk, path_on_disk
from assistant.search import plain_words, table_row_headers

# A list item of the passage, whose " | " makes no table row.
_LIST_ITEM = re.compile(r"^\s*(?:-|\d{1,3}[.)])\s+")


@functools.lru_cache(maxsize=64)
def _read_source(path: str, sha256: str) -> str | None:
    """The essay file as ingested, or None when it changed or vanished since."""
    try:
        data = Path(path_on_disk(path)).read_bytes()
    except OSError:
        return None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        return None
    return data.decode("utf-8", errors="replace")


def essay_text(path: str, sha256: str) -> str | None:
    """The essay file as ingested (``Chunk.path``, ``Chunk.file_sha256``), or None when it
    changed or vanished since: what the passage says is then all there is to read."""
    return _read_source(path, sha256)


def locate_quote(path: str, sha256: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """Offsets of ``quote`` in the file, searched within the chunk's span.

    The quote is clean text and the file has markup between its words, so the
    quote's words are matched in order, skipping a few hidden words (link URLs)
    between them. Falls back to the chunk's own span.
    """
    raw = _read_source(path, sha256)
    found = None if raw is None else _find_quote(raw, start, end, quote)
    return found or (start, end)


def _find_quote(raw: str, start: int, end: int, quote: str) -> tuple[int, int] | None:
    """Offsets of ``quote``'s words, in order, within ``raw[start:end]``; None if absent."""
    qwords = plain_words(quote)
    if not qwords:
        return None
    spans = [
        (m.group().lower(), start + m.start(), start + m.end())
        for m in re.finditer(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", raw[start:end])
    ]
    for i, (w, s, _) in enumerate(spans):
        if w.replace("’", "'") != qwords[0]:
            continue
        j, k, last = i + 1, 1, spans[i][2]
        while k < len(qwords) and j < len(spans) and j - i < len(qwords) * 3 + 10:
            if spans[j][0].replace("’", "'") == qwords[k]:
                k, last = k + 1, spans[j][2]
            j += 1
        if k == len(qwords):
            while last < end and raw[last] in ".!?;:,)\"'”’":
                last += 1
            return s, last
    return None


def table_headers(chunk: Chunk) -> frozenset[int]:
    """The lines of the passage that are its tables' headers, as the essay file marks them
    (the row the rule "|---|" follows). A passage may open in the middle of a table, or
    hold two tables back to back, and its text alone can't tell a header from a data row:
    the split company-size table's "Types of work | Mainly product development…" is a
    data row. Empty when the file changed since ingest or its rows don't line up with the
    passage's (an empty row, prose holding " | "): then no table is read."""
    lines = chunk.text.splitlines()
    rows = [n for n, line in enumerate(lines) if " | " in line and not _LIST_ITEM.match(line)]
    if not rows:
        return frozenset()  # most passages
    raw = _read_source(chunk.path, chunk.file_sha256)
    if raw is None:
        return frozenset()
    start = raw.rfind("\n", 0, chunk.start) + 1  # the passage starts inside its first line
    after = raw.find("\n", chunk.end)
    end = raw.find("\n", after + 1) if after >= 0 else -1  # one line more: a header's rule
    headers = table_row_headers(raw[start : end if end >= 0 else len(raw)])
    if len(headers) not in (len(rows), len(rows) + 1):  # the line after may be a row
        return frozenset()
    return frozenset(n for n, header in zip(rows, headers, strict=False) if header)


# A blockquote's marker at the start of a file line (in a list item it is indented).
_BLOCKQUOTE = re.compile(r"[ \t]*>")
_BLOCKQUOTE_LINE = re.compile(r"^[ \t]*>", re.MULTILINE)
# A line that begins a block of its own: a heading, a list item.
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}\s|[-*+]\s|\d{1,9}[.)]\s)")
# A fenced code block's fence: a line starting "> " inside one is code, not a quote.
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)


def blockquoted(chunk: Chunk, texts: Sequence[str]) -> set[int]:
    """Which of ``texts``, the passage's units in order, sit in a blockquote of the essay
    file ("> I've talked to maintainers…", a model cover letter). The passage's text has
    lost the ">" markers, so the file is read, and each unit is found after the one
    before it: most first-person units open with "I", and the first "I" of the passage
    is seldom theirs. Empty when the file changed since ingest or quotes nothing here."""
    raw = _read_source(chunk.path, chunk.file_sha256)
    if raw is None:
        return set()
    start = raw.rfind("\n", 0, chunk.start) + 1  # the passage may open mid-line
    if _BLOCKQUOTE_LINE.search(raw, start, chunk.end) is None:
        return set()  # most passages
    out, cursor = set(), chunk.start
    for i, text in enumerate(texts):
        found = _find_quote(raw, cursor, chunk.end, text)
        if found is None:
            continue  # a table reading, or a unit the file spells otherwise
        cursor = found[1]
        if _in_blockquote(raw, found[0]):
            out.add(i)
    return out


def _in_blockquote(raw: str, pos: int) -> bool:
    """The block holding ``pos`` is quoted: its line, or an earlier line of the same block
    (a lazy continuation line has no ">" of its own), opens with ">", outside code."""
    line = raw.rfind("\n", 0, pos) + 1
    if len(_FENCE.findall(raw, 0, line)) % 2:
        return False
    while True:
        if _BLOCKQUOTE.match(raw, line):
            return True
        if line == 0 or _BLOCK_START.match(raw, line):
            return False  # a heading or list item begins a block of its own
        previous = raw.rfind("\n", 0, line - 1) + 1
        if not raw[previous : line - 1].strip():
            return False  # the block begins at ``line``
        line = previous
