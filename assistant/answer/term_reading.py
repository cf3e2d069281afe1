"""The term a question asks about, as the index knows it.

The chain judges a question's term while it retrieves (refuse it, or lead with the
passage that defines it), and the eval rebuilds the passages an answer was drafted from
to check its citations. Both read the term here, so they read it the same way.
"""

from __future__ import annotations

from assistant.answer.coverage import (
    JARGON_IN,
    asked_for_itself,
    definition,
    term_usage,
    unwritten,
)
from assistant.answer.definitions import asked_term
from assistant.answer.followup import barely_matched
from assistant.config import Settings
from assistant.domain import Chunk
from assistant.search import PassageRetriever, Retrieved, TermUsage, asks_for_advice


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

    def unwritten(self, question: str) -> bool:
        """Whether ``question`` asks what a term means, for itself, and no passage writes
        a word of it ("What's a severance package?")."""
        term = asked_term(question)
        return asked_for_itself(question, term) and unwritten(self.usage(term))

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
            return self.retriever.with_outline(retrieved)
        return retrieved
