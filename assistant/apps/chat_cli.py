"""`career-assistant ask` and `career-assistant chat`: thin terminal front ends."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from assistant.answer import Assistant
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError


def load_history(path: str | None) -> list[Any]:
    """Earlier turns from a JSON file: strings or {"role", "content"} messages."""
    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssistantError(f"History file {path} does not exist.") from exc
    except (OSError, ValueError) as exc:
        raise AssistantError(f"History file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list) or not all(
        isinstance(t, str) or (isinstance(t, dict) and isinstance(t.get("content"), str))
        for t in data
    ):
        raise AssistantError(
            f'History file {path} must be a JSON list of strings or {{"role", "content"}} objects.'
        )
    return data


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
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def ask_command(settings: Settings, args: argparse.Namespace) -> int:
    history = load_history(args.history_file)  # bad input fails before the model loads
    assistant = Assistant.from_settings(settings, warm=False)
    answer = assistant.ask(args.question, history, k=args.k)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    assistant.close()
    return 0


def chat_command(settings: Settings, args: argparse.Namespace) -> int:
    assistant = Assistant.from_settings(settings)
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
            print("assistant> ", end="", flush=True)
            for piece in assistant.stream(line, history, k=args.k):
                if isinstance(piece, Answer):
                    last = piece
                else:
                    print(piece, end="", flush=True)
            print()
        except AssistantError as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            continue
        history.append(line)
    assistant.close()
    return 0
