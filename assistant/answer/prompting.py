"""Prompts for the LLM generators, and the context budget their passages must fit.

The versioned files in ``assistant/prompts`` are LangChain ``ChatPromptTemplate`` s
(f-string syntax: a literal brace in a file is written doubled). Values are
substituted once, so a passage or question containing ``{question}`` reaches the
model verbatim and is never filled in itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from assistant.config import Settings
from assistant.domain import SearchHit
from assistant.search import without_instructions
from assistant.tokens import count_tokens

# Earlier user turns shown to the model; older ones rarely matter and cost context.
HISTORY_TURNS = 4
PASSAGE_SEPARATOR = "\n\n"


@cache
def prompt(name: str) -> str:
    """The raw text of ``assistant/prompts/<name>.md``, template markup included."""
    return resources.files("assistant.prompts").joinpath(f"{name}.md").read_text("utf-8")


@cache
def answer_template() -> ChatPromptTemplate:
    """System rules, the earlier questions, then the passages and the question."""
    return ChatPromptTemplate.from_messages(
        [
            ("system", prompt("answer")),
            MessagesPlaceholder("history"),
            ("human", prompt("context")),
        ]
    )


@cache
def condense_template() -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("human", prompt("condense"))])


def passage_block(n: int, hit: SearchHit) -> str:
    """Passage ``n`` as the model sees it: numbered, titled and fenced as quoted data."""
    c = hit.chunk
    # Orders to the assistant written into an essay never reach the model.
    return f"[{n}] {c.title} — {c.heading_path}\n<<<\n{without_instructions(c.text)}\n>>>"


def answer_messages(
    question: str, history: Sequence[str], hits: Sequence[SearchHit], answer_words: int
) -> list[BaseMessage]:
    return answer_template().format_messages(
        max_words=str(answer_words),
        history=[HumanMessage(content=q) for q in history[-HISTORY_TURNS:]],
        passages=PASSAGE_SEPARATOR.join(passage_block(n, h) for n, h in enumerate(hits, 1)),
        question=question,
    )


def condense_messages(question: str, history: Sequence[str]) -> list[BaseMessage]:
    return condense_template().format_messages(
        history="\n".join(f"- {q}" for q in history[-HISTORY_TURNS:]), question=question
    )


def messages_tokens(messages: Sequence[BaseMessage]) -> int:
    return sum(count_tokens(str(m.content)) for m in messages)


@dataclass(frozen=True)
class Budget:
    """The passages that fit, and what the rest of the prompt left for them."""

    hits: list[SearchHit]
    dropped: int
    fixed_tokens: int  # system, history, question and the answer's llm_max_tokens


def fit_passages(
    question: str, history: Sequence[str], hits: Sequence[SearchHit], settings: Settings
) -> Budget:
    """Drop the lowest-ranked passages until the whole exchange fits the model's context:
    system prompt + earlier questions + passages + question + ``llm_max_tokens`` must stay
    within ``llm_context_tokens``.

    Tokens are counted with :func:`assistant.tokens.count_tokens` (tiktoken's
    cl100k_base), per message and per passage; for a model with another tokenizer this
    is an estimate, which is why ``llm_context_tokens`` should leave some headroom.
    ``hits`` are in rank order, so the kept passages are always a prefix of them.
    """
    empty = answer_messages(question, history, [], settings.answer_words)
    fixed = messages_tokens(empty) + settings.llm_max_tokens
    room = settings.llm_context_tokens - fixed
    kept: list[SearchHit] = []
    for n, hit in enumerate(hits, 1):
        block = passage_block(n, hit)
        cost = count_tokens(block if n == 1 else PASSAGE_SEPARATOR + block)
        if cost > room:
            break
        room -= cost
        kept.append(hit)
    return Budget(kept, len(hits) - len(kept), fixed)
