"""Where a quote sits in its essay file: character offsets for highlighting."""

from __future__ import annotations

import functools
import hashlib
import re
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


def locate_quote(path: str, sha256: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """Offsets of ``quote`` in the file, searched within the chunk's span.

    The quote is clean text and the file has markup between its words, so the
    quote's words are matched in order, skipping a few hidden words (link URLs)
    between them. Falls back to the chunk's own span.
    """
    raw = _read_source(path, sha256)
    if raw is None:
        return start, end
    qwords = plain_words(quote)
    if not qwords:
        return start, end
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
    return start, end


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
