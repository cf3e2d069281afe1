"""HTML for the web chat: answers with clickable citation markers, the sources panel,
the essay viewer, and the Markdown export. Everything from an essay or a user is
escaped before any markup of ours is added, so a ``<script>`` in either is just text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.domain import Answer, Chunk, Citation

_MARKER = re.compile(r"\[(\d{1,3})\]")
# Beyond this, an essay is shown cut around the passage: a browser tab is no file viewer.
VIEWER_MAX_CHARS = 400_000


def answer_html(answer: Answer, turn: int) -> str:
    """The answer as chat HTML: escaped text, ``[n]`` as superscript links."""
    text = html.escape(answer.text)
    if answer.refused:
        return f'<div class="ca-refusal"><strong>Not covered by the essays.</strong> {text}</div>'
    body = _MARKER.sub(
        lambda m: (
            f'<sup class="ca-cite"><a href="#ca-src-{turn}-{m.group(1)}" '
            f'data-ref="{turn}:{m.group(1)}">[{m.group(1)}]</a></sup>'
        ),
        text,
    )
    notes = "".join(f'<div class="ca-note">{html.escape(n)}</div>' for n in answer.notes)
    return f'<div class="ca-answer">{body}</div>{notes}'


def partial_html(text: str) -> str:
    """Streaming text so far (already verified), markers plain until the answer is final."""
    return f'<div class="ca-answer">{html.escape(text)}</div>'


def error_html(message: str) -> str:
    return f'<div class="ca-error">Sorry, something went wrong: {html.escape(message)}</div>'


def sources_html(answer: Answer | None, turn: int, chunks: dict[str, Chunk]) -> str:
    if answer is None:
        return '<div class="ca-sources-empty">Sources of the answer appear here.</div>'
    if not answer.citations:
        return '<div class="ca-sources-empty">No sources: the essays don\'t cover this.</div>'
    items = [_source_item(c, turn, chunks.get(c.chunk_id)) for c in answer.citations]
    return f'<div class="ca-sources"><h3>Sources</h3>{"".join(items)}</div>'


def _source_item(c: Citation, turn: int, chunk: Chunk | None) -> str:
    where = f" — {html.escape(c.heading)}" if c.heading else ""
    paragraph = highlight_quote(chunk.text if chunk else c.quote, c.quote)
    return (
        f'<div class="ca-source" id="ca-src-{turn}-{c.n}">'
        f'<div class="ca-source-title"><span class="ca-n">[{c.n}]</span> '
        f"<strong>{html.escape(c.title)}</strong>{where}</div>"
        f'<div class="ca-passage">{paragraph}</div>'
        f'<a href="#" class="ca-open" data-ref="{turn}:{c.n}">Open the essay at this passage</a>'
        f'<div class="ca-path">{html.escape(c.source)}</div></div>'
    )


def highlight_quote(paragraph: str, quote: str) -> str:
    """The paragraph, escaped, with the quote marked where it occurs."""
    at = paragraph.find(quote)
    if at < 0:
        return html.escape(paragraph).replace("\n", "<br>")
    before, after = paragraph[:at], paragraph[at + len(quote) :]
    return (
        html.escape(before).replace("\n", "<br>")
        + f"<mark>{html.escape(quote)}</mark>"
        + html.escape(after).replace("\n", "<br>")
    )


def essay_html(title: str, source: str, raw: str, start: int, end: int) -> str:
    """The whole essay file, escaped, with ``raw[start:end]`` highlighted (id ca-hl)."""
    start = max(0, min(start, len(raw)))
    end = max(start, min(end, len(raw)))
    lo, hi = 0, len(raw)
    if len(raw) > VIEWER_MAX_CHARS:
        lo = max(0, start - VIEWER_MAX_CHARS // 2)
        hi = min(len(raw), lo + VIEWER_MAX_CHARS)
    body = (
        html.escape(raw[lo:start])
        + f'<mark id="ca-hl">{html.escape(raw[start:end])}</mark>'
        + html.escape(raw[end:hi])
    )
    return (
        f'<div class="ca-viewer"><div class="ca-viewer-title">{html.escape(title)} '
        f'<span class="ca-path">{html.escape(source)}</span></div>'
        f'<pre class="ca-essay">{body}</pre></div>'
    )


def viewer_message(text: str) -> str:
    return f'<div class="ca-viewer ca-sources-empty">{html.escape(text)}</div>'


def export_markdown(turns: Sequence[dict[str, Any]]) -> str:
    """The conversation as Markdown, each answer followed by its sources and quotes."""
    lines = ["# Career assistant conversation", ""]
    for i, turn in enumerate(turns, 1):
        answer = turn["answer"]
        lines += [f"## {i}. {turn['question']}", "", answer["text"], ""]
        if answer["citations"]:
            lines.append("Sources:")
            lines.append("")
            for c in answer["citations"]:
                heading = f" — {c['heading']}" if c["heading"] else ""
                lines.append(
                    f"[{c['n']}] {c['title']}{heading} ({c['source']}, "
                    f"chars {c['start']}-{c['end']})"
                )
                lines.append(f"> {c['quote']}")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, symlinks followed) lies under ``root`` or is it."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.resolve() == root.resolve()
    return True
