"""The ``generate`` stage of the answer chain: a draft from the extractive or an LLM generator.

It is a ``RunnableGenerator`` so that an LLM's draft flows on to the verifier piece by
piece while the model writes it. It emits ``AddableDict`` s: first the pipeline state,
then ``draft`` text pieces, so adding them up (as LangChain's tracing does) gives the
state with the whole draft. Other keys appear at most once each: ``hits`` (the passages
the LLM was shown, numbered as in its prompt), ``prompt_text`` and ``model_usage`` (the
prompt and the model's own token counts, after a draft came back), and ``fallback`` (the
extractive draft that replaces a failed LLM's).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar, cast

from langchain_core.messages import UsageMetadata
from langchain_core.messages.ai import add_usage
from langchain_core.runnables import RunnableConfig, RunnableGenerator
from langchain_core.runnables.utils import AddableDict

from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.llm import LLMGenerator, describe_failure, llm_errors, message_text
from assistant.config import Settings
from assistant.errors import AssistantError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Drafter:
    """Writes the draft for the verifier; also the extractive stand-in for a failed LLM."""

    def __init__(
        self,
        settings: Settings,
        llm: Callable[[str], LLMGenerator],
        extractive: Callable[[], ExtractiveGenerator],
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.extractive = extractive

    def runnable(self) -> RunnableGenerator[dict[str, Any], AddableDict]:
        return RunnableGenerator(self.transform, self.atransform, name="generate")

    def transform(
        self, inputs: Iterator[dict[str, Any]], config: RunnableConfig | None = None
    ) -> Iterator[AddableDict]:
        state: dict[str, Any] = {}
        for chunk in inputs:
            state.update(chunk)
        yield from self.events(state, config)

    async def atransform(
        self, inputs: AsyncIterator[dict[str, Any]], config: RunnableConfig | None = None
    ) -> AsyncIterator[AddableDict]:
        state: dict[str, Any] = {}
        async for chunk in inputs:
            state.update(chunk)
        async for event in iterate_in_threads(self.events(state, config)):
            yield event

    def events(self, state: dict[str, Any], config: RunnableConfig | None) -> Iterator[AddableDict]:
        t = time.perf_counter()
        yield AddableDict(state, draft="")
        kind = state["generator"]
        if state.get("refused"):
            pass
        elif kind == "extractive":
            yield AddableDict(
                draft=self.extractive().generate(
                    state["question"], state["retrieved"], said=state.get("said", "")
                )
            )
        else:
            try:
                yield from self._llm_events(state, config)
            except llm_errors() as exc:
                why = describe_failure(kind, self.settings, exc)
                yield AddableDict(fallback=self.fallback(state, why, exc))
        state["timings"]["generate_ms"] = (time.perf_counter() - t) * 1000

    def _llm_events(
        self, state: dict[str, Any], config: RunnableConfig | None
    ) -> Iterator[AddableDict]:
        llm = self.llm(state["generator"])
        prepared = llm.prepare(state["question"], state["history"], state["retrieved"].hits)
        if prepared.dropped:
            state["notes"].append(
                f"{prepared.dropped} lowest-ranked passage(s) left out to fit "
                f"llm_context_tokens={self.settings.llm_context_tokens}"
            )
        yield AddableDict(hits=prepared.hits)
        usage: UsageMetadata | None = None
        if state["streaming"]:
            for chunk in llm.stream(prepared, config):
                if text := message_text(chunk.content):
                    yield AddableDict(draft=text)
                if chunk.usage_metadata:
                    usage = add_usage(usage, chunk.usage_metadata)
        else:
            reply = llm.generate(prepared, config)
            yield AddableDict(draft=message_text(reply.content))
            usage = reply.usage_metadata
        done = AddableDict(prompt_text=prepared.text)
        if usage:
            done["model_usage"] = dict(usage)
        yield done

    def fallback(self, state: dict[str, Any], why: str, exc: BaseException | None = None) -> str:
        """The extractive draft standing in for a failed LLM's, with a note saying so; an
        error instead when ``llm_fallback`` is off."""
        if not self.settings.llm_fallback:
            raise AssistantError(
                f"{why[0].upper()}{why[1:]}. Check the server, or use --llm extractive."
            ) from exc
        log.warning("LLM failed, answering extractively: %s", why)
        state["notes"].append(f"{why}; answered from the essays directly")
        return self.extractive().generate(
            state["question"], state["retrieved"], said=state.get("said", "")
        )


async def iterate_in_threads(iterator: Iterator[T]) -> AsyncIterator[T]:
    """Advance a blocking iterator in worker threads, one step at a time, so the event
    loop stays free. Every step runs in the same ``contextvars.Context`` (as LangChain
    runs its own steps): a context variable set in one step is still set in the next."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    done = object()

    def step() -> T | object:
        return context.run(next, iterator, done)

    while (item := await loop.run_in_executor(None, step)) is not done:
        yield cast("T", item)
