"""One Runnable serves ask, aask, stream and astream: a callback handler passed in the
config sees each answer as one run of `condense | retrieve | generate | verify`, whose
end output is the Answer. Real model, real Chroma, the extractive generator."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from assistant.answer.chain import Assistant
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.ingest.pipeline import Ingester
from assistant.search.retrieval import PassageRetriever
from tests.conftest import CORPUS, free_port

QUESTION = "How do I keep learning in a fast-moving field?"
STAGES = ["condense", "retrieve", "generate", "verify"]


class Recorder(BaseCallbackHandler):
    """Remembers every chain run that starts and ends, and how runs nest."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: dict[UUID, tuple[str, UUID | None]] = {}
        self.ended: dict[UUID, Any] = {}
        self.errors: list[BaseException] = []

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        with self.lock:
            self.started[run_id] = (kwargs.get("name") or "", parent_run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self.lock:
            self.ended[run_id] = outputs

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self.lock:
            self.errors.append(error)

    def top_level(self) -> list[UUID]:
        return [run for run, (_, parent) in self.started.items() if parent is None]

    def children(self, parent: UUID) -> list[str]:
        return [name for name, p in self.started.values() if p == parent]


def answers_in(outputs: Any) -> list[Answer]:
    if isinstance(outputs, Answer):
        return [outputs]
    if isinstance(outputs, dict):
        return [v for v in outputs.values() if isinstance(v, Answer)]
    return []


@pytest.fixture(scope="module")
def bot(tmp_path_factory, embeddings) -> Assistant:
    settings = Settings(data_dir=tmp_path_factory.mktemp("pipe") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    return Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))


def run(bot: Assistant, how: str, config: dict[str, Any]) -> tuple[Answer, list[str]]:
    """The Answer and the text pieces before it, whichever way it was asked."""
    if how == "ask":
        return bot.ask(QUESTION, config=config), []
    if how == "stream":
        items = list(bot.stream(QUESTION, config=config))
    elif how == "aask":
        return asyncio.run(bot.aask(QUESTION, config=config)), []
    else:

        async def collect() -> list[str | Answer]:
            return [item async for item in bot.astream(QUESTION, config=config)]

        items = asyncio.run(collect())
    assert isinstance(items[-1], Answer)
    assert all(isinstance(i, str) for i in items[:-1])
    return items[-1], [i for i in items[:-1] if isinstance(i, str)]


@pytest.mark.parametrize("how", ["ask", "aask", "stream", "astream"])
def test_a_callback_sees_one_run_per_answer_ending_in_the_answer(bot, how):
    recorder = Recorder()
    answer, pieces = run(bot, how, {"callbacks": [recorder], "tags": ["test"]})
    assert not answer.refused and answer.citations
    if how in {"stream", "astream"}:
        assert len(pieces) >= 2 and "".join(pieces) == answer.text
    assert not recorder.errors
    [top] = recorder.top_level()
    assert recorder.started[top][0] == "assistant"
    stages = [name for name in recorder.children(top) if not name.startswith("Runnable")]
    assert stages == STAGES
    assert answer in answers_in(recorder.ended[top])
    assert set(recorder.ended) == set(recorder.started)  # every run ended


def test_all_four_give_the_same_answer(bot):
    texts = {how: run(bot, how, {})[0].text for how in ["ask", "aask", "stream", "astream"]}
    assert len(set(texts.values())) == 1, texts


@pytest.mark.parametrize("how", ["ask", "stream"])
def test_an_error_inside_the_chain_reaches_the_caller_and_the_callback(bot, how):
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = bot.settings.replace(generator="openai", llm_base_url=url, llm_fallback=False)
    dead = Assistant(settings, bot.embeddings, bot.retriever)
    recorder = Recorder()
    with pytest.raises(AssistantError, match="unreachable"):
        run(dead, how, {"callbacks": [recorder]})
    [top] = recorder.top_level()
    assert top not in recorder.ended
    assert any("unreachable" in str(e) for e in recorder.errors)


def test_astream_leaves_the_event_loop_free(bot):
    """A concurrent task keeps ticking while an answer is computed."""

    async def main() -> tuple[int, float]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.create_task(ticker())
        t = time.perf_counter()
        items = [item async for item in bot.astream("How should I build a portfolio?")]
        elapsed = time.perf_counter() - t
        stop.set()
        await task
        assert isinstance(items[-1], Answer)
        return ticks, elapsed

    ticks, elapsed = asyncio.run(main())
    print(f"ticks {ticks} in {elapsed:.3f} s")
    # Blocking the loop for the whole answer would allow at most a tick or two.
    assert ticks >= min(10, elapsed / 0.005 / 4), (ticks, elapsed)
