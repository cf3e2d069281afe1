"""The term a question asks about, as the index knows it.

The chain judges a question's term while it retrieves (refuse it, or lead with the
passage that defines it), and the eval rebuilds the passages an answer was drafted from
to check its citations. Both read the term here, so they read it the same way.
"""

from __future__ import annotations

import re

from assistant.answer.coverage import (
    JARGON_IN,
    asked_for_itself,
    definition,
    is_jargon,
    term_usage,
    unwritten,
)
from assistant.answer.definitions import asked_term
from assistant.answer.followup import Reading, topic_of
from assistant.answer.match_strength import barely_matched
from assistant.answer.pointers import names_no_subject, points_back_strongly
from assistant.config import Settings
from assistant.domain import Chunk
from assistant.search import (
    PassageRetriever,
    Retrieved,
    TermUsage,
    asks_for_advice,
    weighs_options,
)

# A jargon term's passage among this many of the best found alone answers the question
# alone (see :meth:`TermReader.read_alone`).
LEADING = 3


class TermReader:
    """How the passages use a question's term, and the passages drafted from with it."""

    def __init__(self, retriever: PassageRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    def usage(self, term: str) -> TermUsage | None:
        """How the passages use the words of ``term`` that say what it is (none: no
        term, or no word in it). Jargon has a word in at most ``JARGON_IN`` passages, so
        at most that many use them all: those are every passage that could define it."""
        if not term:
            return None
        return term_usage(term, lambda words: self.retriever.term_usage(words, keep=JARGON_IN))

    def read_alone(self, reading: Reading) -> bool:
        """Whether the question (``reading``: it in its conversation) asks what a term
        means, for itself, and is answered or refused by that term whatever was asked
        before: no passage writes a word of it ("What's a severance package?", refused
        naming it); or the passages it finds alone hold one saying what it is ("batna
        meaning?" after "whats pramp", which had been read with it and refused), or, for
        jargon, lead with one writing it ("whats pramp", "fiscal sponsor meaning") and
        would answer.

        Not "What are the drawbacks?", "And what's a cliff?" (they point back), "What's
        an example?" (an example of the topic), a term the question alone finds no such
        passage for ("What's an ATS?" after a question on resumes, refused alone; "What
        is a pull request?", whose words many passages use), nor one the passages of the
        conversation's topic (:func:`topic_of`) write: there the conversation says which
        sense ("What is a foundation?" after a question on governance is the Apache
        Foundation's kind, not a grantmaker)."""
        question = reading.question
        term = asked_term(question)
        if not asked_for_itself(question, term) or points_back_strongly(question):
            return False
        if names_no_subject(question) or (usage := self.usage(term)) is None:
            return False
        if unwritten(usage):
            return True
        topic = topic_of(reading)
        if topic is not None and any(writes_term(h.chunk.text, term) for h in topic.hits):
            return False
        alone, barely = reading.alone, barely_matched(reading.alone, self.settings)
        if definition(term, alone.hits, usage, beyond=barely) is not None:
            return True
        return (
            is_jargon(usage)
            and not barely
            and any(writes_term(h.chunk.text, term) for h in alone.hits[:LEADING])
        )

    def outlined(self, question: str, retrieved: Retrieved, term: str | None = None) -> Retrieved:
        """The passages an answer is drafted from: ``retrieved``, led by the passage
        that says what the question's term is when it asks what one means (``term``,
        else read from the question), plus the best essay's own list of rules when it
        asks for advice (``Settings.outlines``)."""
        # Eval calls this without ``term`` to rebuild the set a citation is checked
        # against, reading a term even in a follow-up the chain read none in. The sets
        # still agree: past the best passage only when barely matched, and a follow-up
        # barely matched with no term is refused; otherwise the lead is a passage found.
        term = asked_term(question) if term is None else term
        usage = self.usage(term)
        beyond = barely_matched(retrieved, self.settings)
        lead = definition(term, retrieved.hits, usage, beyond=beyond) if usage else None
        return self.drafted_from(question, retrieved, term, lead)

    def drafted_from(
        self, question: str, retrieved: Retrieved, term: str, lead: Chunk | None
    ) -> Retrieved:
        """:meth:`outlined`, with the defining passage (``lead``) already read."""
        if lead is not None:
            retrieved = self.retriever.led_by(retrieved, lead, term)
        if self.settings.outlines and asks_for_advice(question):
            return self.retriever.with_outline(retrieved, factors=weighs_options(question))
        return retrieved


# How many words a passage may write a term in ("OpenCollective" is "open collective").
_TERM_WORDS = 4
_ALNUM = re.compile(r"[a-z0-9]+")


def writes_term(text: str, term: str) -> bool:
    """Whether ``text`` writes ``term``, or its plural, as whole words, spaces and
    hyphens aside: "open collective" is the essays' "OpenCollective", and "script" their
    "scripts"; "ml" is not in "calmly", nor "ats" in "that something"."""
    wanted = "".join(_ALNUM.findall(term.lower()))
    if not wanted:
        return False
    words = _ALNUM.findall(text.lower())
    for i in range(len(words)):
        run = ""
        for word in words[i : i + _TERM_WORDS]:
            run += word
            if run in (wanted, wanted + "s", wanted + "es"):
                return True
            if len(run) >= len(wanted):
                break
    return False
