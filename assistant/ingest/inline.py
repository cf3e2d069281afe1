"""Inline markup stripping that remembers where every word came from.

A block's text is cleaned into :class:`Piece` objects: a word (or a decoded
entity) plus its character span in the original file. Keeping spans per piece
rather than per character keeps memory proportional to words, and is exactly
what chunk offsets and quote highlighting need.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of visible text and the span ``[start, end)`` it came from."""

    text: str
    start: int
    end: int
    space: bool  # whether a space separates it from the previous piece


def join_pieces(pieces: Iterable[Piece]) -> str:
    out: list[str] = []
    for p in pieces:
        if out and p.space:
            out.append(" ")
        out.append(p.text)
    return "".join(out)


# Tags after which words run on (<b>x</b>y is one word); any other tag separates words.
_INLINE_TAGS = frozenset(
    (
        "a abbr b bdi bdo cite code del dfn em i ins kbd mark q s samp small span strong sub sup"
        " u var"
    ).split()
)

# One alternation, tried left to right at each position; plain text is what lies between.
# Bounded repeats keep a hostile file (thousands of unclosed backticks) linear, not quadratic.
_TOKEN = re.compile(
    r"""
    (?<!`)(?P<code>(?>`+))(?P<code_body>.{1,2000}?)(?P=code)(?!`)  # `code`, verbatim
  | (?P<image>!\[[^\]]*\]\((?:[^()]|\([^()]*\))*\))               # ![alt](src): not read as text
  | (?P<link>\[(?P<link_body>(?:[^\[\]]|\[[^\]]*\])+)\]
        (?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\]))                 # [text](url) or [text][ref]
  | <(?P<autolink>(?:https?|mailto):[^\s<>]+)>                    # <https://...>
  | (?P<comment><!--.*?(?:-->|\Z))                                # HTML comment
  | (?P<jsx>\{/\*.{0,2000}?\*/\})                                 # MDX comment
  | (?P<liquid>\{%.{0,500}?%\}|\{\{.{0,500}?\}\})                  # Jekyll/Liquid tags
  | (?P<rawtag><(?P<raw_name>script|style)\b[^>]*>.*?(?:</(?P=raw_name)\s*>|\Z))
  | (?P<tag></?(?P<tag_name>[A-Za-z][\w.-]*)
        (?:[^<>{}"']|"[^"]*"|'[^']*'|\{(?:[^{}]|\{[^{}]*\})*\})*/?>)  # HTML/JSX tag
  | (?P<entity>&(?:\#\d{1,7}|\#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)
  | (?P<escape>\\(?P<escaped>[\\`*_{}\[\]()\#+\-.!|<>~]))
  | (?P<emph>\*{1,3}|~~|(?<![\w])_{1,3}|_{1,3}(?![\w]))           # emphasis markers
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)


class InlineCleaner:
    """Turns lines of inline Markdown/HTML into :class:`Piece` lists.

    Lines are given as ``(text, offset)`` pairs so that prefixes such as list
    markers or ``>`` quote marks can be cut before cleaning without losing the
    mapping back to the file.
    """

    def __init__(self) -> None:
        self._pieces: list[Piece] = []
        self._pending_space = False
        self._offsets: list[tuple[int, int]] = []  # (position in joined text, file offset)

    def clean(self, lines: list[tuple[str, int]]) -> list[Piece]:
        self._pieces = []
        self._pending_space = False
        joined, self._offsets = _join_lines(lines)
        self._scan(joined, 0, len(joined))
        return self._pieces

    # -- scanning ----------------------------------------------------------------

    def _scan(self, text: str, lo: int, hi: int) -> None:
        pos = lo
        for m in _TOKEN.finditer(text, lo, hi):
            if m.start() > pos:
                self._plain(text, pos, m.start())
            self._token(text, m)
            pos = m.end()
        if pos < hi:
            self._plain(text, pos, hi)

    def _token(self, text: str, m: re.Match[str]) -> None:
        kind = m.lastgroup
        if m.group("code") is not None:
            self._plain(text, m.start("code_body"), m.end("code_body"))
        elif m.group("link") is not None:
            self._scan(text, m.start("link_body"), m.end("link_body"))
        elif m.group("autolink") is not None:
            self._plain(text, m.start("autolink"), m.end("autolink"))
        elif m.group("tag") is not None:
            if m.group("tag_name").lower() not in _INLINE_TAGS:
                self._pending_space = True
        elif m.group("entity") is not None:
            decoded = html.unescape(m.group("entity"))
            if decoded.isspace() or decoded == "\xa0":
                self._pending_space = True
            else:
                self._emit(decoded, m.start(), m.end(), merge=True)
        elif m.group("escape") is not None:
            self._emit(m.group("escaped"), m.start(), m.end(), merge=True)
        elif kind in {"image", "comment", "jsx", "liquid", "rawtag"}:
            self._pending_space = True
        # emphasis markers vanish without separating words

    def _plain(self, text: str, lo: int, hi: int) -> None:
        for m in re.finditer(r"\S+|\s+", text[lo:hi]):
            if m.group().isspace():
                self._pending_space = True
            else:
                self._emit(m.group(), lo + m.start(), lo + m.end(), merge=True)

    def _emit(self, word: str, lo: int, hi: int, *, merge: bool) -> None:
        start, end = self._to_file(lo), self._to_file(hi - 1) + 1
        space = self._pending_space
        self._pending_space = False
        if merge and self._pieces and not space:
            # Glue to the previous piece ("**bold**," -> "bold,"): fewer, whole words.
            prev = self._pieces[-1]
            self._pieces[-1] = Piece(prev.text + word, prev.start, max(prev.end, end), prev.space)
            return
        self._pieces.append(Piece(word, start, end, space))

    def _to_file(self, pos: int) -> int:
        # Binary search over line starts; lines are few per block.
        lo, hi = 0, len(self._offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._offsets[mid][0] <= pos:
                lo = mid
            else:
                hi = mid - 1
        joined_at, file_at = self._offsets[lo]
        return file_at + (pos - joined_at)


def _join_lines(lines: list[tuple[str, int]]) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    for i, (line, file_offset) in enumerate(lines):
        if i:
            parts.append("\n")
            pos += 1
        offsets.append((pos, file_offset))
        parts.append(line)
        pos += len(line)
    return "".join(parts), offsets or [(0, 0)]


def clean_inline(lines: list[tuple[str, int]]) -> list[Piece]:
    """Clean one block's lines; see :class:`InlineCleaner`."""
    return InlineCleaner().clean(lines)
