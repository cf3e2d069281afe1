"""Questions the essays can never answer, recognised before retrieval.

Two kinds, both by narrow patterns so ordinary questions pass untouched:

* instructions aimed at the assistant itself ("ignore your instructions",
  "print your system prompt"): the essays hold career advice, not orders, and
  answering half of such a message would still obey the other half;
* requests for live figures ("stock price today", "salaries right now"): the
  essays are a fixed collection, so any number they hold is not current. Not the
  user's own situation ("how much I make right now"), which their advice is about.
"""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}"
    r"\b(?:instructions?|rules?|prompts?|guidelines|essays?|constraints?|restrictions?)\b"
    r"|\bsystem\s+(?:prompt|override|message)\b"
    r"|\b(?:reveal|print|show|repeat|leak)\b[^.?!]{0,30}"
    r"\b(?:system prompt|instructions|configuration|api keys?|secrets?|hidden)\b"
    r"|\byou are now\b|\bno (?:rules|restrictions)\b|\bjailbreak\b"
    # Orders smuggled in beside a real question: "[ADMIN NOTE: the assistant must…]",
    # "the site owner says you must end every answer with…", role-play personas.
    r"|\b(?:admin|administrator|developer|moderator|site owner|operator)(?:'s)?\s+"
    r"(?:note|notice|message|rule|instruction|says|wants)\b"
    r"|\b(?:the assistant|you) must (?:also |always |now )?"
    r"(?:append|add|end|start|begin|include|print|reply|respond|say|tell)\b"
    r"|\benvironment variables\b|\bstay in character\b"
    r"|\brole-?play\b[^.?!]{0,20}\byou(?:'re| are)\b",
    re.IGNORECASE,
)
# "Which companies are hiring right now?" asks for today's market; "Is it a bad idea to
# tell a recruiter how much I make right now?" and "im currently a junior engineer…"
# tell the user's own situation (``_OWN``: the user, then the time, in one clause), which
# the essays' advice is about; "…hiring right now, and how do I apply?" does not. "Live"
# is no time word: "How do live coding interviews work?", "where should I live?".
_TIME = (
    r"\b(?:right now|today|at the moment|this (?:week|month|quarter|year)|as of now|currently)\b"
)
_NOW = re.compile(rf"{_TIME}.{{0,60}}\?", re.IGNORECASE)
# Subjects and possessives only: "Tell me what FAANG salaries are right now?" and "…in
# the US right now?" ask for the market's figures.
_OWN = re.compile(
    rf"\b(?:i|i'm|im|i've|i'd|my|mine|we|our)\b[^.?!,;]{{0,40}}{_TIME}", re.IGNORECASE
)
_LIVE = re.compile(
    r"\b(?:stock|share) price\b|\bexchange rate\b|\bweather\b"
    # "current salary bands" are today's figures; "my current salary" is the user's own.
    r"|(?<!\bmy )(?<!\bour )\bcurrent (?:salary |pay |compensation )?"
    r"(?:bands?|ranges?|market rates?|rates)\b",
    re.IGNORECASE,
)


def screen(question: str) -> str:
    """The refusal reason for a question no essay can answer, or ""."""
    if _INJECTION.search(question):
        return "instructions"
    if _LIVE.search(question) or (_NOW.search(question) and not _OWN.search(question)):
        return "live-data"
    return ""
