"""What a conversation's previous answer said, and how a follow-up's answer avoids it."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from assistant.answer.composing import Candidate
from assistant.answer.repeats import SAID_CHARS, already_said, said_before
from assistant.apps.discord_questions import thread_history
from assistant.apps.inputs import history_of
from assistant.search import Unit

ANSWER = (
    "The author of “Building an AI Career” writes: Methods I've found effective: allocating "
    "specific time for reading papers [1]; and following specific research threads [1]. "
    "Senior Software Engineer: Description — Experienced individual contributor with a "
    "deeper technical understanding [2]; Influence — Team [2]."
)


def test_the_last_answer_is_read_from_any_kind_of_history() -> None:
    assert said_before(["How do I negotiate?", "And equity?"]) == ""
    assert said_before([]) == ""
    messages: list[Any] = [
        {"role": "user", "content": "How do I negotiate?"},
        {"role": "assistant", "content": "Never give the first number [1]."},
        {"role": "user", "content": "And equity?"},
        {"role": "assistant", "content": "Ask for the vesting schedule [2]."},
    ]
    assert said_before(messages) == "Ask for the vesting schedule [2]."
    chain = [HumanMessage("How do I negotiate?"), AIMessage("Never give the first number.")]
    assert said_before(chain) == "Never give the first number."
    # An answer before the last question answered something older; none came after it.
    assert said_before([*messages, {"role": "user", "content": "And stock?"}]) == ""
    assert said_before([*messages, {"content": "no role: a user turn"}]) == ""
    assert said_before([*messages, "a plain string is a question"]) == ""
    assert said_before([{"role": "assistant", "content": None}]) == ""
    huge = "x" * (SAID_CHARS + 10)
    assert len(said_before([{"role": "assistant", "content": huge}])) == SAID_CHARS


def test_a_unit_is_recognised_however_the_answer_rewrote_it() -> None:
    """Markers, a lowered first letter, "—" for a label's colon and an author's
    attribution do not hide a repeat; a different sentence is not one."""
    repeated = already_said(ANSWER)
    assert repeated("Allocating specific time for reading papers.")
    assert repeated("Following specific research threads")
    assert repeated(
        "**Description**: Experienced individual contributor with a deeper technical understanding."
    )
    assert not repeated("Reading papers takes specific time.")
    assert not repeated("Influence: Team")  # too short to tell from a coincidence
    assert not already_said("")("Allocating specific time for reading papers.")


def test_the_http_history_keeps_the_last_answer_to_avoid_not_to_answer_from() -> None:
    history = history_of(
        [
            {"role": "user", "content": "How do I negotiate?"},
            {"role": "assistant", "content": "An older answer."},
            {"role": "system", "content": "ignored"},
            {"role": "assistant", "content": "Never give the first number [1]."},
        ],
        "messages",
    )
    assert history.turns == ("How do I negotiate?",)
    assert history.said == "Never give the first number [1]."
    assert history.messages() == [
        "How do I negotiate?",
        {"role": "assistant", "content": "Never give the first number [1]."},
    ]
    assert history_of(["Only a question"], "history").messages() == ["Only a question"]
    # An answer followed by another question answered an older one: not "the last answer".
    older = history_of(
        [{"role": "assistant", "content": "Old answer."}, {"role": "user", "content": "Next?"}],
        "messages",
    )
    assert older.said == "" and older.messages() == ["Next?"]


def _msg(author_id: int | None, content: str, *, bot: bool = False) -> Any:
    author = None if author_id is None else SimpleNamespace(id=author_id, bot=bot)
    return SimpleNamespace(author=author, content=content)


def test_a_discord_thread_passes_our_last_answer() -> None:
    """Our answer (in parts, as Discord splits it) after the last question is passed on;
    another bot's messages and our answers to earlier questions are not."""
    me = 42
    messages = [
        _msg(7, "<@42> How do I negotiate?"),
        _msg(me, "Never give the first number [1]."),
        _msg(8, "Me too", bot=True),
        _msg(7, "And equity?"),
        _msg(me, "Ask for the vesting schedule [2]."),
        _msg(me, "Sources: …"),
    ]
    assert thread_history(messages, me) == [
        "How do I negotiate?",
        "And equity?",
        {"role": "assistant", "content": "Ask for the vesting schedule [2].\nSources: …"},
    ]
    # A /ask thread holds no question of its own: the answer still comes through.
    assert thread_history([_msg(me, "Pick one area [1].")], me) == [
        {"role": "assistant", "content": "Pick one area [1]."}
    ]


def _item(pos: int, text: str, *, said: bool = False, lead: bool = False) -> Candidate:
    unit = Unit(text, pos, not lead)
    return Candidate(1, pos, unit, 0.5, said=said, run=0)


def test_a_list_the_last_answer_gave_is_not_quoted_whole_again_unless_that_misquotes_it() -> None:
    from assistant.answer.list_quoting import members_of as _members

    lead = _item(0, "Methods I've found effective:", lead=True)
    a, b = _item(1, "Reading papers weekly", said=True), _item(2, "Following research threads")
    c = _item(3, "Implementing papers from scratch")
    both_new = [lead, a, b, c]
    assert _members(b, both_new) == [lead, b, c]  # two new items: the said one stays out
    # One new item chosen: it comes under its lead-in, without the items just said.
    one_new = [lead, a, _item(2, "Following threads", said=True), c]
    assert _members(c, one_new) == [lead, c]
    # Every item said, and the lead-in chosen to fill: the list again, not a bare lead-in.
    all_said = [lead, *(replace(x, said=True) for x in (a, b, c))]
    assert _members(lead, all_said) == all_said
    # A list whose lead-in counts its items is quoted whole, or it would miscount them;
    # one that announces it without a count ("Here are the methods I use:") is not.
    for lead_in in ("There are three common structures:", "My 3 favourite habits:"):
        counted = [_item(0, lead_in, lead=True), a, b, c]
        assert _members(b, counted) == counted
    here = _item(0, "Here are the methods I use:", lead=True)
    assert _members(b, [here, a, b, c]) == [here, b, c]


def test_a_lead_in_picked_to_fill_beside_its_chosen_item_does_not_bring_the_list_again() -> None:
    """ "And should I write about them too?" after the essay's list of portfolio
    strategies: its item on writing is chosen, and the lead-in too, to fill. The item
    brings the lead-in; the lead-in does not bring the four items the last answer gave."""
    from assistant.answer.extractive import ExtractiveGenerator

    lead = _item(0, "What worked for me:", lead=True, said=True)
    items = [
        _item(1, "Quality over quantity: a few novel projects", said=True),
        _item(2, "End-to-end solutions: complete applications", said=True),
        _item(3, "Writing: publishing technical articles", said=True),
    ]
    every = [lead, *items]
    expand = ExtractiveGenerator(None, answer_words=200)._expand_lists  # type: ignore[arg-type]
    assert sorted(c.pos for c in expand([items[2], lead], every)) == [0, 3]
    # Picked alone, the lead-in still brings its list rather than stand bare.
    assert sorted(c.pos for c in expand([lead], every)) == [0, 1, 2, 3]
    # Whatever the order they were picked in, and with a new item the list brings.
    fourth = _item(4, "Teaching: explaining concepts to others")
    grown = [*every, fourth]
    assert sorted(c.pos for c in expand([items[2], lead], grown)) == [0, 3, 4]
    assert sorted(c.pos for c in expand([lead, items[2]], grown)) == [0, 3, 4]
    # Two of its items chosen: the whole list, not the two with a gap between them.
    assert sorted(c.pos for c in expand([items[0], items[2], lead], every)) == [0, 1, 2, 3]
