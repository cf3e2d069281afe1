"""Heading-aware chunking, sized in the embedding model's own tokens.

all-MiniLM-L6-v2 silently truncates its input at 256 word pieces, so a chunk
longer than that would be indexed by its beginning only. Chunks therefore never
cross a section boundary, never split a list item or table row unless it alone
is too long, never cut a list that fits in one chunk, and are checked against the
model's real tokenizer at the end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.domain import HEADING_SEPARATOR, Chunk, Essay
from assistant.ingest.inline import Piece, join_pieces
from assistant.ingest.markdown import Block
from assistant.search import INSTRUCTIONS_FLAG, instructs_assistant

# Word pieces kept free below the limit for [CLS]/[SEP] and the newline joins.
_SPECIAL_TOKENS = 2
_MIN_BUDGET = 24
_ABBREVIATIONS = frozenset("e.g. i.e. etc. vs. mr. mrs. ms. dr. st. no. fig. approx. inc.".split())
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


class TokenCounter(Protocol):
    @property
    def max_seq_length(self) -> int: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class _Unit:
    """A block or a piece of one: the smallest thing a chunk is built from."""

    block_id: int
    kind: str
    pieces: tuple[Piece, ...]
    tokens: int

    @property
    def text(self) -> str:
        return join_pieces(self.pieces)


def chunk_essay(
    essay: Essay, blocks: Sequence[Block], counter: TokenCounter, target_tokens: int
) -> list[Chunk]:
    """Cut an essay's blocks into chunks of at most ``target_tokens`` word pieces.

    The sizes used while packing are sums of per-part counts; every chunk is then
    counted whole with the real tokenizer and, in the rare case one is over the
    model's limit, the essay is packed again with a smaller budget.
    """
    target = target_tokens
    while True:
        chunks = _chunk(essay, blocks, counter, target)
        counts = counter.count_tokens([c.embed_text for c in chunks]) if chunks else []
        if all(n <= counter.max_seq_length for n in counts) or target <= _MIN_BUDGET:
            return chunks
        target = max(_MIN_BUDGET, int(target * 0.8))


def _chunk(
    essay: Essay, blocks: Sequence[Block], counter: TokenCounter, target_tokens: int
) -> list[Chunk]:
    max_len = counter.max_seq_length
    sections: list[tuple[tuple[str, ...], list[tuple[int, Block]]]] = []
    for i, block in enumerate(blocks):
        if not sections or sections[-1][0] != block.heading:
            sections.append((block.heading, []))
        sections[-1][1].append((i, block))

    prefixes = [_prefix(essay.title, heading) for heading, _ in sections]
    prefix_tokens = _counts(counter, prefixes)
    block_tokens = _counts(counter, [b.text for b in blocks])

    chunks: list[Chunk] = []
    seen: set[str] = set()
    for (heading, members), p_tokens in zip(sections, prefix_tokens, strict=True):
        limit = max_len - _SPECIAL_TOKENS - p_tokens
        budget = max(_MIN_BUDGET, min(target_tokens, limit))
        units: list[_Unit] = []
        for i, block in members:
            units.extend(_units(i, block, block_tokens[i], budget, counter))
        for group in _pack(units, budget):
            chunk = _make_chunk(essay, heading, group, len(chunks))
            if chunk.id not in seen:  # a repeated passage in one essay adds nothing
                seen.add(chunk.id)
                chunks.append(chunk)
    return chunks


def _prefix(title: str, heading: tuple[str, ...]) -> str:
    return HEADING_SEPARATOR.join((title, *heading))


def _counts(counter: TokenCounter, texts: list[str]) -> list[int]:
    if not texts:
        return []
    return [max(0, n - _SPECIAL_TOKENS) for n in counter.count_tokens(texts)]


def _units(i: int, block: Block, tokens: int, budget: int, counter: TokenCounter) -> list[_Unit]:
    if tokens <= budget:
        return [_Unit(i, block.kind, block.pieces, tokens)]
    sentences = _split_sentences(block.pieces)
    counts = _counts(counter, [join_pieces(s) for s in sentences])
    units: list[_Unit] = []
    for sentence, n in zip(sentences, counts, strict=True):
        if n <= budget:
            units.append(_Unit(i, block.kind, tuple(sentence), n))
        else:
            units.extend(_word_windows(i, block.kind, sentence, budget, counter))
    return units


def _split_sentences(pieces: Sequence[Piece]) -> list[list[Piece]]:
    out: list[list[Piece]] = [[]]
    for j, piece in enumerate(pieces):
        out[-1].append(piece)
        nxt = pieces[j + 1] if j + 1 < len(pieces) else None
        if (
            nxt is not None
            and nxt.space
            and _SENTENCE_END.search(piece.text)
            and piece.text.lower() not in _ABBREVIATIONS
            and (nxt.text[:1].isupper() or nxt.text[:1].isdigit() or nxt.text[:1] in "\"'“‘(")
        ):
            out.append([])
    return [s for s in out if s]


def _word_windows(
    i: int, kind: str, pieces: Sequence[Piece], budget: int, counter: TokenCounter
) -> list[_Unit]:
    """Last resort for a run-on "sentence": consecutive words that fit the budget."""
    pieces = _split_giant_pieces(pieces, budget, counter)
    counts = _counts(counter, [p.text for p in pieces])
    units: list[_Unit] = []
    window: list[Piece] = []
    used = 0
    for piece, count in zip(pieces, counts, strict=True):
        n = min(count, budget)  # a single absurd "word" is cut by the model; keep it anyway
        if window and used + n > budget:
            units.append(_Unit(i, kind, tuple(window), used))
            window, used = [], 0
        window.append(piece)
        used += n
    if window:
        units.append(_Unit(i, kind, tuple(window), used))
    return units


def _split_giant_pieces(pieces: Sequence[Piece], budget: int, counter: TokenCounter) -> list[Piece]:
    """Cut a single "word" longer than the budget (minified JSON, a base64 blob) into
    slices, so one absurd token never forces the rest of the essay into tiny chunks."""
    counts = _counts(counter, [p.text for p in pieces])
    out: list[Piece] = []
    for piece, n in zip(pieces, counts, strict=True):
        verbatim = len(piece.text) == piece.end - piece.start
        if n <= budget // 2 or not verbatim:
            out.append(piece)
            continue
        # At least one character per word piece, so slices of budget/2 chars always fit.
        step = max(1, budget // 2)
        for k, lo in enumerate(range(0, len(piece.text), step)):
            text = piece.text[lo : lo + step]
            start = piece.start + lo
            out.append(Piece(text, start, start + len(text), piece.space and k == 0))
    return out


def _pack(units: list[_Unit], budget: int) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    used = 0
    for n, unit in enumerate(units):
        cost = unit.tokens + 1  # the newline or space that joins it
        if current and used + cost > budget:
            carried = _carry_list(current, units, n, budget) or _carry_lead_in(current)
            groups.append(current)
            current = carried
            used = sum(u.tokens + 1 for u in current)
        current.append(unit)
        used += cost
    if current:
        groups.append(current)
    return groups


def _carry_list(current: list[_Unit], units: list[_Unit], n: int, budget: int) -> list[_Unit]:
    """Move a list the chunk boundary would cut, with the paragraph that introduces it,
    to the next chunk when the whole list fits there. "If you don't want to accept a
    contribution:" and its four steps were cut after the second, and each half was read
    as a list of its own; "There are many reasons why a person would not want to be
    paid…" went one way and the reasons the other."""
    if units[n].kind != "item":
        return []
    first_item = len(current)
    while first_item > 0 and current[first_item - 1].kind == "item":
        first_item -= 1
    end = n
    while end < len(units) and units[end].kind == "item":
        end += 1
    # With the paragraph that introduces it, when there is one: a list never leaves its
    # introduction behind ("Here are some ideas:" ending one chunk, its ideas the next).
    start = (
        first_item - 1 if first_item > 0 and current[first_item - 1].kind == "para" else first_item
    )
    if start == 0 or start == len(current) or not _fits(current[start:] + units[n:end], budget):
        return []  # all the chunk holds, nothing to move, or longer than a chunk: cut it
    carried = current[start:]
    del current[start:]
    return carried


def _fits(units: list[_Unit], budget: int) -> bool:
    return sum(u.tokens + 1 for u in units) <= budget


def _carry_lead_in(current: list[_Unit]) -> list[_Unit]:
    """Move a trailing "...:" lead-in to the next chunk so it stays with its list."""
    if len(current) > 1 and current[-1].text.endswith(":"):
        return [current.pop()]
    return []


def _make_chunk(essay: Essay, heading: tuple[str, ...], units: list[_Unit], ordinal: int) -> Chunk:
    lines: list[str] = []
    for k, unit in enumerate(units):
        same_block = k > 0 and units[k - 1].block_id == unit.block_id
        if same_block:
            lines[-1] += " " + unit.text
        else:
            lines.append(unit.text)
    return Chunk(
        source=essay.source,
        path=essay.path,
        title=essay.title,
        heading=heading,
        text="\n".join(lines),
        start=units[0].pieces[0].start,
        end=units[-1].pieces[-1].end,
        ordinal=ordinal,
        file_sha256=essay.sha256,
        date=essay.date,
        author=essay.author,
        categories=essay.categories,
        url=essay.url,
        flags=(INSTRUCTIONS_FLAG,) if instructs_assistant("\n".join(lines)) else (),
    )
