"""`career-assistant ask` and `career-assistant chat`: thin terminal front ends."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from assistant.answer import Assistant
from assistant.apps.inputs import (
    MAX_HISTORY_CHARS,
    MAX_HISTORY_TURNS,
    check_text,
    history_of,
    lenient_stdin,
    loads_json,
)
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.evaluation import QuestionLog


def load_history(path: str | None) -> list[str | dict[str, str]]:
    """Earlier turns from a JSON file: strings or {"role", "content"} messages, read by
    the same rules and caps as the HTTP API's history (user turns, and the last answer)."""
    if not path:
        return []
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise AssistantError(f"History file {path} does not exist.") from exc
    except OSError as exc:
        raise AssistantError(f"History file {path} can't be read: {exc.strerror}.") from exc
    what = f"History file {path}"
    history = history_of(loads_json(raw, what), what)
    if history.turns_dropped or history.chars_dropped:
        print(
            f"note: only the last {MAX_HISTORY_TURNS} user turns and {MAX_HISTORY_CHARS:,} "
            f"characters of {path} are read",
            file=sys.stderr,
        )
    return history.messages()


def format_answer(answer: Answer, *, with_text: bool = True) -> str:
    lines = [textwrap.fill(answer.text, width=100)] if with_text else []
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            where = f" — {c.heading}" if c.heading else ""
            lines.append(f"  [{c.n}] {c.title}{where} ({c.source}, chars {c.start}-{c.end})")
            lines.append(
                textwrap.fill(
                    f"“{c.quote}”", width=100, initial_indent="      ", subsequent_indent="      "
                )
            )
    if answer.read_more:
        lines += ["", "Read more:"]
        for r in answer.read_more:
            where = f" — {r.heading}" if r.heading else ""
            lines.append(f"  {r.title}{where} ({r.source}, chars {r.start}-{r.end})")
            lines.append(f"      {r.why}")
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def ask_command(settings: Settings, args: argparse.Namespace) -> int:
    # Bad input fails before the model loads.
    check_text(args.question, "The question", from_bytes=True)
    history = load_history(args.history_file)
    assistant = Assistant.from_settings(settings, warm=False)
    answer = assistant.ask(args.question, history, k=args.k)
    QuestionLog.from_settings(settings).record(args.question, answer, "cli")
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    assistant.close()
    return 0


def chat_command(settings: Settings, args: argparse.Namespace) -> int:
    lenient_stdin()
    assistant = Assistant.from_settings(settings)
    questions = QuestionLog.from_settings(settings)
    history: list[str] = []
    last: Answer | None = None
    print(
        "Ask a career question. /sources shows the last sources, /reset starts over, "
        "an empty line or Ctrl-D quits.",
        file=sys.stderr,
    )
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            break
        if not line:
            break
        if line == "/reset":
            history, last = [], None
            print("(new conversation)")
            continue
        if line == "/sources":
            print(format_answer(last, with_text=False) if last else "(no answer yet)")
            continue
        try:
            check_text(line, "The question", from_bytes=True)
            print("assistant> ", end="", flush=True)
            said = [{"role": "assistant", "content": last.text}] if last else []
            for piece in assistant.stream(line, [*history, *said], k=args.k):
                if isinstance(piece, Answer):
                    last = piece
                    questions.record(line, piece, "cli")
                else:
                    print(piece, end="", flush=True)
            print()
        except AssistantError as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            continue
        history.append(line)
    assistant.close()
    return 0
