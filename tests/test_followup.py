"""Follow-up questions: reading the history, and reading a follow-up with its previous turn."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.answer.followup import looks_like_followup, points_back, user_turns, with_context

NEGOTIATE = "How should I negotiate my salary offer?"
STANDALONE = (
    "What are the most important skills for an AI engineer working in industry research labs today?"
)


# --- user_turns -----------------------------------------------------------------------------


def test_user_turns_from_strings() -> None:
    assert user_turns(["first", "second"]) == ["first", "second"]


def test_user_turns_from_role_dicts_ignores_assistant_turns() -> None:
    history = [
        {"role": "user", "content": "How do I negotiate?"},
        {"role": "assistant", "content": "Ask for time [1]."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "And equity?"},
    ]
    assert user_turns(history) == ["How do I negotiate?", "And equity?"]


def test_user_turns_from_langchain_messages() -> None:
    history = [
        SystemMessage("You are helpful."),
        HumanMessage("How do I negotiate?"),
        AIMessage("Ask for time [1]."),
        HumanMessage("And equity?"),
    ]
    assert user_turns(history) == ["How do I negotiate?", "And equity?"]


def test_user_turns_mixed_and_blank_turns_skipped() -> None:
    history = [
        "plain",
        {"role": "user", "content": "dict"},
        HumanMessage("message"),
        AIMessage("reply"),
        "   ",
        {"role": "user", "content": ""},
        {"role": "user", "content": None},
    ]
    assert user_turns(history) == ["plain", "dict", "message"]


def test_user_turns_of_empty_history() -> None:
    assert user_turns([]) == []


# --- looks_like_followup --------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What if they say the number is final?",
        "And equity?",
        "Why?",
        "What about equity?",
        "How about remote roles?",
        "But is it worth it?",
        "Should they counter again, or accept the offer as it stands right now?",
    ],
)
def test_looks_like_followup(question: str) -> None:
    assert looks_like_followup(question)


@pytest.mark.parametrize(
    "question",
    [
        STANDALONE,
        "How should I structure a portfolio of machine learning projects to stand out when "
        "applying for research engineer roles?",
    ],
)
def test_long_self_contained_question_is_not_a_followup(question: str) -> None:
    assert not looks_like_followup(question)


# --- with_context ---------------------------------------------------------------------------


def test_followup_is_read_with_the_previous_user_turn() -> None:
    question = "What if they say the number is final?"
    assert with_context(question, [NEGOTIATE]) == f"{question} {NEGOTIATE}"


def test_only_the_latest_user_turn_is_used() -> None:
    history = [
        "Tell me about burnout recovery",
        {"role": "user", "content": NEGOTIATE},
        {"role": "assistant", "content": "Portfolio projects and burnout recovery matter."},
    ]
    assert with_context("And equity?", history) == f"And equity? {NEGOTIATE}"


def test_context_reads_langchain_messages_and_skips_assistant_turns() -> None:
    history = [HumanMessage(NEGOTIATE), AIMessage("Because portfolio burnout.")]
    assert with_context("Why?", history) == f"Why? {NEGOTIATE}"


def test_without_user_turns_the_question_is_unchanged() -> None:
    assert with_context("Why?", []) == "Why?"
    assert with_context("Why?", [{"role": "assistant", "content": "Because."}]) == "Why?"


@pytest.mark.parametrize(
    ("question", "back"),
    [
        ("Any downsides to it?", True),
        ("What about equity?", True),
        ("Which one of those is Node.js?", True),
        ("How do I negotiate my salary?", False),
        ("Do I need a PhD to work in AI research?", False),
    ],
)
def test_points_back(question: str, back: bool) -> None:
    assert points_back(question) is back
