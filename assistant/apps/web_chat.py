"""The web chat's event handlers: :class:`WebChat` and the feedback log.

Kept free of Gradio objects so tests can call them directly; the layout that wires
them to components is :mod:`assistant.apps.web`. The browser never names a file: a
citation is opened by its (turn, number) in the session's own state, and the file
behind it must lie inside the corpus root it was ingested from.
"""

from __future__ import annotations

import html
import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.answer import Assistant
from assistant.apps.web_render import (
    answer_html,
    error_html,
    essay_html,
    export_markdown,
    is_inside,
    partial_html,
    sources_html,
    viewer_message,
)
from assistant.config import Settings
from assistant.domain import Answer, Chunk
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

GENERATORS = ["extractive", "openai", "llamacpp"]


class FeedbackLog:
    """Thumbs up/down appended to a JSONL file, one line per vote, safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def chat_messages(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as Chatbot messages, from server-side state only: plain strings."""
    chat: list[dict[str, Any]] = []
    for turn in turns:
        chat.append({"role": "user", "content": html.escape(str(turn["question"]))})
        chat.append({"role": "assistant", "content": str(turn["html"])})
    return chat


def _clamp_k(value: Any, default: int) -> int:
    try:
        return min(max(int(value), 1), 10)
    except (TypeError, ValueError, OverflowError):
        return default


class WebChat:
    """Event handlers, kept free of Gradio objects where possible so tests can call them."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.feedback = FeedbackLog(settings.data_dir / "feedback.jsonl")
        self.export_dir = Path(tempfile.mkdtemp(prefix="career-assistant-export-"))

    def respond(
        self, message: str, turns: list[dict[str, Any]], generator: str, k: float
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: (textbox, chat, sources, turns, note, export path).

        The chat shown is rebuilt from ``turns``, the session's server-side state, and
        never from what the browser sends: a client-sent history could carry a file
        part that Gradio would copy from this machine and serve back.
        """
        turns = list(turns or [])
        chat = chat_messages(turns)
        question = message.strip() if isinstance(message, str) else ""
        if not question:
            yield "", chat, sources_html(None, 0, {}), turns, "", None
            return
        generator = generator if generator in GENERATORS else self.settings.generator
        k = _clamp_k(k, self.settings.k)
        chat += [
            {"role": "user", "content": html.escape(question)},
            {"role": "assistant", "content": partial_html("…")},
        ]
        history = [t["question"] for t in turns]
        sources = sources_html(None, 0, {})
        yield "", chat, sources, turns, "", None
        text = ""
        try:
            for item in self.assistant.stream(question, history, generator=generator, k=k):
                if isinstance(item, Answer):
                    yield self._final(question, item, chat, turns)
                    return
                text += item
                chat[-1] = {"role": "assistant", "content": partial_html(text)}
                yield "", chat, sources, turns, "", None
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": error_html(str(exc))}
            yield "", chat, sources, turns, "", None
        except Exception as exc:
            log.exception("answer failed")
            chat[-1] = {"role": "assistant", "content": error_html(type(exc).__name__)}
            yield "", chat, sources, turns, "", None

    def _final(
        self, question: str, answer: Answer, chat: list[dict[str, Any]], turns: list[dict[str, Any]]
    ) -> tuple[Any, ...]:
        turn = len(turns)
        reply = answer_html(answer, turn)
        chat[-1] = {"role": "assistant", "content": reply}
        turns.append(
            {
                "question": question,
                "answer": answer.to_json(),
                "html": reply,
                "generator": answer.generator,
                "notes": list(answer.notes),
                "history": [t["question"] for t in turns],
            }
        )
        ms = answer.timings.get("total_ms", 0.0)
        note = f"Answered by **{answer.generator}** in {ms:.0f} ms"
        if answer.refused:
            note += f" · not covered ({answer.reason})"
        sources = sources_html(answer, turn, self.assistant.retriever.chunks)
        return "", chat, sources, turns, note, self._export(turns)

    def _export(self, turns: list[dict[str, Any]]) -> str:
        # A random name: the access guard serves only files named like this.
        path = self.export_dir / f"conversation-{uuid.uuid4().hex}.md"
        path.write_text(export_markdown(turns), encoding="utf-8")
        return str(path)

    def open_source(self, ref: str, turns: list[dict[str, Any]]) -> str:
        """The essay behind citation ``ref`` ("turn:n") of this session, highlighted."""
        try:
            turn_i, n = (int(x) for x in str(ref).split(":", 1))
            if turn_i < 0 or n < 1:
                raise IndexError(ref)
            citation = turns[turn_i]["answer"]["citations"][n - 1]
        except (ValueError, IndexError, KeyError, TypeError):
            return viewer_message("That source is not part of this conversation.")
        chunk = self.assistant.retriever.chunks.get(str(citation.get("chunk_id", "")))
        if chunk is None:
            return viewer_message("That passage is no longer in the index; ingest again.")
        return self._essay_view(chunk, int(citation["start"]), int(citation["end"]))

    def _essay_view(self, chunk: Chunk, start: int, end: int) -> str:
        """The essay file of ``chunk``, highlighted; only if it lies inside its corpus root."""
        path, root = Path(chunk.path), Path(chunk.root or chunk.path)
        if not is_inside(path, root):
            log.warning("refused to open %s: outside its corpus root %s", path, root)
            return viewer_message("That file is outside the indexed corpus.")
        try:
            raw = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return viewer_message(f"{chunk.source} can no longer be read; ingest again.")
        return essay_html(chunk.title, chunk.source, raw, start, end)

    def open_link(self, source: str, start: str, end: str) -> str | None:
        """A passage link (``?source=…&start=…&end=…``, as Discord embeds carry): only an
        indexed essay's own name is accepted, never a path."""
        if not source:
            return None
        chunk = next(
            (c for c in self.assistant.retriever.chunks.values() if c.source == source), None
        )
        if chunk is None:
            return viewer_message("That essay is not in the index.")
        try:
            lo, hi = int(start), int(end)
        except ValueError:
            lo, hi = chunk.start, chunk.end
        return self._essay_view(chunk, lo, hi)

    def like(self, turns: list[dict[str, Any]], comment: str, index: Any, liked: Any) -> str:
        position = index[0] if isinstance(index, list | tuple) else index
        try:
            turn = turns[int(position) // 2]
        except (ValueError, IndexError, TypeError):
            return "Could not record that vote."
        vote = liked if isinstance(liked, bool) else str(liked).lower() in {"like", "true"}
        self.feedback.append(
            {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "question": turn["question"],
                "history": turn["history"],
                "answer": turn["answer"]["text"],
                "citations": turn["answer"]["citations"],
                "generator": turn["generator"],
                "liked": vote,
                "comment": (comment or "").strip(),
            }
        )
        return "Thanks, your feedback was saved." if vote else "Thanks, noted what went wrong."
