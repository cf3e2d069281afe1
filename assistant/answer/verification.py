"""The ``verify`` stage of the answer chain: every draft goes through the citation check.

A ``RunnableGenerator`` fed by the ``generate`` stage (see
:mod:`assistant.answer.drafting`). When the caller streams an LLM answer, each sentence
is checked as soon as it is finished and shown only once verified; otherwise the whole
draft is checked once. Streaming callers get text pieces first; every caller gets the
:class:`Answer` last.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig, RunnableGenerator
from langchain_core.runnables.config import run_in_executor

from assistant.answer.citations import Verified, verify
from assistant.answer.drafting import Drafter
from assistant.answer.llm import NOT_COVERED
from assistant.answer.prompting import prompt
from assistant.answer.read_more import read_more
from assistant.answer.refusal import refusal_text
from assistant.answer.support import SupportScorer
from assistant.config import Settings
from assistant.domain import Answer, SearchHit
from assistant.search import Retrieved, complete_sentences, pieces
from assistant.tokens import count_tokens

log = logging.getLogger(__name__)


class Verifier:
    """Checks drafts against the passages they cite and builds the :class:`Answer`."""

    def __init__(self, settings: Settings, scorer: SupportScorer, drafter: Drafter) -> None:
        self.settings = settings
        self.scorer = scorer
        self.drafter = drafter

    def runnable(self) -> RunnableGenerator[Mapping[str, Any], str | Answer]:
        return RunnableGenerator(self.transform, self.atransform, name="verify")

    def check(self, draft: str, hits: Sequence[SearchHit]) -> Verified:
        return verify(
            draft,
            hits,
            self.scorer,
            self.settings.support_min,
            show_unsupported=self.settings.show_unsupported,
            forbidden=(prompt("answer"),),
        )

    def transform(
        self, inputs: Iterator[Mapping[str, Any]], config: RunnableConfig | None = None
    ) -> Iterator[str | Answer]:
        run = _Run(self)
        for event in inputs:
            if (ready := run.add(event)) and (piece := run.show(self.check(ready, run.hits))):
                yield piece
        yield from run.close(run.finish())

    async def atransform(
        self, inputs: AsyncIterator[Mapping[str, Any]], config: RunnableConfig | None = None
    ) -> AsyncIterator[str | Answer]:
        # The same steps as transform; the checks embed text, so they run in a worker thread.
        run = _Run(self)
        async for event in inputs:
            if ready := run.add(event):
                checked = await run_in_executor(config, self.check, ready, run.hits)
                if piece := run.show(checked):
                    yield piece
        for item in run.close(await run_in_executor(config, run.finish)):
            yield item


class _Run:
    """One answer's pass through the verifier: the draft so far and what was shown."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier
        self.state: dict[str, Any] = {}
        self.draft = ""
        self.checked = ""  # the finished sentences last checked
        self.shown = ""  # the verified text the caller has been given

    @property
    def hits(self) -> list[SearchHit]:
        """The passages the draft's [n] markers number: those the LLM was shown, or all
        retrieved ones for the extractive generator (also when it stood in)."""
        if "hits" in self.state and "fallback" not in self.state:
            return list(self.state["hits"])
        retrieved: Retrieved | None = self.state.get("retrieved")
        return list(retrieved.hits) if retrieved else []

    @property
    def incremental(self) -> bool:
        s = self.state
        return bool(s["streaming"]) and s["generator"] != "extractive" and "fallback" not in s

    def add(self, event: Mapping[str, Any]) -> str:
        """Take one event of the generate stage; return finished sentences that are new
        since the last check (to check now), or ""."""
        for key, value in event.items():
            if key == "draft":
                self.draft += value
            else:
                self.state[key] = value
        if "draft" not in event or self.state.get("refused") or not self.incremental:
            return ""
        complete = complete_sentences(self.draft)
        if not complete or complete == self.checked:
            return ""
        self.checked = complete
        return complete

    def show(self, checked: Verified) -> str:
        """The part of the verified text not shown yet, if the text only grew."""
        text = checked.text
        if text.startswith(self.shown) and len(text) > len(self.shown):
            piece, self.shown = text[len(self.shown) :], text
            return piece
        return ""

    def finish(self) -> Answer:
        t = time.perf_counter()
        state, settings = self.state, self.verifier.settings
        used = "extractive" if "fallback" in state else state["generator"]
        draft: str = state.get("fallback", self.draft)
        checked = self.verifier.check(draft, self.hits)
        if (
            not checked.text
            and used != "extractive"
            and not state.get("refused")
            and NOT_COVERED not in draft.upper()
        ):
            # An LLM wrote nothing we can verify: garbage, or claims the essays don't back.
            # With fallback the extractive answer stands in; without, the answer refuses.
            why = f"nothing the {used} model wrote could be verified"
            if settings.llm_fallback:
                state["fallback"] = draft = self.verifier.drafter.fallback(state, why)
                used = "extractive"
                checked = self.verifier.check(draft, self.hits)
            else:
                state["notes"].append(why)
        state["timings"]["verify_ms"] = (time.perf_counter() - t) * 1000
        if checked.dropped:
            log.info("dropped %d unsupported claim(s)", len(checked.dropped))
        # Usage counts what the LLM wrote whenever its call came back, even if replaced.
        written = self.draft if "prompt_text" in state else draft
        return build_answer(state, checked, written, used)

    def close(self, answer: Answer) -> Iterator[str | Answer]:
        """The rest of the text for a streaming caller, then the answer. The final Answer is
        authoritative: a UI that streamed shows its text at the end."""
        if self.state["streaming"]:
            if not self.shown:
                yield from pieces(answer.text)
            elif answer.text.startswith(self.shown) and len(answer.text) > len(self.shown):
                yield answer.text[len(self.shown) :]
        yield answer


def build_answer(state: Mapping[str, Any], checked: Verified, written: str, used: str) -> Answer:
    refused = bool(state.get("refused")) or not checked.citations
    reason = state.get("reason", "") or ("unsupported" if refused else "")
    text = (
        checked.text
        if not refused
        else refusal_text(state.get("reason", ""), state.get("retrieved"), state.get("unseen", ()))
    )
    timings = dict(state["timings"])
    timings["total_ms"] = (time.perf_counter() - state["t0"]) * 1000
    retrieved: Retrieved | None = state.get("retrieved")
    hits = tuple(retrieved.hits) if retrieved else ()
    citations = tuple(checked.citations) if not refused else ()
    return Answer(
        text=text,
        citations=citations,
        refused=refused,
        reason=reason,
        query=state["query"],
        variants=tuple(state.get("variants") or ()),
        timings=timings,
        usage=token_usage(state, written),
        generator=used,
        notes=tuple(state["notes"]),
        hits=hits,
        best_score=retrieved.dense_best if retrieved else 0.0,
        read_more=read_more(
            hits,
            citations,
            state["query"],
            refused=refused,
            term_share=state.get("term_share"),
            question=state.get("question"),
        ),
    )


def token_usage(state: Mapping[str, Any], written: str) -> dict[str, Any]:
    """Tokens of the answer's LLM call as the model itself counted them (``source``
    "model"), or else as tiktoken estimates them (``source`` "tiktoken"): for the
    extractive generator, for a backend that reports no usage, and when the call failed.
    The query rewrite of a follow-up is not included."""
    model: Mapping[str, int] | None = state.get("model_usage")
    if model:
        prompt_tokens, completion = model["input_tokens"], model["output_tokens"]
        total = model.get("total_tokens") or prompt_tokens + completion
        source = "model"
    else:
        retrieved: Retrieved | None = state.get("retrieved")
        passages = [h.chunk.text for h in retrieved.hits] if retrieved else []
        prompt_text = state.get("prompt_text") or " ".join([state["question"], *passages])
        prompt_tokens, completion = count_tokens(prompt_text), count_tokens(written)
        total, source = prompt_tokens + completion, "tiktoken"
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": total,
        "source": source,
    }
