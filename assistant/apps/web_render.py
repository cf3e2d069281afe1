"""HTML for the web chat: answers with clickable citation markers and Read more, the
sources panel, and the Markdown export (the essay viewer is
:mod:`assistant.apps.essay_render`). Everything from an essay or a user is
escaped before any markup of ours is added, so a ``<script>`` in either is just text.

Escaping HTML is not enough where the text is read as Markdown too (the chat renders
its messages as Markdown; the export is Markdown): ``![x](http://…)`` would become an
image the browser fetches, a tracking pixel for whoever wrote the essay or the
question. There the Markdown punctuation is escaped as well, so links and images stay
the text they were and no remote resource is ever rendered from content.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from assistant.domain import Answer, Chunk, Citation

_MARKER = re.compile(r"\[(\d{1,3})\]")
# HTML's specials and Markdown's inline punctuation as character references, in one
# pass: CommonMark (and the chat's renderer) reads a reference as literal text, never
# as syntax.
_CHAT_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]()!#|~$:&<>\"'"})
# In the Markdown export the same characters get a backslash, CommonMark's own escape,
# which keeps the file readable as plain text; HTML's specials become references.
_MD_BACKSLASH = str.maketrans(
    {**{c: "\\" + c for c in "\\`*_[]!#|~"}, "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)
# How a line opens a list or a rule once #, >, *, ` and ~ are escaped: "-", "+", "1."
_BLOCK_START = re.compile(r"^([-+])|^(\d+)([.)])")


def chat_text(text: str) -> str:
    """Text for a chat message, which is rendered as Markdown: HTML-escaped, and no
    Markdown syntax left in it (no link, image, emphasis or math)."""
    return text.translate(_CHAT_ENTITIES)


def answer_html(answer: Answer, turn: int) -> str:
    """The answer as chat HTML: escaped text, ``[n]`` as superscript links."""
    if answer.refused:
        text = chat_text(answer.text)
        return f'<div class="ca-refusal"><strong>Not covered by the essays.</strong> {text}</div>'
    pieces = _MARKER.split(answer.text)  # text, n, text, n, ..., text
    body = "".join(
        chat_text(piece)
        if i % 2 == 0
        else (
            f'<sup class="ca-cite"><a href="#ca-src-{turn}-{piece}" '
            f'data-ref="{turn}:{piece}">[{piece}]</a></sup>'
        )
        for i, piece in enumerate(pieces)
    )
    notes = "".join(f'<div class="ca-note">{chat_text(n)}</div>' for n in answer.notes)
    return f'<div class="ca-answer">{body}</div>{read_more_html(answer, turn)}{notes}'


def read_more_html(answer: Answer, turn: int) -> str:
    """ "Read more" under an answer. A click opens the section in the viewer beside the
    chat (the page's script reads ``#ca-more-TURN-I``); a middle or ctrl click opens the
    passage link (the ``?source=&start=&end=`` a Discord embed carries too) in a new tab."""
    if not answer.read_more:
        return ""
    items = []
    for i, r in enumerate(answer.read_more, 1):
        query = urlencode({"source": r.source, "start": r.start, "end": r.end}, quote_via=quote)
        where = f" — {chat_text(r.heading)}" if r.heading else ""
        items.append(
            f'<li><a href="?{html.escape(query)}#ca-more-{turn}-{i}" target="_blank" '
            f'rel="noopener noreferrer">{chat_text(r.title)}{where}</a> '
            f'<span class="ca-why">{chat_text(r.why)}</span></li>'
        )
    return f'<div class="ca-more"><strong>Read more</strong><ul>{"".join(items)}</ul></div>'


def partial_html(text: str) -> str:
    """Streaming text so far (already verified), markers plain until the answer is final."""
    return f'<div class="ca-answer">{chat_text(text)}</div>'


def error_html(message: str) -> str:
    return f'<div class="ca-error">Sorry, something went wrong: {chat_text(message)}</div>'


def notice_html(message: str) -> str:
    """A message about the user's own input (not a failure of the app)."""
    return f'<div class="ca-error">{chat_text(message)}</div>'


def sources_html(answer: Answer | None, turn: int, chunks: dict[str, Chunk]) -> str:
    if answer is None:
        return '<div class="ca-sources-empty">Sources of the answer appear here.</div>'
    if not answer.citations:
        return '<div class="ca-sources-empty">No sources: the essays don\'t cover this.</div>'
    items = [_source_item(c, turn, chunks.get(c.chunk_id)) for c in answer.citations]
    return f'<div class="ca-sources"><h3>Sources</h3>{"".join(items)}</div>'


def _source_item(c: Citation, turn: int, chunk: Chunk | None) -> str:
    where = f" — {html.escape(c.heading)}" if c.heading else ""
    paragraph = highlight_quote(chunk.text if chunk else c.quote, c.all_quotes)
    return (
        f'<div class="ca-source" id="ca-src-{turn}-{c.n}">'
        f'<div class="ca-source-title"><span class="ca-n">[{c.n}]</span> '
        f"<strong>{html.escape(c.title)}</strong>{where}</div>"
        f'<div class="ca-passage">{paragraph}</div>'
        f'<a href="#" class="ca-open" data-ref="{turn}:{c.n}">Open the essay at this passage</a>'
        f'<div class="ca-path">{html.escape(c.source)}</div></div>'
    )


def highlight_quote(paragraph: str, quotes: str | Sequence[str]) -> str:
    """The paragraph, escaped, with every quote marked where it first occurs (a quote
    inside one already marked, or overlapping it, is not marked twice)."""
    spans: list[tuple[int, int]] = []
    for text in [quotes] if isinstance(quotes, str) else quotes:
        at = paragraph.find(text) if text else -1
        while at >= 0 and any(at < e and s < at + len(text) for s, e in spans):
            at = paragraph.find(text, at + 1)
        if at >= 0:
            spans.append((at, at + len(text)))
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(html.escape(paragraph[pos:start]).replace("\n", "<br>"))
        out.append(f"<mark>{html.escape(paragraph[start:end])}</mark>")
        pos = end
    out.append(html.escape(paragraph[pos:]).replace("\n", "<br>"))
    return "".join(out)


def viewer_message(text: str) -> str:
    return f'<div class="ca-viewer ca-sources-empty">{html.escape(text)}</div>'


def md_inline(text: Any) -> str:
    """User or essay text on one line of the Markdown export, shown as the text it is:
    whitespace runs are one space (a newline could open a block), HTML is escaped, and
    Markdown punctuation gets CommonMark's backslash, so ``<script>``, ``[x](javascript:…)``
    and ``![x](http://…)`` are all plain text when the file is rendered."""
    return " ".join(str(text).split()).translate(_MD_BACKSLASH)


def md_answer(text: Any) -> list[str]:
    """An answer as escaped paragraphs, none of which opens a block. Its ``[n]`` markers
    stay as they are: with every ``[`` of the text escaped, no reference definition can
    exist in the file, so a bare ``[n]`` is never a link."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", str(text)):
        pieces = _MARKER.split(" ".join(paragraph.split()))
        escaped = "".join(
            x.translate(_MD_BACKSLASH) if i % 2 == 0 else f"[{x}]" for i, x in enumerate(pieces)
        )
        if escaped.strip():
            paragraphs.append(_no_block(escaped))
    return paragraphs


def _no_block(line: str) -> str:
    """``line`` (escaped, one line) with a list marker at its start escaped too."""
    return _BLOCK_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else f"{m.group(2)}\\{m.group(3)}", line
    )


def export_markdown(turns: Sequence[dict[str, Any]]) -> str:
    """The conversation as Markdown, each answer followed by its sources and quotes.
    Every piece of user and essay text goes through :func:`md_inline`."""
    lines = ["# Career assistant conversation", ""]
    for i, turn in enumerate(turns, 1):
        answer = turn["answer"]
        lines += [f"## {i}. {md_inline(turn['question'])}", ""]
        for paragraph in md_answer(answer["text"]):
            lines += [paragraph, ""]
        if answer["citations"]:
            lines.append("Sources:")
            lines.append("")
            for c in answer["citations"]:
                heading = f" — {md_inline(c['heading'])}" if c["heading"] else ""
                lines.append(
                    f"[{int(c['n'])}] {md_inline(c['title'])}{heading} "
                    f"({md_inline(c['source'])}, chars {int(c['start'])}-{int(c['end'])})"
                )
                quoted = c.get("quotes")
                for k, text in enumerate(quoted if isinstance(quoted, list) else [c["quote"]]):
                    lines += [">"] if k else []  # each quote its own paragraph
                    lines.append(f"> {_no_block(md_inline(text))}")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, symlinks followed) lies under ``root`` or is it."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.resolve() == root.resolve()
    return True
