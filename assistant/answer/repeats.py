"""What the previous answer of a conversation already said.

Asked "And what sort of work does a senior own?" after "What's expected of a junior
engineer?", the extractive answer drew on the same passages and gave the essay's list of
levels again: on the tune sets' follow-ups, 39% of a follow-up answer's sentences had
been in the answer just before. A follow-up's answer brings what is new first and
repeats only to fill (:class:`assistant.answer.extractive.ExtractiveGenerator`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant.answer.conversation import turn

# The previous answer is read up to this many characters (its newest end): more than any
# answer the assistant gives, and a bound on what a client may send as one.
SAID_CHARS = 20_000
# Shorter units ("Influence: Team") are too common to tell a repeat from a coincidence.
REPEAT_MIN_WORDS = 3

_TOKEN = re.compile(r"[a-z0-9]+")


def said_before(history: Sequence[Any]) -> str:
    """The answer to the last question in ``history`` ({"role": "assistant", …} or an AI
    message), or "" when the history ends with a question or holds no answer."""
    for role, content in map(turn, reversed(history)):
        if role in {"assistant", "ai"}:
            return content[-SAID_CHARS:] if isinstance(content, str) else ""
        if role in {"user", "human"}:
            return ""  # the last turn is a question: no answer came after it
    return ""


def already_said(said: str) -> Callable[[str], bool]:
    """A test of whether a unit's words appear, in order, in ``said``.

    An answer rewrites what it quotes (``[n]`` markers, "—" for a bold label's colon, a
    lowered first letter, an author's attribution before it), so words are compared,
    not characters."""
    if not said.strip():
        return lambda text: False
    words = f" {' '.join(_TOKEN.findall(said.lower()))} "

    def repeated(text: str) -> bool:
        mine = _TOKEN.findall(text.lower())
        return len(mine) >= REPEAT_MIN_WORDS and f" {' '.join(mine)} " in words

    return repeated
