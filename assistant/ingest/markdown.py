"""Parse an essay file: front matter to metadata, body to blocks of visible text.

Real essays are Markdown with noise: Jekyll/Docusaurus front matter, MDX
``import`` lines and JSX components, HTML asides and images, admonitions,
tables and link reference lists. The parser keeps every word a reader sees,
drops everything a reader doesn't, and remembers for every word where it sits
in the file (see :mod:`assistant.ingest.inline`).

Blocks are the units a chunk is built from: a paragraph, one list item (kept
whole), one table row, or a code block; each knows its heading path. The front matter
is read in :mod:`assistant.ingest.front_matter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.ingest.front_matter import essay_metadata, split_front_matter, title_from_filename
from assistant.ingest.inline import Piece, clean_inline, join_pieces
from assistant.search import TABLE_ROW, TABLE_RULE

# Bump when parsing or chunking changes what a chunk contains: the index is then rebuilt.
# 2: a list the chunk boundary would cut moves whole to the next chunk; 3: a sentence
# announcing a list leads it (its list text is embedded at ingest); 4: items that open a
# section are read as one list under its heading (embedded at ingest too); 5: HTML
# checklist boxes are list items; 6: an admonition linking to tracked referrals is dropped.
PARSER_VERSION = "6"

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_HEADING_ID = re.compile(r"\s*\{#[^}]*\}\s*$")
_LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])(\s+|$)")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
# An HTML checklist box (<input type="checkbox">): the label after it is one item of a
# list ("How many open issues are there?"), not a paragraph of its own.
_CHECKBOX = re.compile(
    r"^\s*<input\b[^>]*(?<![\w-])type\s*=\s*[\"']?checkbox\b[^>]*>", re.IGNORECASE
)
# MDX statements, strictly shaped so prose that starts with "import" or "export" stays.
_MDX_STATEMENT = re.compile(
    r"""^(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['"][^'"]+['"];?\s*$"""
    r"|^export\s+(?:default\b|const\s|function\s|let\s|var\s|\{))"
)
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S")
_THEMATIC_BREAK = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_ADMONITION = re.compile(r"^\s{0,3}:::\s*(\w*)\s*(.*)$")
# A link tracked as a referral or an affiliate's ("?utm_medium=referral", "&aff=…"): an
# admonition holding one is a sponsor's ("Expert tip: Get paid more. Receive salary
# negotiation help from Rora…", "…resume templates and examples at 70% off"), not the
# essay's advice. Quoted, it opened answers ("Any tips?" after a salary question).
_REFERRAL = re.compile(r"[?&](?:utm_medium=referral|aff=|ref=)", re.IGNORECASE)
# Block-level HTML whose content no reader sees.
_HIDDEN_OPEN = re.compile(r"^\s*<(head|script|style)\b", re.IGNORECASE)
_COMMENT_OPEN = re.compile(r"^\s*<!--")


@dataclass(frozen=True)
class Block:
    kind: str  # "para", "item", "row" or "code"
    heading: tuple[str, ...]
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return join_pieces(self.pieces)


@dataclass(frozen=True)
class ParsedEssay:
    meta: dict[str, Any]
    title: str
    blocks: tuple[Block, ...]
    front_matter_error: str = ""


class _BlockParser:
    def __init__(self, text: str, body_start: int) -> None:
        self.text = text
        self.body_start = body_start
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.first_heading = ""
        self._lines: list[tuple[str, int]] = []  # pending block's lines, prefixes cut
        self._kind = "para"
        self._marker = Piece("-", 0, 0, False)

    def parse(self) -> list[Block]:
        lines = _lines_with_offsets(self.text, self.body_start)
        i = 0
        while i < len(lines):
            i = self._line(lines, i)
        self._flush()
        return self.blocks

    def _line(self, lines: list[tuple[str, int]], i: int) -> int:
        line, off = lines[i]
        if (fence := _FENCE.match(line)) is not None:
            return self._code(lines, i, fence.group(1))
        if _COMMENT_OPEN.match(line) and "-->" not in line:
            return self._skip_until(lines, i, re.compile("-->"))
        if (hidden := _HIDDEN_OPEN.match(line)) is not None:
            return self._skip_until(lines, i, re.compile(rf"</{hidden.group(1)}\s*>", re.I))
        if not line.strip():
            self._flush()
            return i + 1
        if (h := _HEADING.match(line)) is not None:
            self._flush()
            self._heading(
                len(h.group(1)), h.group(2) or "", off + (h.start(2) if h.group(2) else 0)
            )
            return i + 1
        if not self._lines and (_MDX_STATEMENT.match(line) or _LINK_DEFINITION.match(line)):
            return i + 1
        if _THEMATIC_BREAK.match(line):
            self._flush()
            return i + 1
        if (adm := _ADMONITION.match(line)) is not None:
            self._flush()
            if adm.group(1) and (after := _sponsored(lines, i)):
                return after
            if adm.group(2):  # an explicit admonition title is shown to the reader
                self._lines = [(adm.group(2), off + adm.start(2))]
                self._flush()
            return i + 1
        if TABLE_ROW.match(line):
            self._flush()
            if not TABLE_RULE.match(line):
                self._table_row(line, off)
            return i + 1
        if (q := _QUOTE.match(line)) is not None:
            line, off = line[q.end() :], off + q.end()
            if not line.strip():
                self._flush()
                return i + 1
        if (box := _CHECKBOX.match(line)) is not None:
            self._flush()
            self._kind = "item"
            at = off + line.index("<")  # the box stands for the item's bullet
            self._marker = Piece("-", at, at + 1, False)
            self._lines = [(line[box.end() :], off + box.end())]
            return i + 1
        if (item := _LIST_ITEM.match(line)) is not None:
            self._flush()
            self._kind = "item"
            marker = item.group(2)
            # Keep the marker visible so a list still reads as a list; bullets become "-".
            bullet = marker if marker[0].isdigit() else "-"
            self._marker = Piece(bullet, off + item.start(2), off + item.end(2), False)
            self._lines = [(line[item.end() :], off + item.end())]
            return i + 1
        self._lines.append((line.strip(), off + (len(line) - len(line.lstrip()))))
        return i + 1

    def _code(self, lines: list[tuple[str, int]], i: int, fence: str) -> int:
        self._flush()
        j = i + 1
        body: list[tuple[str, int]] = []
        while j < len(lines) and not lines[j][0].lstrip().startswith(fence):
            body.append(lines[j])
            j += 1
        pieces = _plain_pieces(body)
        if pieces:
            self.blocks.append(Block("code", self._heading_path(), tuple(pieces)))
        return j + 1

    def _skip_until(self, lines: list[tuple[str, int]], i: int, close: re.Pattern[str]) -> int:
        """Skip hidden lines up to ``close``; words after it on its line are still read."""
        self._flush()
        j = i
        while j < len(lines) and (m := close.search(lines[j][0])) is None:
            j += 1
        if j < len(lines) and m is not None:
            line, off = lines[j]
            rest = line[m.end() :]
            if rest.strip():
                lines[j] = (rest, off + m.end())
                return j
        return j + 1

    def _heading(self, level: int, raw: str, off: int) -> None:
        raw = _HEADING_ID.sub("", raw)
        text = join_pieces(clean_inline([(raw, off)])) if raw else ""
        if not text:
            return
        if not self.first_heading:
            self.first_heading = text
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text))

    def _heading_path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.headings)

    def _table_row(self, line: str, off: int) -> None:
        pieces: list[Piece] = []
        for cell in re.finditer(r"[^|]+", line):
            if not cell.group().strip():
                continue
            cell_pieces = clean_inline([(cell.group(), off + cell.start())])
            if pieces and cell_pieces:
                # A visible separator keeps cells apart; it maps onto the "|" it replaces.
                bar = line.rfind("|", 0, cell.start())
                pieces.append(Piece("|", off + bar, off + bar + 1, True))
                cell_pieces[0] = _with_space(cell_pieces[0])
            pieces.extend(cell_pieces)
        if pieces:
            self.blocks.append(Block("row", self._heading_path(), tuple(pieces)))

    def _flush(self) -> None:
        if self._lines:
            pieces = self._item_pieces() if self._kind == "item" else clean_inline(self._lines)
            if pieces and not (self._kind == "item" and len(pieces) == 1):
                self.blocks.append(Block(self._kind, self._heading_path(), tuple(pieces)))
        self._lines = []
        self._kind = "para"

    def _item_pieces(self) -> list[Piece]:
        body = clean_inline(self._lines)
        if body:
            body[0] = _with_space(body[0])
        return [self._marker, *body]


def _sponsored(lines: list[tuple[str, int]], i: int) -> int:
    """The index after the admonition opened at ``lines[i]`` when it links to a tracked
    referral (``_REFERRAL``), else 0: it is read as any other."""
    for j in range(i + 1, len(lines)):
        if (end := _ADMONITION.match(lines[j][0])) is not None and not end.group(1):
            sponsored = any(_REFERRAL.search(line) for line, _ in lines[i + 1 : j])
            return j + 1 if sponsored else 0
    return 0


def _with_space(p: Piece) -> Piece:
    return Piece(p.text, p.start, p.end, True)


def _plain_pieces(lines: list[tuple[str, int]]) -> list[Piece]:
    pieces: list[Piece] = []
    space = False
    for line, off in lines:
        for m in re.finditer(r"\S+", line):
            pieces.append(Piece(m.group(), off + m.start(), off + m.end(), space or m.start() > 0))
            space = False
        space = True
    return pieces


def _lines_with_offsets(text: str, start: int) -> list[tuple[str, int]]:
    out = []
    pos = start
    for line in text[start:].splitlines(keepends=True):
        content = line.rstrip("\r\n")
        out.append((content, pos))
        pos += len(line)
    return out


def parse_essay(text: str, source: str) -> ParsedEssay:
    """Parse decoded file text; offsets in the result index into ``text``."""
    raw_meta, body_start, error = split_front_matter(text)
    if body_start == 0 and text.startswith("\ufeff"):
        body_start = 1  # a byte-order mark is not text
    meta = essay_metadata(raw_meta)
    parser = _BlockParser(text, body_start)
    blocks = parser.parse()
    title = meta["title"] or parser.first_heading or title_from_filename(source)
    # An H1 that repeats the title is the title, not a section.
    blocks = [_drop_title(b, title) for b in blocks]
    return ParsedEssay(meta=meta, title=title, blocks=tuple(blocks), front_matter_error=error)


def _drop_title(block: Block, title: str) -> Block:
    if block.heading and block.heading[0] == title:
        return Block(block.kind, block.heading[1:], block.pieces)
    return block
