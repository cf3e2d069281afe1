"""What retrieval returns: the passages for one query with the signals the answer
stage decides by (:class:`Retrieved`), and how the collection uses a term's words
(:class:`TermUsage`). Plain frozen data, so the answer stage can read them without
the retriever."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.domain import Chunk, SearchHit


@dataclass(frozen=True)
class Retrieved:
    """The passages for one query, and how strong the evidence was."""

    query: str
    hits: list[SearchHit]
    dense_best: float  # best cosine among all dense candidates: the refusal signal
    # Terms of the query that the collection (almost) never uses and the top passages
    # lack: "visa", "payroll". A question that hinges on them is not covered.
    unknown_terms: tuple[str, ...] = ()
    # Best cosine of one sentence or list item (3+ words, no table row) of ``hits``: a
    # long passage's vector dilutes the sentence that answers (0 when units are off).
    unit_best: float = 0.0
    # Positions (1-based, in ``hits``) of the sections that are an essay's own list of
    # rules or steps, in the essay's order: see ``PassageRetriever.with_outline``.
    outline: tuple[int, ...] = ()
    # How many of ``hits`` were appended for the outline alone (they come last).
    outline_only: int = 0
    # Position (1-based, in ``hits``) of the passage that says what the question's term
    # is, put first by ``PassageRetriever.led_by``; 0 for none.
    definition: int = 0
    # The term that passage says what it is (with ``definition``): where it was read,
    # so the answer quotes the sentence defining the very term the passage was chosen for.
    term: str = ""
    # How many passages the collection holds: in a large one the best match of a question
    # it doesn't cover is higher by chance (``Settings.refuse_near_below``).
    passages: int = 0
    query_vector: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TermUsage:
    """How the collection uses the words of a term (``PassageRetriever.term_usage``)."""

    counts: dict[str, int]  # each (stemmed) word: in how many passages
    together: int  # how many passages use every word
    passages: tuple[Chunk, ...]  # the first of those, as many as were asked for
    words: tuple[str, ...] = ()  # the words as the term writes them (``term_words``)
