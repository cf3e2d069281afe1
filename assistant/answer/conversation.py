"""The conversation as text: its turns, and the queries a follow-up is read as.

A history comes from the web chat (Gradio messages), Discord (strings) or an API client
({"role", "content"} dicts); :func:`turn` reads each. A follow-up is retrieved read with
the turns it takes its topic from (:func:`with_context`) and with the conversation as it
was said (:func:`joined`); ``followup.py`` decides when a question is a follow-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.answer.pointers import (
    names_no_subject,
    own_pointers,
    points_back,
    points_back_strongly,
    says_little,
)

# How many earlier user turns back the topic is looked for (``followup.same_topic``),
# and how many a chain of follow-ups brings before the previous one (:func:`with_context`).
TOPIC_TURNS = 3


def turn(item: Any) -> tuple[str, Any]:
    """(role, content) of one history item: a string (a user turn), a {"role", "content"}
    message (role "user" when missing), or a LangChain message ("human" read as "user")."""
    if isinstance(item, str):
        return "user", item
    if isinstance(item, dict):
        return str(item.get("role", "user")), item.get("content")
    role = getattr(item, "type", getattr(item, "role", ""))
    return ("user" if role == "human" else str(role)), getattr(item, "content", None)


def user_turns(history: Sequence[Any]) -> list[str]:
    """Earlier user questions from a history of strings or {"role", "content"} messages."""
    turns = [content for role, content in map(turn, history) if role == "user"]
    return [t for t in turns if isinstance(t, str) and t.strip()]


def with_context(question: str, history: Sequence[Any]) -> str:
    """The deterministic standalone query: the question, then the previous user turn,
    and the turns before it that the previous one pointed back at.

    The question comes first so its own words lead the embedding, and the previous
    turn supplies the topic a follow-up points back at. On dev-tune's follow-ups this
    ranked the right essay first 12 times out of 12, against 11 for history and
    question naively joined and 8 for the earlier blend of topic words.

    In a chain of follow-ups ("How do I get paid for open source?", "What if my company
    doesn't use the project?", "And if my boss still isn't into it?") the previous turn
    holds no topic of its own: while a turn leans back (:func:`leans_back`), the one
    before it comes too, up to ``TOPIC_TURNS`` turns before the previous one. On
    followup-tune's eleven such chains the right essay came first 9 times, against 8
    with the previous turn alone (10 naively joined), key points 0.33 → 0.45. Following
    any pointer word ("it", "this year") did better there (10, evidence recall@5 0.68 →
    0.86) but brought unrelated turns along ("Is it worth doing a PhD?").
    """
    turns = user_turns(history)
    if not turns:
        return question
    return " ".join([question, *topic_turns(turns)])


def joined(question: str, history: Sequence[Any]) -> str:
    """The conversation as it was said: the earlier user turns in reach (``TOPIC_TURNS``
    before the previous one) and the question, oldest first. A follow-up said as one is
    retrieved this way too, beside :func:`with_context`, and the two fused: each finds the
    right essay first where the other does not (see
    :func:`~assistant.search.fusion.fuse_readings`).

    Every turn in reach, not only the topic turns :func:`with_context` follows: on
    followup-tune, "Besides money, what else can I push for?" after "What does BATNA
    mean?" and "What are the main rules for negotiating a job offer?" needed the first
    turn too (right essay first 58 of 64 against 56). An older turn on another subject
    comes along as well ("What if they say no?" after a turn on licenses and one on
    salary brought a passage on licenses)."""
    return " ".join([*user_turns(history)[-TOPIC_TURNS - 1 :], question])


def topic_turns(turns: Sequence[str]) -> list[str]:
    """The turns a follow-up takes its topic from (see :func:`with_context`): the
    previous user turn, and while a turn leans back, the one before it, latest first."""
    context = [turns[-1]]
    for earlier in reversed(turns[-TOPIC_TURNS - 1 : -1]):
        if not leans_back(context[-1]):
            break
        context.append(earlier)
    return context


def leans_back(text: str) -> bool:
    """A turn that meant something only after the one before it: it points back for
    sure ("What if…", "And…", "those"), or by a weaker pointer ("it", "that") with
    next to nothing of its own ("Is that normal?", "Is it worth it?"). "Is it worth
    doing a PhD?" and "Is it rude to ask about work-life balance…?" point back by their
    "it" alone, and are questions of their own. A turn with no subject at all ("Any
    tips?") leans back too."""
    pointers = own_pointers(text)
    return (
        points_back_strongly(pointers)
        or (points_back(pointers) and says_little(text))
        or names_no_subject(text)  # "Any tips?": tips on the turn before it
    )
