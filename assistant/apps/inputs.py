"""The rules for text a user or client hands in: a question, a history, a JSON document.

The CLI (``ask``, ``chat``, ``search``, ``--history-file``) and the HTTP API
(``apps/api.py``) must accept exactly the same text and history, so the rules live
in one module below both.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from assistant.answer import SAID_CHARS
from assistant.errors import AssistantError

# -- text a user or client hands in ----------------------------------------------------
# Module constants rather than settings: they bound hostile input, and no honest
# caller comes near them (they could become settings if one ever does).
MAX_JSON_DEPTH = 32  # an OpenAI request with content parts nests 5 deep
MAX_HISTORY_TURNS = 8  # earlier user turns read; the answer itself uses the last few
MAX_HISTORY_CHARS = 8_000  # ...and of those, the newest this many characters
CONTENT_RULE = 'a string or a list of {"type": "text", "text": "..."} parts'
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Outside strings, only brackets nest. A string is skipped whole, escapes included; an
# unterminated one runs to the end, so the pattern never fails once begun and the scan
# stays linear whatever the input (json.loads then rejects it).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class InputError(AssistantError):
    """Text or JSON a caller must fix; the message says what is accepted."""


@dataclass(frozen=True)
class History:
    """The earlier user turns that are read, and how much was left unread."""

    turns: tuple[str, ...]
    turns_dropped: int  # user turns older than the last MAX_HISTORY_TURNS
    chars_dropped: int  # characters cut from those to fit MAX_HISTORY_CHARS
    # The last assistant message (its newest SAID_CHARS): what the answer to this
    # question should not say again. It is never answered from, quoted or echoed.
    said: str = ""

    def messages(self) -> list[str | dict[str, str]]:
        """The turns as the assistant reads them: user turns, then the last answer."""
        said = [{"role": "assistant", "content": self.said}] if self.said else []
        return [*self.turns, *said]


def check_text(text: str, what: str, *, from_bytes: bool = False) -> str:
    """``text`` unchanged, or InputError when it holds a lone surrogate.

    A lone surrogate is not Unicode: the tokenizer, the JSON encoder and the terminal all
    fail on it. From the command line or stdin it is an undecodable byte (Python keeps
    it as U+DC80..U+DCFF), so the message names that byte.
    """
    bad = _SURROGATE.search(text)
    if bad is None:
        return text
    code, at = ord(bad.group()), bad.start() + 1
    if from_bytes and 0xDC80 <= code <= 0xDCFF:
        raise InputError(
            f"{what} is not valid UTF-8 (byte 0x{code - 0xDC00:02x} at character {at}): "
            "set the terminal to UTF-8 or retype it."
        )
    raise InputError(
        f"{what} holds a lone surrogate \\u{code:04x} at character {at}: send Unicode text "
        "(UTF-8, or \\u escapes only in valid surrogate pairs)."
    )


def loads_json(raw: bytes | str, what: str) -> Any:
    """Parse JSON whose nesting is checked first, so no parser recurses on hostile input."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not valid JSON: it is not UTF-8 ({exc}).") from exc
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    # accumulate/max run in C: a megabyte of brackets costs milliseconds, no recursion.
    if max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
        raise InputError(
            f"{what} is nested deeper than {MAX_JSON_DEPTH} levels; "
            "send a flat question and history."
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: a last line of defence
        raise InputError(f"{what} is not valid JSON: {exc}") from exc


def message_text(content: Any, where: str) -> str:
    """The text of a message's content: a string or a list of text parts (OpenAI's form)."""
    if isinstance(content, str):
        return check_text(content, where)
    if not isinstance(content, list):
        raise InputError(f"{where} must be {CONTENT_RULE}; got {_kind(content)}.")
    texts = []
    for n, part in enumerate(content):
        at = f"{where}[{n}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict) or kind != "text":
            got = _kind(part) if kind is None else f"a part of type {_kind(kind)}"
            raise InputError(f"{at} is {got}: content must be {CONTENT_RULE} (text only).")
        if not isinstance(part.get("text"), str):
            got = "missing" if "text" not in part else _kind(part["text"])
            raise InputError(f"{at}.text is {got}: content must be {CONTENT_RULE}.")
        texts.append(check_text(part["text"], f"{at}.text"))
    return "".join(texts)


def history_of(items: Any, where: str, *, role_required: bool = False) -> History:
    """Earlier turns (strings or {"role", "content"} messages), every one checked, then
    capped: only the last MAX_HISTORY_TURNS user turns and, of those, the newest
    MAX_HISTORY_CHARS characters are read. Of the other roles, only the last assistant
    message is read, for what the answer should not say again (``History.said``)."""
    if not isinstance(items, list):
        raise InputError(f'{where} must be a list of strings or {{"role", "content"}} objects.')
    turns: list[str] = []
    said = ""
    for n, item in enumerate(items):
        if isinstance(item, str):
            role, text = "user", check_text(item, f"{where}[{n}]")
        elif isinstance(item, dict):
            role, text = message_of(item, f"{where}[{n}]", role_required=role_required)
        else:
            raise InputError(
                f'{where}[{n}] must be a string or a {{"role", "content"}} object; '
                f"got {_kind(item)}."
            )
        if role == "user" and text.strip():
            turns.append(text)
            said = ""  # an answer before this turn answered an older question
        elif role == "assistant":
            said = text[-SAID_CHARS:]
    return replace(cap_history(turns), said=said)


def message_of(message: dict[str, Any], where: str, *, role_required: bool) -> tuple[str, str]:
    role = message.get("role", None if role_required else "user")
    if role not in ROLES:
        raise InputError(f"{where}.role must be one of {', '.join(ROLES)}; got {_kind(role)}.")
    return str(role), message_text(message.get("content"), f"{where}.content")


def cap_history(turns: Sequence[str]) -> History:
    recent = list(turns[-MAX_HISTORY_TURNS:])
    kept: list[str] = []
    budget, cut = MAX_HISTORY_CHARS, 0
    for turn in reversed(recent):  # newest first: it is the one a follow-up leans on
        if budget <= 0:
            cut += len(turn)
            continue
        kept.append(turn[-budget:])
        cut += max(0, len(turn) - budget)
        budget -= len(turn)
    return History(tuple(reversed(kept)), len(turns) - len(recent), cut)


def lenient_stdin() -> None:
    """Read undecodable stdin bytes as U+DCxx instead of raising mid-``input()``, so
    :func:`check_text` can name the byte and the session goes on."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


def _kind(value: Any) -> str:
    if isinstance(value, str):  # ASCII escapes: a surrogate here must not break the reply
        return json.dumps(value[:40])
    names = {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")
