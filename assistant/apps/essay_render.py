"""The essay viewer: an essay's Markdown rendered to HTML, with the cited passage marked.

An essay is untrusted: it is rendered by markdown-it-py with raw HTML off (so its own
HTML shows as text), only http(s) and mailto links survive (opening in a new tab with
``rel="noopener noreferrer"``), and an image is shown as its alt text and address,
never loaded. The cited passage is known by character offsets into the raw Markdown,
which rendered HTML has lost, so private-use sentinels are put at those offsets before
rendering and turned into ``<mark>`` elements after.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.ingest import body_start

# Beyond this, an essay is shown cut around the passage: a browser tab is no file viewer.
VIEWER_MAX_CHARS = 400_000
# The essay viewer: private-use characters mark the highlighted passage while its
# Markdown is rendered (an essay's own are replaced first); only these links survive.
_HL_OPEN, _HL_CLOSE = "\ue000", "\ue001"
_NO_SENTINELS = str.maketrans({_HL_OPEN: "\ufffd", _HL_CLOSE: "\ufffd"})
_NO_SENTINELS_AT_ALL = str.maketrans({_HL_OPEN: None, _HL_CLOSE: None})
_SENTINEL = re.compile(f"([{_HL_OPEN}{_HL_CLOSE}])")
_TAG = re.compile(r"(<[^>]*>)")  # rendered text has every < escaped: a < opens a tag
_MARK = '<mark class="ca-hl">'
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
# What opens a line before its text: indent, block quotes, a list marker, a heading's
# #s, a table's first pipe. A sentinel inside it would unmake the block.
_LINE_MARKUP = re.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$))?"
    r"(?:#{1,6}(?:[ \t]+|$))?\|?[ \t]*"
)
# Lines no text may join: fences, rules and setext underlines, table delimiter rows,
# link reference definitions.
# (A delimiter row is "a dash, among pipes, colons and blanks": the lookahead finds the
# dash, so the row costs linear time; `[|: -]*-[|: -]*$` was quadratic in a long line of
# dashes, and an essay is untrusted.)
_PURE_LINE = re.compile(
    r"[ \t]*(?:`{3,}|~{3,}|(?:[-=*_][ \t]*){3,}$|(?=[|: \t]*-)[|: \t-]*$|\[[^\]]+\]:)"
)
# Blocks marked whole when the passage can't be marked word by word.
_BLOCKS = frozenset({"paragraph_open", "heading_open", "fence", "code_block", "tr_open"})


def essay_html(title: str, source: str, raw: str, start: int, end: int) -> str:
    """The essay file rendered from its Markdown (no raw HTML, safe links, no images),
    with ``raw[start:end]`` highlighted: the first ``<mark>`` has id ``ca-hl``."""
    start = max(0, min(start, len(raw)))
    end = max(start, min(end, len(raw)))
    lo, hi, cut = 0, len(raw), ""
    if len(raw) > VIEWER_MAX_CHARS:
        lo = raw.rfind("\n", 0, max(0, start - VIEWER_MAX_CHARS // 2)) + 1
        hi = min(len(raw), lo + VIEWER_MAX_CHARS)
        cut = '<div class="ca-note">A long essay: shown around the passage only.</div>'
    text = raw[lo:hi].translate(_NO_SENTINELS)  # the essay's own U+E000/1 are not ours
    body = body_start(text) if lo == 0 else 0
    body_html = _highlighted(text[body:], start - lo - body, min(end, hi) - lo - body)
    return (
        f'<div class="ca-viewer"><div class="ca-viewer-title">{html.escape(title)} '
        f'<span class="ca-path">{html.escape(source)}</span></div>{cut}'
        f'<article class="ca-essay">{body_html}</article></div>'
    )


def _highlighted(text: str, start: int, end: int) -> str:
    """``text`` rendered with ``text[start:end]`` marked. Private-use sentinels go in
    at the two offsets (moved off lines they would break, such as a heading's ``#`` or a
    fence), and become ``<mark>`` elements in the HTML, closed and reopened around every
    tag so the marks nest whatever blocks the passage crosses. When a sentinel is lost
    (inside a link's URL, a reference definition), the blocks the passage covers are
    marked instead."""
    md = _markdown()
    start, end = max(0, start), min(end, len(text))
    if start >= end:
        return str(md.render(text))
    a, b = _open_at(text, start), _close_at(text, end)
    if a < b:
        marked = md.render(text[:a] + _HL_OPEN + text[a:b] + _HL_CLOSE + text[b:])
        at = marked.find(_HL_OPEN)
        if 0 <= at < marked.find(_HL_CLOSE, at):
            return _marks(marked)
    return str(md.renderer.render(_mark_blocks(md.parse(text), start, end, text), md.options, {}))


def _mark_blocks(tokens: list[Token], start: int, end: int, text: str) -> list[Token]:
    """``tokens`` with the blocks holding lines of ``text[start:end]`` marked (class
    ca-hl-block; the first also id ca-hl). A tight list hides its paragraphs, so there
    the list item carries the mark."""
    first, last = text.count("\n", 0, start), text.count("\n", 0, end - 1)
    marked = 0
    for i, token in enumerate(tokens):
        if token.type not in _BLOCKS or not token.map:
            continue
        if token.map[0] > last or token.map[1] <= first:
            continue
        target = tokens[i - 1] if token.hidden and i > 0 else token
        target.attrJoin("class", "ca-hl-block")
        if not marked:
            target.attrSet("id", "ca-hl")
        marked += 1
    return tokens


def _open_at(text: str, pos: int) -> int:
    """``pos``, or the first place at or after it where text may begin: past a line's
    block markup (indent, ``>``, list marker, ``#``), and off fence and rule lines."""
    while pos < len(text):
        line = text.rfind("\n", 0, pos) + 1
        eol = text.find("\n", line)
        eol = len(text) if eol < 0 else eol
        if _PURE_LINE.match(text, line, eol) or not text[line:eol].strip():
            pos = eol + 1
            continue
        markup = _LINE_MARKUP.match(text, line, eol)
        return max(pos, markup.end()) if markup else pos
    return len(text)


def _close_at(text: str, pos: int) -> int:
    """``pos``, or the last place at or before it where text may end: back from a line's
    block markup to the end of the line before, and off fence and rule lines."""
    while pos > 0:
        line = text.rfind("\n", 0, pos) + 1
        eol = text.find("\n", line)
        eol = len(text) if eol < 0 else eol
        markup = _LINE_MARKUP.match(text, line, eol)
        inside_markup = markup is not None and pos <= markup.end()
        if _PURE_LINE.match(text, line, eol) or inside_markup or not text[line:eol].strip():
            pos = line - 1  # before the newline that ends the line above
            continue
        return pos
    return 0


def _marks(rendered: str) -> str:
    """The rendered HTML with the sentinels as ``<mark class="ca-hl">`` elements: each
    closed before any tag and reopened at the next text, so they always nest. Only the
    first open-close pair counts; a sentinel inside a tag counts just outside it."""
    out: list[str] = []
    state = {"inside": False, "open": False, "done": False, "first": True}

    def event(sentinel: str) -> None:
        if state["done"]:
            return
        if sentinel == _HL_OPEN:
            state["inside"] = True
        elif state["inside"]:
            if state["open"]:
                out.append("</mark>")
            state.update(inside=False, open=False, done=True)

    for part in _TAG.split(rendered):
        if part.startswith("<"):
            if _HL_CLOSE in part:
                event(_HL_CLOSE)
            if state["open"]:
                out.append("</mark>")
                state["open"] = False
            out.append(part.replace(_HL_OPEN, "").replace(_HL_CLOSE, ""))
            if _HL_OPEN in part:
                event(_HL_OPEN)
            continue
        for piece in _SENTINEL.split(part):
            if piece in (_HL_OPEN, _HL_CLOSE):
                event(piece)
            elif piece:
                if state["inside"] and not state["open"] and piece.strip():
                    out.append('<mark id="ca-hl" class="ca-hl">' if state["first"] else _MARK)
                    state.update(open=True, first=False)
                out.append(piece)
    if state["open"]:
        out.append("</mark>")
    return "".join(out)


@functools.cache
def _markdown() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML off (an essay's tags show as
    text); links only to http(s) and mailto, opening in a new tab without a referrer;
    images shown as their alt text and address, never loaded."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    normalize = md.normalizeLink
    # A sentinel that fell inside a URL is dropped, not percent-encoded into the href.
    md.normalizeLink = lambda url: normalize(url.translate(_NO_SENTINELS_AT_ALL))  # type: ignore[method-assign]
    md.validateLink = lambda url: url.lower().startswith(_SAFE_SCHEMES)  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link)
    md.add_render_rule("image", _render_image)
    return md


def _render_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    return (
        f'<span class="ca-image">[image: {html.escape(alt)}]'
        f"{' ' + html.escape(src) if src else ''}</span>"
    )
