"""The ``condense`` and ``retrieve`` stages of the answer chain: a question read in its
conversation, the passages retrieved for it, or the refusal they decide.

Plain functions over the :class:`~assistant.answer.chain.Assistant`'s parts (settings,
retriever, :class:`TermReader`, and its LLM for the query rewrite); the ``generate`` and
``verify`` stages live in :mod:`assistant.answer.drafting` and
:mod:`assistant.answer.verification`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig

from assistant.answer.conversation import joined, with_context
from assistant.answer.coverage import (
    definition,
    name_words,
    term_verdict,
    unseen_names,
)
from assistant.answer.definitions import asked_term
from assistant.answer.followup import (
    Reading,
    borrows_an_uncovered_topic,
    leans_on_history,
    told_situation,
    widened,
)
from assistant.answer.guard import screen
from assistant.answer.llm import LLMGenerator, describe_failure, llm_errors
from assistant.answer.match_strength import barely_matched, nearly_matched, weak_evidence
from assistant.answer.pointers import looks_like_followup
from assistant.answer.term_reading import TermReader
from assistant.config import Settings
from assistant.search import (
    PassageRetriever,
    Retrieved,
    terms,
)

# Below this, the question is about something else entirely: don't suggest essays.
OFF_TOPIC_BELOW = 0.18


def condense(
    state: dict[str, Any],
    config: RunnableConfig | None = None,
    *,
    settings: Settings,
    retriever: PassageRetriever,
    term_reader: TermReader,
    llm: Callable[[str], LLMGenerator],
) -> dict[str, Any]:
    """Decide whether the question leans on the conversation, and the query it is read as."""
    question, history = state["question"], state["history"]
    if not history or screen(question):
        return {**state, "query": question}  # a screened question is refused unread
    t = time.perf_counter()
    reading = Reading(retriever, settings, question, history, state["k"])
    told = told_situation(reading)
    leans = leans_on_history(reading, off_topic_below=OFF_TOPIC_BELOW, scene=told is not None)
    if leans and term_reader.read_alone(reading):
        # "What's a severance package?" after a question on offers is short and barely
        # matched, like a follow-up; read with the offer question it was answered with
        # signing bonuses. "batna meaning?" after "whats pramp" was refused.
        leans = False
    # A question with no subject of its own, about a topic the essays don't cover.
    state["uncovered"] = leans and borrows_an_uncovered_topic(reading)
    # Deciding retrieves too (the question alone, and the previous turn): it counts.
    state["timings"]["retrieve_ms"] = (time.perf_counter() - t) * 1000
    query = question
    variants: tuple[str, ...] = ()
    if leans:
        query = with_context(question, history)
        if looks_like_followup(question):
            # Said as a follow-up ("What if…", "…then?", a few words): read as the
            # conversation said it too, and fused (see fuse_readings). Not one with a
            # subject of its own ("…run my code to check it works?"): that may be a
            # new question, and the earlier turn said first would lead it.
            variants = (joined(question, history),)
        if state["generator"] != "extractive":
            try:
                query = llm(state["generator"]).condense(question, history, config)
                variants = ()  # the model's reading stands alone
            except llm_errors() as exc:
                why = describe_failure(state["generator"], settings, exc)
                state["notes"].append(f"query rewrite skipped: {why}")
    # Deciding retrieved the question alone, and with a told situation: `retrieve`
    # reads those from `reading` rather than retrieving them again.
    return {
        **state,
        "query": query,
        "variants": variants,
        "leans": leans,
        "reading": reading,
        "told": told,
    }


def retrieve(
    state: dict[str, Any],
    *,
    settings: Settings,
    retriever: PassageRetriever,
    term_reader: TermReader,
) -> dict[str, Any]:
    """Retrieve the passages for the query, or decide the refusal they call for."""
    timings = state["timings"]
    if reason := screen(state["question"]):
        timings.setdefault("retrieve_ms", 0.0)
        return {**state, "refused": True, "reason": reason}
    t = time.perf_counter()
    reading: Reading | None = state.get("reading")
    told: Retrieved | None = state.get("told")
    if told is not None and told.query == state["query"]:
        retrieved = told  # not after an LLM rewrote the query
    elif reading is not None:
        retrieved = reading.retrieve(state["query"])
    else:
        retrieved = retriever.retrieve(state["query"], state["k"])
    if state.get("leans") and reading is not None:
        query, retrieved = widened(reading, (state["query"], retrieved))
        if query != state["query"] and state["generator"] != "extractive":
            state["notes"].append("query read with earlier turns: the rewrite found too little")
        if query == state["query"] and state.get("variants"):
            retrieved = reading.fused(retrieved, state["variants"])
        else:
            state = {**state, "query": query, "variants": ()}
    timings["retrieve_ms"] = timings.get("retrieve_ms", 0.0) + (time.perf_counter() - t) * 1000
    s = settings
    state = {**state, "retrieved": retrieved}
    # "What's BATNA?": the term decides, not how well two words' vector matches.
    # Not a follow-up: "What are the drawbacks?" after a question on RSUs asks about them.
    term = "" if state.get("leans") else asked_term(state["question"])
    usage = term_reader.usage(term)
    barely = barely_matched(retrieved, s) or nearly_matched(retrieved, s)
    lead = definition(term, retrieved.hits, usage, beyond=barely) if usage else None
    weak = weak_evidence(retrieved, s) or not retrieved.hits
    off = weak and retrieved.dense_best < OFF_TOPIC_BELOW
    if usage is not None and term_verdict(usage) == "refuse" and not off:
        state.update(refused=True, reason="unexplained-term", unseen=(term,))
    elif (barely or state.get("uncovered")) and lead is None:
        state.update(refused=True, reason="off-topic" if off else "weak-evidence")
    elif name_words(unseen := _unseen(settings, retriever, state["question"], retrieved)) >= (
        s.refuse_unseen_names or 1
    ):
        state.update(refused=True, reason="unseen-names", unseen=unseen)
    else:
        if barely and lead is not None:
            # Only the definition answers: the rest matched a few words by chance.
            retrieved = retriever.led_by(retrieved, lead, term, alone=True)
        state["retrieved"] = term_reader.drafted_from(state["question"], retrieved, term, lead)
        state["term_share"] = _term_share(retriever, state["query"])
    return state


def _term_share(retriever: PassageRetriever, query: str) -> dict[str, float]:
    """The share of passages using each term of ``query``: "Read more" names the
    words a section shares with the question, and a word many passages use ("open"
    in an open-source corpus) tells the reader nothing."""
    total, counts = retriever.doc_freqs(set(terms(query)))
    return {t: n / (total or 1) for t, n in counts.items()}


def _unseen(
    settings: Settings, retriever: PassageRetriever, question: str, retrieved: Retrieved
) -> tuple[str, ...]:
    if settings.refuse_unseen_names <= 0:
        return ()
    return unseen_names(question, retrieved.hits, retriever.doc_freq)
