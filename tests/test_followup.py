"""Follow-up questions: reading the history and blending recent topic words into the query."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.answer.followup import (
    MAX_ADDED_TERMS,
    blend_query,
    looks_like_followup,
    user_turns,
)

NEGOTIATE = "How should I negotiate my salary offer?"
STANDALONE = (
    "What are the most important skills for an AI engineer working in industry research labs today?"
)


def _added(blended: str, question: str) -> list[str]:
    """The words blend_query appended, in order."""
    assert blended.startswith(f"{question} (")
    assert blended.endswith(")")
    return blended[len(question) + 2 : -1].split()


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


# --- blend_query ----------------------------------------------------------------------------


def test_followup_gets_the_topic_words_of_the_previous_turn() -> None:
    question = "What if they say the number is final?"
    blended = blend_query(question, [NEGOTIATE])
    added = [w.lower() for w in _added(blended, question)]
    assert {"negotiate", "salary", "offer"} <= set(added)
    # stopwords and short words are not topic words
    assert not {"how", "should", "my", "i"} & set(added)


def test_followup_blend_reads_role_dicts_and_ignores_assistant_turns() -> None:
    question = "And equity?"
    history = [
        {"role": "user", "content": NEGOTIATE},
        {"role": "assistant", "content": "Portfolio projects and burnout recovery matter."},
    ]
    added = {w.lower() for w in _added(blend_query(question, history), question)}
    assert {"negotiate", "salary", "offer"} <= added
    assert not {"portfolio", "burnout", "recovery"} & added


def test_followup_blend_reads_langchain_messages() -> None:
    question = "Why?"
    history = [HumanMessage(NEGOTIATE), AIMessage("Because portfolio burnout.")]
    added = {w.lower() for w in _added(blend_query(question, history), question)}
    assert {"negotiate", "salary", "offer"} <= added
    assert "portfolio" not in added


def test_blend_uses_recent_turns_most_recent_first_without_repeats() -> None:
    question = "And equity?"
    history = [
        "Tell me about burnout recovery",
        "How do I build a portfolio?",
        NEGOTIATE,
        "Is the salary offer negotiable?",
    ]
    added = [w.lower() for w in _added(blend_query(question, history), question)]
    assert len(added) == len(set(added))
    assert "burnout" not in added  # older turns add noise, not topic
    assert "portfolio" not in added
    assert added.index("negotiable") < added.index("negotiate")  # the latest turn leads
    assert "equity" not in added  # the question's own words are not repeated


def test_blend_caps_the_added_terms() -> None:
    question = "And then?"
    long_turn = " ".join(f"topicword{chr(97 + i)}" for i in range(MAX_ADDED_TERMS + 8))
    added = _added(blend_query(question, [long_turn]), question)
    assert len(added) == MAX_ADDED_TERMS


def test_standalone_question_is_unchanged() -> None:
    assert blend_query(STANDALONE, [NEGOTIATE]) == STANDALONE


def test_empty_history_leaves_question_unchanged() -> None:
    assert blend_query("What if they say the number is final?", []) == (
        "What if they say the number is final?"
    )
    assert blend_query("Why?", [{"role": "assistant", "content": "Because."}]) == "Why?"


def test_history_without_topic_words_leaves_question_unchanged() -> None:
    assert blend_query("And then?", ["Is it?", "So what?"]) == "And then?"
