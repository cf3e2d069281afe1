"""The web chat's event handlers: :class:`WebChat` and the feedback log.

Kept free of Gradio objects so tests can call them directly; the layout that wires
them to components is :mod:`assistant.apps.web`. The browser never names a file: a
citation is opened by its (turn, number) in the session's own state, and the file
behind it must lie inside the corpus root it was ingested from.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.answer import Assistant
from assistant.apps.essay_render import essay_html
from assistant.apps.inputs import InputError, check_text
from assistant.apps.web_render import (
    answer_html,
    chat_text,
    error_html,
    export_markdown,
    is_inside,
    notice_html,
    partial_html,
    sources_html,
    viewer_message,
)
from assistant.config import GENERATORS, Settings
from assistant.domain import Answer, Chunk, path_on_disk
from assistant.errors import AssistantError
from assistant.evaluation import (
    FEEDBACK_FILE,
    QuestionLog,
    append_line,
    log_bytes,
)

log = logging.getLogger(__name__)

# Bounds on what a long-running server keeps (they could become settings). An export is
# a download link, not an archive: the newest EXPORT_KEEP live for EXPORT_MAX_AGE_S.
EXPORT_KEEP = 100
EXPORT_MAX_AGE_S = 3600.0
EXPORT_GLOB = "conversation-*.md"
# A session's turns live in server memory; past this many it is asked to start over.
MAX_TURNS = 50
# A refused question is shown back in the chat clipped to this many characters.
SHOWN_REFUSED_CHARS = 300
_SURROGATE = re.compile("[\ud800-\udfff]")


class FeedbackLog:
    """Thumbs up/down appended to a JSONL file, one line per vote, each carrying the
    answer's id (the question log's), safe across threads and processes."""

    def __init__(self, path: Path, max_bytes: int = 0) -> None:
        self.path = path
        self.max_bytes = max_bytes  # past it, the file is rotated like the question log

    def append(self, record: dict[str, Any]) -> None:
        append_line(self.path, record, self.max_bytes)


def chat_messages(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as Chatbot messages, from server-side state only: plain strings."""
    chat: list[dict[str, Any]] = []
    for turn in turns:
        chat.append({"role": "user", "content": chat_text(str(turn["question"]))})
        chat.append({"role": "assistant", "content": str(turn["html"])})
    return chat


def prune_exports(
    folder: Path,
    keep: int = EXPORT_KEEP,
    max_age: float = EXPORT_MAX_AGE_S,
    now: float | None = None,
) -> int:
    """Delete exports older than ``max_age`` seconds and all but the newest ``keep``;
    returns how many went. Only files named like an export are touched."""
    now = time.time() if now is None else now
    dated: list[tuple[float, Path]] = []
    for path in folder.glob(EXPORT_GLOB):
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue  # deleted meanwhile by another thread's prune
    dated.sort(reverse=True)
    doomed = [p for i, (mtime, p) in enumerate(dated) if i >= keep or now - mtime > max_age]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


def refused_text(question: str, max_chars: int) -> str | None:
    """Why the HTTP API would refuse ``question`` (the rules of apps/inputs), or None.
    The chat says the same, up front: deeper in, a lone surrogate breaks the tokenizer
    and the answer would end as "something went wrong"."""
    if len(question) > max_chars:
        return f"The question is longer than {max_chars} characters: shorten it."
    try:
        check_text(question, "The question")
    except InputError as exc:
        return str(exc)
    return None


def printable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so it can be shown."""
    return _SURROGATE.sub("\ufffd", text)


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
        self.feedback = FeedbackLog(settings.data_dir / FEEDBACK_FILE, log_bytes(settings))
        self.questions = QuestionLog.from_settings(settings)
        self.export_dir = Path(tempfile.mkdtemp(prefix="career-assistant-export-"))
        # The folder goes when the server stops (see close) or, in process, with this object.
        self._remove_exports = weakref.finalize(
            self, shutil.rmtree, self.export_dir, ignore_errors=True
        )

    def close(self) -> None:
        """Delete the exports folder: the server is stopping. uvicorn ends the process by
        re-raising the stop signal, so atexit hooks can't be relied on for this."""
        self._remove_exports()

    def respond(
        self, message: str, turns: list[dict[str, Any]], generator: str, k: float
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: (textbox, chat, sources, turns, note). Writes no file.

        The chat shown is rebuilt from ``turns``, the session's server-side state, and
        never from what the browser sends: a client-sent history could carry a file
        part that Gradio would copy from this machine and serve back.
        """
        turns = list(turns or [])
        chat = chat_messages(turns)
        question = message.strip() if isinstance(message, str) else ""
        if not question:
            yield "", chat, sources_html(None, 0, {}), turns, ""
            return
        refused = self._refused(message, question, chat, turns)
        if refused is not None:
            yield refused
            return
        if len(turns) >= MAX_TURNS:
            note = f"This conversation has {MAX_TURNS} questions: press **New chat** to go on."
            yield message, chat, sources_html(None, 0, {}), turns, note
            return
        generator = generator if generator in GENERATORS else self.settings.generator
        k = _clamp_k(k, self.settings.k)
        chat += [
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": partial_html("…")},
        ]
        # The last answer too, from the session's own state: what not to say again.
        history: list[str | dict[str, str]] = [t["question"] for t in turns]
        if turns:
            history.append({"role": "assistant", "content": turns[-1]["answer"]["text"]})
        sources = sources_html(None, 0, {})
        yield "", chat, sources, turns, ""
        text = ""
        try:
            for item in self.assistant.stream(question, history, generator=generator, k=k):
                if isinstance(item, Answer):
                    yield self._final(question, item, chat, turns)
                    return
                text += item
                chat[-1] = {"role": "assistant", "content": partial_html(text)}
                yield "", chat, sources, turns, ""
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": error_html(str(exc))}
            yield "", chat, sources, turns, ""
        except Exception as exc:
            log.exception("answer failed")
            chat[-1] = {"role": "assistant", "content": error_html(type(exc).__name__)}
            yield "", chat, sources, turns, ""

    def _refused(
        self, message: str, question: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]]
    ) -> tuple[Any, ...] | None:
        """The reply to text the HTTP API would refuse, shown in the chat but not kept in
        the conversation's state; None when the question is fine."""
        problem = refused_text(question, self.settings.max_question_chars)
        if problem is None:
            return None
        shown = printable(question)
        if len(shown) > SHOWN_REFUSED_CHARS:
            shown = shown[:SHOWN_REFUSED_CHARS] + "…"
        chat = [
            *chat,
            {"role": "user", "content": chat_text(shown)},
            {"role": "assistant", "content": notice_html(problem)},
        ]
        return printable(message), chat, sources_html(None, 0, {}), turns, ""

    def _final(
        self, question: str, answer: Answer, chat: list[dict[str, Any]], turns: list[dict[str, Any]]
    ) -> tuple[Any, ...]:
        turn = len(turns)
        reply = answer_html(answer, turn)
        chat[-1] = {"role": "assistant", "content": reply}
        turns.append(
            {
                "id": self.questions.record(question, answer, "web"),
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
        return "", chat, sources, turns, note

    def export(self, turns: list[dict[str, Any]]) -> str | None:
        """The conversation as a Markdown file, written only now that it was asked for;
        None when there is nothing to export. Older exports are pruned first."""
        if not turns:
            return None
        prune_exports(self.export_dir)
        # A random name: the access guard serves only files named like this.
        path = self.export_dir / f"conversation-{uuid.uuid4().hex}.md"
        path.write_text(export_markdown(turns), encoding="utf-8")
        return str(path)

    def open_source(self, ref: str, turns: list[dict[str, Any]]) -> str:
        """The essay behind citation ``ref`` ("turn:n") or Read-more item ("turn:more:i")
        of this session, with the passage highlighted."""
        parts, kind = str(ref).split(":"), "citations"
        if len(parts) == 3 and parts[1] == "more":
            parts, kind = [parts[0], parts[2]], "read_more"
        try:
            turn_i, n = (int(x) for x in parts)
            if turn_i < 0 or n < 1:
                raise IndexError(ref)
            citation = turns[turn_i]["answer"][kind][n - 1]
        except (ValueError, IndexError, KeyError, TypeError):
            return viewer_message("That source is not part of this conversation.")
        chunk = self.assistant.retriever.chunks.get(str(citation.get("chunk_id", "")))
        if chunk is None:
            return viewer_message("That passage is no longer in the index; ingest again.")
        return self._essay_view(chunk, int(citation["start"]), int(citation["end"]))

    def _essay_view(self, chunk: Chunk, start: int, end: int) -> str:
        """The essay file of ``chunk``, highlighted; only if it lies inside its corpus root."""
        path, root = Path(path_on_disk(chunk.path)), Path(chunk.root or chunk.path)
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
        record = {
            "answer_id": str(turn.get("id", "")),  # joins the vote to the question log
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "question": turn["question"],
            "history": turn["history"],
            "answer": turn["answer"]["text"],
            "citations": turn["answer"]["citations"],
            "generator": turn["generator"],
            "liked": vote,
            "comment": (comment or "").strip(),
        }
        try:
            self.feedback.append(record)
        except OSError as exc:
            log.warning("vote not recorded (%s): %s", self.feedback.path, exc.strerror or exc)
            return "Could not record that vote."
        return "Thanks, your feedback was saved." if vote else "Thanks, noted what went wrong."
