"""Questions that ask for a quantity ("How long should my resume be?", "How many weeks
should I set aside…?", "How fast do I need to review…?") are answered by the sentence
that states it ("Use only 1 page for your resume", "3 months (11 hours a week…)",
"within 48 hours").

Sentence vectors barely notice a number: asked how long a resume should be, MiniLM
scored "Use only 1 page for your resume" 0.47, and its passage (a short list of do's
under "Less is more") ranked tenth. So retrieval adds a third ranking to fusion, the
candidates by their best sentence that states a quantity of the kind asked
(:func:`quantity_ranking`), and the extractive generator lifts such a sentence a little;
it still has to be relevant enough to be chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.search.lexical import STOPWORDS, stem

# A number, written as digits ("48", "0-2", "15+", "3.5") or as a word.
_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?\+?"
    r"|(?i:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|thirty|forty|fifty|sixty|ninety|hundred|a few|a couple of|several|half an?|a single"
    r"|single)\b)"
)
_TIME_UNITS = (
    r"(?:seconds|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|years?"
    r"|yrs?|semesters?|halves)"
)
_LENGTH_UNITS = r"(?:pages?|words?|lines?|sentences?|paragraphs?|bullet points?|bullets?)"
# "within 48 hours", "3 months", "1 page", "30 seconds", "a week", "every 6 months". Units
# in lower case only: "a Word/Google Docs file" names no length ("a second interview",
# singular, no duration).
_TIME = re.compile(rf"\b{_NUMBER}\s*(?:-\s*)?{_TIME_UNITS}\b(?!-)")
_LENGTH = re.compile(rf"\b{_NUMBER}\s*(?:-\s*)?{_LENGTH_UNITS}\b(?!-)")
# "semi-annual", "annually", "every quarter", "once a year": a frequency without a number.
_FREQUENCY = re.compile(
    r"\b(?:semi-?annual(?:ly)?|annual(?:ly)?|quarterly|monthly|weekly|daily|yearly"
    r"|bi-?weekly|every (?:other )?(?:year|quarter|month|week|day)"
    r"|once a (?:year|quarter|month|week))\b",
    re.I,
)
# A count: digits or a number word, then what it counts ("usually just 2 rounds", "five
# rules"); the words after it are matched against what the question counts.
_COUNT = re.compile(
    r"\b(?:\d+(?:\s*[-–]\s*\d+)?\+?|one|two|three|four|five|six|seven|eight|nine|ten|a few"
    r"|a couple of|several|a dozen|dozens of)\s+((?:[a-z][\w'-]*\s+){0,2}[a-z][\w'-]*)",
    re.I,
)
# An amount: a percentage, a sum of money, a multiple ("2x", "twice", "double").
_AMOUNT = re.compile(
    r"\d\s*%|\bpercent\b|[$€£]\s*\d|\b\d+(?:[.,]\d+)?\s*(?:k|m|x)\b|\bUSD\s*\d"
    r"|\b(?:twice|double|triple|half)\b",
    re.I,
)


_AUXILIARY = r"(?:does|do|did|would|will|should|can|could|is|are|was|were|has|have|had|it|i)"
_MONEY = (
    r"(?:pay|paid|earn|make|charge|cost|salary|raise|bonus|equity|stock|offer|negotiat"
    r"|ask for|compensat)"
)
# "How much (technical) detail / of a difference / weight…": a degree, not an amount.
_DEGREE = (
    r"(?:[a-z]+ ){0,2}(?:difference|detail|weight|effort|attention|emphasis|focus|impact"
    r"|influence|sense|thought|say|more|less|better|worse)\b"
)
# What a question asks to be measured, by its "how …" words. "How long" is a duration or
# a length ("How long should my resume be?"), so it takes the units of both.
_ASKS = (
    (re.compile(r"\bhow long\b(?!-)|\bhow much time\b", re.I), "duration"),
    (re.compile(r"\bhow (?:soon|fast|quickly|early|late|often|frequently)\b", re.I), "time"),
    # "How many weeks…", "How many years until…": a duration counted.
    (re.compile(rf"\bhow many {_TIME_UNITS}\b", re.I), "duration"),
    (re.compile(r"\bhow many\b|\bwhat number of\b", re.I), "count"),
    # "How much of a raise…", "How much equity…", "How much does Google pay…"; not a
    # degree: "How much would my scope need to grow?", "How much does it matter…?".
    (
        re.compile(
            rf"\bhow much (?!{_AUXILIARY}\b|{_DEGREE})|\bhow much {_AUXILIARY}\b.*\b{_MONEY}"
            r"|\bhow (?:big|large|high|low|far (?:above|below|over|under))\b(?! a deal)"
            r"|\bwhat (?:percentage|percent|share|fraction)\b",
            re.I,
        ),
        "amount",
    ),
)


# The word after "how" that names the measure ("long", "many", "fast").
_MEASURE = re.compile(
    r"(?<=\bhow )(?:long|many|much|soon|fast|quickly|early|late|often|frequently|big|large"
    r"|high|low|far)\b",
    re.I,
)


@dataclass(frozen=True)
class Asked:
    """The quantity a question asks for: its ``kind`` ("duration", "time", "count",
    "amount") and, for a count, the stems of what it counts ("rounds" in "How many
    interview rounds…?"), so that "Ten Rules for Negotiating" does not answer "How many
    questions should I ask?"."""

    kind: str
    counts: frozenset[str] = frozenset()


# What "how many" counts: the words after it, up to the verb ("interview rounds would…").
_COUNTED = re.compile(r"\b(?:how many|what number of)\s+((?:[a-z][\w'-]*\s*){1,3})", re.I)


def asked_quantity(question: str) -> Asked | None:
    """The quantity ``question`` asks for, or None. Only its first question counts: a
    query read with the conversation carries earlier turns after it ("What about fonts?
    How long should…")."""
    first = question.split("?", 1)[0]
    for pattern, kind in _ASKS:
        if pattern.search(first):
            counted = _COUNTED.search(first) if kind == "count" else None
            words = counted.group(1).split() if counted else []
            return Asked(
                kind, frozenset(stem(w.lower()) for w in words if w.lower() not in STOPWORDS)
            )
    return None


def measure_words(question: str) -> frozenset[str]:
    """The words of ``question`` that ask for its quantity ("long" in "How long should my
    resume be?"): they say what is measured, not the subject, and a sentence that shares
    them ("…your previous job was 3 years long…") is no closer to answering it."""
    first = question.split("?", 1)[0]
    return frozenset(m.lower() for m in _MEASURE.findall(first))


def states_quantity(text: str, asked: Asked) -> bool:
    """``text`` states a quantity of the kind ``asked``."""
    if asked.kind == "duration":
        return bool(_TIME.search(text) or _LENGTH.search(text))
    if asked.kind == "time":
        return bool(_TIME.search(text) or _FREQUENCY.search(text))
    if asked.kind == "count":
        return any(_counts(m.group(1), asked.counts) for m in _COUNT.finditer(text))
    return bool(_AMOUNT.search(text))  # an amount: money, a percentage, a multiple


def _counts(after: str, counted: frozenset[str]) -> bool:
    """The words after a number name what the question counts (any, when it names none)."""
    return not counted or any(stem(w.lower()) in counted for w in after.split())


def quantity_ranking(
    ids: Sequence[str],
    units_of: Callable[[str], tuple[np.ndarray, np.ndarray, Sequence[str]]],
    qvec: np.ndarray,
    asked: Asked,
) -> list[str]:
    """The passages ``ids`` that state the quantity ``asked``, best first by the cosine of
    their best unit that states it; ``units_of(id)`` gives a passage's unit vectors, which
    of its units say something (no table row: a cell states a number but is never quoted)
    and their texts."""
    best: dict[str, float] = {}
    for cid in ids:
        vecs, says, texts = units_of(cid)
        stating = [i for i, t in enumerate(texts) if says[i] and states_quantity(t, asked)]
        if stating:
            best[cid] = float((vecs[stating] @ qvec).max())
    return sorted(best, key=lambda cid: (-best[cid], cid))


def of_closest_essay(ranking: Sequence[str], source: Callable[[str], str | None]) -> list[str]:
    """The passages of ``ranking`` (best first) from the essay of its first: where a number
    may promote a passage, on the subject. Elsewhere it counts something else: asked how
    many projects a resume should list, the behavioral essay's "collect 3-5 projects"
    (a closer sentence than the resume essay's "Include at least 2 projects") had come
    in and led the answer. ``source(id)`` is a passage's essay, None when it is gone."""
    essay = source(ranking[0]) if ranking else None
    return [cid for cid in ranking if essay is not None and source(cid) == essay]
