"""The assistant: question in, grounded answer out.

One LangChain Runnable, ``condense | retrieve | generate | verify``, serves ``ask``,
``aask``, ``stream`` and ``astream`` alike, so callbacks and tracers passed in a
``config`` see every answer as one run. Every generator's draft goes through the same
citation check, and the answer refuses plainly when the evidence is weak or nothing
survives verification. The last two stages live in :mod:`assistant.answer.drafting`
and :mod:`assistant.answer.verification`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnableSequence

from assistant.answer.composing import lowercase_vocabulary
from assistant.answer.conversation import joined, user_turns, with_context
from assistant.answer.coverage import (
    definition,
    name_words,
    term_verdict,
    unseen_names,
)
from assistant.answer.definitions import asked_term
from assistant.answer.drafting import Drafter
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.followup import (
    Reading,
    borrows_an_uncovered_topic,
    leans_on_history,
    told_situation,
    widened,
)
from assistant.answer.guard import screen
from assistant.answer.llm import LLMGenerator, describe_failure, llm_errors, make_chat_model
from assistant.answer.match_strength import barely_matched, nearly_matched, weak_evidence
from assistant.answer.pointers import looks_like_followup
from assistant.answer.repeats import said_before
from assistant.answer.support import SupportScorer
from assistant.answer.term_reading import TermReader
from assistant.answer.verification import Verifier
from assistant.config import GENERATORS, Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.search import (
    LocalEmbeddings,
    PassageRetriever,
    Retrieved,
    terms,
)

# Below this, the question is about something else entirely: don't suggest essays.
OFF_TOPIC_BELOW = 0.18


class Assistant:
    """Answers questions from the indexed essays; thread-safe, one per process."""

    def __init__(
        self, settings: Settings, embeddings: LocalEmbeddings, retriever: PassageRetriever
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.retriever = retriever
        # One cache of unit vectors, shared with retrieval's small-to-big re-ranking.
        self.vectors = retriever.units
        self.scorer = SupportScorer(self.vectors)
        self.terms = TermReader(retriever, settings)
        self._llms: dict[str, LLMGenerator] = {}
        self._llm_lock = threading.Lock()
        self._extractive: ExtractiveGenerator | None = None
        self._stop = threading.Event()
        self._warming: threading.Thread | None = None
        self.drafter = Drafter(settings, self.llm, lambda: self.extractive)
        self.verifier = Verifier(settings, self.scorer, self.drafter)
        self.chain: Runnable[dict[str, Any], str | Answer] = RunnableSequence(
            RunnableLambda(self._condense, name="condense"),
            RunnableLambda(self._retrieve, name="retrieve"),
            self.drafter.runnable(),
            self.verifier.runnable(),
            name="assistant",
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, warm: bool = True) -> Assistant:
        """Open the index (it must exist: `career-assistant ingest`) and load the model."""
        embeddings = LocalEmbeddings(settings)
        retriever = PassageRetriever.from_settings(settings, embeddings)
        assistant = cls(settings, embeddings, retriever)
        if warm:
            assistant.warm_in_background()
        return assistant

    def warm_in_background(self) -> threading.Thread:
        """Embed every passage unit once, so answers need no embedding but the question's."""
        chunks = list(self.retriever.chunks.values())
        thread = threading.Thread(
            target=self.vectors.warm,
            args=(chunks,),
            kwargs={"stop": self._stop},
            daemon=True,
            name="warm",
        )
        thread.start()
        self._warming = thread
        return thread

    def close(self) -> None:
        """Stop background work and save the vector cache; call before a short process exits
        (torch must not be mid-computation while the interpreter shuts down)."""
        self._stop.set()
        if self._warming is not None:
            self._warming.join(timeout=60)
        self.vectors.save()

    @property
    def extractive(self) -> ExtractiveGenerator:
        if self._extractive is None:
            vocab = lowercase_vocabulary(c.text for c in self.retriever.chunks.values())
            self._extractive = ExtractiveGenerator(self.vectors, self.settings.answer_words, vocab)
        return self._extractive

    def llm(self, kind: str) -> LLMGenerator:
        with self._llm_lock:
            if kind not in self._llms:
                self._llms[kind] = LLMGenerator(
                    make_chat_model(self.settings, kind), kind, self.settings
                )
            return self._llms[kind]

    # -- public API --------------------------------------------------------------
    # Each takes an optional LangChain ``config`` (callbacks, tags, metadata, run_name).

    def ask(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
        config: RunnableConfig | None = None,
    ) -> Answer:
        state = self._input(question, history, generator, k, streaming=False)
        return _last_answer(self.chain.stream(state, config))

    async def aask(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
        config: RunnableConfig | None = None,
    ) -> Answer:
        """The async twin of :meth:`ask`; blocking work runs in threads, off the event loop."""
        state = self._input(question, history, generator, k, streaming=False)
        return _last_answer([item async for item in self.chain.astream(state, config)])

    def stream(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
        config: RunnableConfig | None = None,
    ) -> Iterator[str | Answer]:
        """Yield verified text pieces as they are ready, then the final :class:`Answer`."""
        state = self._input(question, history, generator, k, streaming=True)
        yield from self.chain.stream(state, config)

    async def astream(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
        config: RunnableConfig | None = None,
    ) -> AsyncIterator[str | Answer]:
        """The async twin of :meth:`stream`; blocking work runs in threads, off the event
        loop."""
        state = self._input(question, history, generator, k, streaming=True)
        async for item in self.chain.astream(state, config):
            yield item

    def standalone_queries(self, question: str, history: Sequence[Any] = ()) -> tuple[str, ...]:
        """How ``question`` is retrieved after ``history`` (the chain's first two stages):
        the question itself, or, when it leans on the conversation, read with its topic
        turns (the query :attr:`Answer.query` shows, widened to earlier turns when the
        essays barely match it) and, said as a follow-up, also as the conversation said
        it, the passages fused (:attr:`Answer.variants`)."""
        state = self._input(question, history, None, None, streaming=False)
        state = self._retrieve(self._condense(state))
        return (str(state["query"]), *state.get("variants", ()))

    # -- the first two stages ------------------------------------------------------

    def _input(
        self,
        question: str,
        history: Sequence[Any],
        generator: str | None,
        k: int | None,
        *,
        streaming: bool,
    ) -> dict[str, Any]:
        if not isinstance(question, str) or not question.strip():
            raise AssistantError("The question is empty: ask something about careers.")
        if len(question) > self.settings.max_question_chars:
            raise AssistantError(
                f"The question is {len(question)} characters long; the limit is "
                f"{self.settings.max_question_chars}. Shorten it."
            )
        kind = generator or self.settings.generator
        if kind not in GENERATORS:
            raise AssistantError(f"Unknown generator {kind!r}: use extractive, openai or llamacpp.")
        if k is not None and not 1 <= k <= 50:
            raise AssistantError("k must be between 1 and 50.")
        return {
            "question": " ".join(question.split()),
            "history": user_turns(history),
            "said": said_before(history),
            "generator": kind,
            "k": k or self.settings.k,
            "notes": [],
            "t0": time.perf_counter(),
            "timings": {},
            # Whether the caller streams: then LLM sentences are verified as they arrive.
            "streaming": streaming,
        }

    def _condense(
        self, state: dict[str, Any], config: RunnableConfig | None = None
    ) -> dict[str, Any]:
        question, history = state["question"], state["history"]
        if not history or screen(question):
            return {**state, "query": question}  # a screened question is refused unread
        t = time.perf_counter()
        reading = Reading(self.retriever, self.settings, question, history, state["k"])
        told = told_situation(reading)
        leans = leans_on_history(reading, off_topic_below=OFF_TOPIC_BELOW, scene=told is not None)
        if leans and self.terms.read_alone(reading):
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
                    query = self.llm(state["generator"]).condense(question, history, config)
                    variants = ()  # the model's reading stands alone
                except llm_errors() as exc:
                    why = describe_failure(state["generator"], self.settings, exc)
                    state["notes"].append(f"query rewrite skipped: {why}")
        # Deciding retrieved the question alone, and with a told situation: `_retrieve`
        # reads those from `reading` rather than retrieving them again.
        return {
            **state,
            "query": query,
            "variants": variants,
            "leans": leans,
            "reading": reading,
            "told": told,
        }

    def _retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
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
            retrieved = self.retriever.retrieve(state["query"], state["k"])
        if state.get("leans") and reading is not None:
            query, retrieved = widened(reading, (state["query"], retrieved))
            if query != state["query"] and state["generator"] != "extractive":
                state["notes"].append("query read with earlier turns: the rewrite found too little")
            if query == state["query"] and state.get("variants"):
                retrieved = reading.fused(retrieved, state["variants"])
            else:
                state = {**state, "query": query, "variants": ()}
        timings["retrieve_ms"] = timings.get("retrieve_ms", 0.0) + (time.perf_counter() - t) * 1000
        s = self.settings
        state = {**state, "retrieved": retrieved}
        # "What's BATNA?": the term decides, not how well two words' vector matches.
        # Not a follow-up: "What are the drawbacks?" after a question on RSUs asks about them.
        term = "" if state.get("leans") else asked_term(state["question"])
        usage = self.terms.usage(term)
        barely = barely_matched(retrieved, s) or nearly_matched(retrieved, s)
        lead = definition(term, retrieved.hits, usage, beyond=barely) if usage else None
        weak = weak_evidence(retrieved, s) or not retrieved.hits
        off = weak and retrieved.dense_best < OFF_TOPIC_BELOW
        if usage is not None and term_verdict(usage) == "refuse" and not off:
            state.update(refused=True, reason="unexplained-term", unseen=(term,))
        elif (barely or state.get("uncovered")) and lead is None:
            state.update(refused=True, reason="off-topic" if off else "weak-evidence")
        elif name_words(unseen := self._unseen(state["question"], retrieved)) >= (
            s.refuse_unseen_names or 1
        ):
            state.update(refused=True, reason="unseen-names", unseen=unseen)
        else:
            if barely and lead is not None:
                # Only the definition answers: the rest matched a few words by chance.
                retrieved = self.retriever.led_by(retrieved, lead, term, alone=True)
            state["retrieved"] = self.terms.drafted_from(state["question"], retrieved, term, lead)
            state["term_share"] = self._term_share(state["query"])
        return state

    def _term_share(self, query: str) -> dict[str, float]:
        """The share of passages using each term of ``query``: "Read more" names the
        words a section shares with the question, and a word many passages use ("open"
        in an open-source corpus) tells the reader nothing."""
        total, counts = self.retriever.doc_freqs(set(terms(query)))
        return {t: n / (total or 1) for t, n in counts.items()}

    def _unseen(self, question: str, retrieved: Retrieved) -> tuple[str, ...]:
        if self.settings.refuse_unseen_names <= 0:
            return ()
        return unseen_names(question, retrieved.hits, self.retriever.doc_freq)

    def outlined(self, question: str, retrieved: Retrieved, term: str | None = None) -> Retrieved:
        """The passages an answer is drafted from (:meth:`TermReader.outlined`)."""
        return self.terms.outlined(question, retrieved, term)


def _last_answer(items: Iterable[str | Answer]) -> Answer:
    answer = None
    for item in items:
        if isinstance(item, Answer):
            answer = item
    if answer is None:
        raise RuntimeError("the answer chain ended without an Answer")
    return answer
