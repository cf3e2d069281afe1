"""The assistant: question in, grounded answer out.

One LangChain Runnable, ``condense | retrieve | generate | verify``, serves ``ask``,
``aask``, ``stream`` and ``astream`` alike, so callbacks and tracers passed in a
``config`` see every answer as one run. Every generator's draft goes through the same
citation check, and the answer refuses plainly when the evidence is weak or nothing
survives verification. The stages live in :mod:`assistant.answer.question_reading`
(``condense``, ``retrieve``), :mod:`assistant.answer.drafting` and
:mod:`assistant.answer.verification`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnableSequence

from assistant.answer.clauses import lowercase_vocabulary
from assistant.answer.conversation import user_turns
from assistant.answer.drafting import Drafter
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.llm import LLMGenerator, make_chat_model
from assistant.answer.question_reading import condense, retrieve
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
)


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
        """The ``condense`` stage: :func:`~assistant.answer.question_reading.condense`."""
        return condense(
            state,
            config,
            settings=self.settings,
            retriever=self.retriever,
            term_reader=self.terms,
            llm=self.llm,
        )

    def _retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
        """The ``retrieve`` stage: :func:`~assistant.answer.question_reading.retrieve`."""
        return retrieve(
            state, settings=self.settings, retriever=self.retriever, term_reader=self.terms
        )

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
