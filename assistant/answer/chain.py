"""The assistant: question in, grounded answer out.

A LangChain Runnable pipeline ``condense -> retrieve -> generate -> verify``;
every generator's draft goes through the same citation check, and the answer
refuses plainly when the evidence is weak or nothing survives verification.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.citations import Verified, verify
from assistant.answer.extractive import ExtractiveGenerator, lowercase_vocabulary
from assistant.answer.followup import blend_query, looks_like_followup, user_turns
from assistant.answer.guard import screen
from assistant.answer.llm import (
    NOT_COVERED,
    LLMGenerator,
    describe_failure,
    llm_errors,
    make_chat_model,
    prompt,
)
from assistant.answer.refusal import refusal_text
from assistant.answer.sentences import UnitVectors, complete_sentences, pieces
from assistant.answer.support import SupportScorer
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.search import LocalEmbeddings, PassageRetriever, Retrieved
from assistant.tokens import count_tokens

log = logging.getLogger(__name__)

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
        cache = settings.data_dir / "cache" / f"units-{embeddings.dtype}.npz"
        self.vectors = UnitVectors(embeddings, cache)
        self.scorer = SupportScorer(self.vectors)
        self._llms: dict[str, LLMGenerator] = {}
        self._llm_lock = threading.Lock()
        self._extractive: ExtractiveGenerator | None = None
        self._stop = threading.Event()
        self._warming: threading.Thread | None = None
        self.chain: Runnable[dict[str, Any], Answer] = (
            RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._generate, name="generate")
            | RunnableLambda(self._verify, name="verify")
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
        texts = [c.text for c in self.retriever.chunks.values()]
        thread = threading.Thread(
            target=self.vectors.warm,
            args=(texts,),
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

    def ask(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
    ) -> Answer:
        return self.chain.invoke(self._input(question, history, generator, k))

    async def aask(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
    ) -> Answer:
        return await self.chain.ainvoke(self._input(question, history, generator, k))

    def stream(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
    ) -> Iterator[str | Answer]:
        """Yield verified text pieces as they are ready, then the final :class:`Answer`."""
        state = self._retrieve(self._condense(self._input(question, history, generator, k)))
        if state["generator"] != "extractive" and not state.get("refused"):
            yield from self._stream_llm(state)
            return
        answer = self._verify(self._generate(state))
        yield from pieces(answer.text)
        yield answer

    async def astream(
        self,
        question: str,
        history: Sequence[Any] = (),
        *,
        generator: str | None = None,
        k: int | None = None,
    ) -> AsyncIterator[str | Answer]:
        """The async twin of :meth:`stream`; the work runs in a thread, off the event loop."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        done = object()

        def work() -> None:
            try:
                for item in self.stream(question, history, generator=generator, k=k):
                    loop.call_soon_threadsafe(queue.put_nowait, item)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's task
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        threading.Thread(target=work, daemon=True, name="astream").start()
        while (item := await queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    # -- pipeline steps ------------------------------------------------------------

    def _input(
        self, question: str, history: Sequence[Any], generator: str | None, k: int | None
    ) -> dict[str, Any]:
        if not isinstance(question, str) or not question.strip():
            raise AssistantError("The question is empty: ask something about careers.")
        if len(question) > self.settings.max_question_chars:
            raise AssistantError(
                f"The question is {len(question)} characters long; the limit is "
                f"{self.settings.max_question_chars}. Shorten it."
            )
        kind = generator or self.settings.generator
        if kind not in {"extractive", "openai", "llamacpp"}:
            raise AssistantError(f"Unknown generator {kind!r}: use extractive, openai or llamacpp.")
        if k is not None and not 1 <= k <= 50:
            raise AssistantError("k must be between 1 and 50.")
        return {
            "question": " ".join(question.split()),
            "history": user_turns(history),
            "generator": kind,
            "k": k or self.settings.k,
            "notes": [],
            "t0": time.perf_counter(),
            "timings": {},
        }

    def _condense(self, state: dict[str, Any]) -> dict[str, Any]:
        question, history = state["question"], state["history"]
        query = question
        if history:
            query = blend_query(question, history)
            if state["generator"] != "extractive" and looks_like_followup(question):
                try:
                    query = self.llm(state["generator"]).condense(question, history)
                except llm_errors() as exc:
                    why = describe_failure(state["generator"], self.settings, exc)
                    state["notes"].append(f"query rewrite skipped: {why}")
        return {**state, "query": query}

    def _retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
        if reason := screen(state["question"]):
            state["timings"]["retrieve_ms"] = 0.0
            return {**state, "refused": True, "reason": reason}
        t = time.perf_counter()
        retrieved = self.retriever.retrieve(state["query"], state["k"])
        state["timings"]["retrieve_ms"] = (time.perf_counter() - t) * 1000
        state = {**state, "retrieved": retrieved}
        s = self.settings
        if retrieved.dense_best < s.refuse_below or not retrieved.hits:
            reason = "off-topic" if retrieved.dense_best < OFF_TOPIC_BELOW else "weak-evidence"
            state.update(refused=True, reason=reason)
        elif (
            len(retrieved.unknown_terms) >= s.refuse_unknown_terms
            and retrieved.dense_best < s.refuse_unknown_below
        ):
            state.update(refused=True, reason="weak-evidence")
        return state

    def _generate(self, state: dict[str, Any]) -> dict[str, Any]:
        t = time.perf_counter()
        draft, used = "", state["generator"]
        if not state.get("refused"):
            draft, used = self._draft(state)
        state["timings"]["generate_ms"] = (time.perf_counter() - t) * 1000
        return {**state, "draft": draft, "used": used}

    def _draft(self, state: dict[str, Any]) -> tuple[str, str]:
        retrieved: Retrieved = state["retrieved"]
        kind = state["generator"]
        if kind == "extractive":
            return self.extractive.generate(state["question"], retrieved), kind
        try:
            draft = self.llm(kind).generate(state["question"], state["history"], retrieved.hits)
        except llm_errors() as exc:
            return self._fallback(state, describe_failure(kind, self.settings, exc), exc)
        state["prompt_text"] = " ".join(
            str(m.content)
            for m in self.llm(kind).messages(state["question"], state["history"], retrieved.hits)
        )
        return draft, kind

    def _fallback(
        self, state: dict[str, Any], why: str, exc: BaseException | None = None
    ) -> tuple[str, str]:
        if not self.settings.llm_fallback:
            raise AssistantError(
                f"{why[0].upper()}{why[1:]}. Check the server, or use --llm extractive."
            ) from exc
        log.warning("LLM failed, answering extractively: %s", why)
        state["notes"].append(f"{why}; answered from the essays directly")
        return self.extractive.generate(state["question"], state["retrieved"]), "extractive"

    def _verify(self, state: dict[str, Any]) -> Answer:
        t = time.perf_counter()
        retrieved: Retrieved | None = state.get("retrieved")
        hits = retrieved.hits if retrieved else []
        draft = state.get("draft", "")
        checked = self._check(draft, hits)
        if (
            not checked.text
            and state["used"] != "extractive"
            and not state.get("refused")
            and NOT_COVERED not in draft.upper()
        ):
            # An LLM wrote nothing we can verify: garbage, or claims the essays don't back.
            # With fallback the extractive answer stands in; without, the answer refuses.
            why = f"nothing the {state['used']} model wrote could be verified"
            if self.settings.llm_fallback:
                draft, state["used"] = self._fallback(state, why)
                checked = self._check(draft, hits)
            else:
                state["notes"].append(why)
        state["timings"]["verify_ms"] = (time.perf_counter() - t) * 1000
        return self._answer(state, checked)

    def _check(self, draft: str, hits: Sequence[Any]) -> Verified:
        return verify(
            draft,
            hits,
            self.scorer,
            self.settings.support_min,
            show_unsupported=self.settings.show_unsupported,
            forbidden=(prompt("answer"),),
        )

    def _answer(self, state: dict[str, Any], checked: Verified) -> Answer:
        refused = bool(state.get("refused")) or not checked.citations
        reason = state.get("reason", "") or ("unsupported" if refused else "")
        text = checked.text if not refused else self._refusal_text(state)
        timings = dict(state["timings"])
        timings["total_ms"] = (time.perf_counter() - state["t0"]) * 1000
        retrieved: Retrieved | None = state.get("retrieved")
        passages = [h.chunk.text for h in retrieved.hits] if retrieved else []
        prompt_text = state.get("prompt_text") or " ".join([state["question"], *passages])
        usage = {
            "prompt_tokens": count_tokens(prompt_text),
            "completion_tokens": count_tokens(state.get("draft", "")),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if checked.dropped:
            log.info("dropped %d unsupported claim(s)", len(checked.dropped))
        return Answer(
            text=text,
            citations=tuple(checked.citations) if not refused else (),
            refused=refused,
            reason=reason,
            query=state["query"],
            timings=timings,
            usage=usage,
            generator=state.get("used", state["generator"]),
            notes=tuple(state["notes"]),
        )

    def _refusal_text(self, state: dict[str, Any]) -> str:
        return refusal_text(state.get("reason", ""), state.get("retrieved"))

    def _stream_llm(self, state: dict[str, Any]) -> Iterator[str | Answer]:
        """Stream an LLM answer sentence by sentence, each shown only once verified."""
        kind = state["generator"]
        hits = state["retrieved"].hits
        t = time.perf_counter()
        draft, shown = "", ""
        try:
            for piece in self.llm(kind).stream(state["question"], state["history"], hits):
                draft += piece
                complete = complete_sentences(draft)
                if complete:
                    text = self._check(complete, hits).text
                    if text.startswith(shown) and len(text) > len(shown):
                        yield text[len(shown) :] if shown else text
                        shown = text
        except llm_errors() as exc:
            fallback, used = self._fallback(state, describe_failure(kind, self.settings, exc), exc)
            state = {**state, "draft": fallback, "used": used}
            answer = self._verify(state)
            yield from pieces(answer.text)
            yield answer
            return
        state["timings"]["generate_ms"] = (time.perf_counter() - t) * 1000
        answer = self._verify({**state, "draft": draft, "used": kind})
        # The final Answer is authoritative; a UI that streamed shows its text at the end.
        if answer.text.startswith(shown) and len(answer.text) > len(shown):
            yield answer.text[len(shown) :]
        yield answer
