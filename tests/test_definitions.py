"""A question that asks what a term means is answered when a passage found uses the term,
and refused, naming it, when none does (#10: refuse what isn't covered, answer what is)."""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.answer.coverage import JARGON_IN, explains, is_jargon
from assistant.answer.definitions import asked_term
from assistant.domain import Chunk, SearchHit
from assistant.search import PassageRetriever


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What's BATNA?", "BATNA"),
        ("batna meaning?", "batna"),
        ("whats pramp", "pramp"),
        ("What's a staff engineer exactly?", "staff engineer"),
        ("Can you explain what an elevator pitch is?", "elevator pitch"),
        ("can you explain personal ecology", "personal ecology"),
        ("What does BDFL stand for?", "BDFL"),
        ("what does WIP mean on a pull request", "WIP"),  # where it was met is no part
        ("What’s a “vesting cliff”?", "vesting cliff"),
        ("fiscal sponsor definition", "fiscal sponsor"),
        # Questions of their own, not a term's meaning.
        ("What is the best way to negotiate?", ""),
        ("What's the difference between RSUs and options?", ""),
        ("What is it like to work at Google?", ""),
        ("What does that mean?", ""),
        ("What should I do?", ""),
        ("How do I turn it down?", ""),
        ("What are the main rules for negotiating a job offer?", ""),
        ("What is a good way to ask for more equity?", ""),
        ("espp?", ""),  # a bare word is as often a follow-up ("equity?")
    ],
)
def test_the_term_a_question_asks_about(question: str, term: str) -> None:
    assert asked_term(question) == term


def _hit(text: str, heading: tuple[str, ...] = ()) -> SearchHit:
    return SearchHit(Chunk("a.md", "a.md", "Offers", heading, text, 0, len(text), 0), 0.3)


def test_a_term_is_explained_only_where_one_passage_uses_all_its_words() -> None:
    hits = [_hit("Liquidity is low at startups."), _hit("State your preferences.")]
    assert not explains("liquidation preference", hits)
    assert explains("liquidity preferences", [*hits, _hit("Liquidity preferences vary.")])
    assert explains("strike price", [_hit("Options are bought at a strike price.")])
    assert explains("BATNA", [_hit("Communicate it.", ("Have a strong BATNA",))])  # a heading
    assert not explains("", hits)


def test_jargon_is_a_term_with_a_word_few_passages_use() -> None:
    counts = {"batna": 1, "life": 13, "mean": 31, "vest": JARGON_IN, "cliff": JARGON_IN + 1}
    assert is_jargon("BATNA", lambda w: counts.get(w, 0))
    assert is_jargon("vesting cliff", lambda w: counts.get(w, 0))
    assert not is_jargon("meaning of life", lambda w: counts.get(w, 0))
    assert not is_jargon("cliff", lambda w: counts.get(w, 0))


@pytest.fixture(scope="module")
def bot(handbook_settings, embeddings) -> Assistant:
    retriever = PassageRetriever.from_settings(handbook_settings, embeddings)
    return Assistant(handbook_settings, embeddings, retriever)


def test_a_term_a_passage_uses_is_answered_however_short_the_question(bot: Assistant) -> None:
    """Two words match no passage well by their vector (weak evidence), but the one
    sentence that uses "BATNA" says what it is."""
    answer = bot.ask("What's BATNA?")
    assert not answer.refused, answer.text
    assert "Best Alternative To a Negotiated Agreement" in answer.text
    assert any(c.source.endswith("negotiation-rules.md") for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "what is sponsorware",
        "What's a 409A valuation?",
        "what's a skip-level",
    ],
)
def test_a_term_no_passage_uses_is_refused_naming_it(bot: Assistant, question: str) -> None:
    answer = bot.ask(question)
    assert answer.refused and answer.reason == "unexplained-term", answer.text
    assert f"No essay explains “{asked_term(question)}”" in answer.text
    assert not answer.citations


def test_a_term_far_from_every_essay_is_refused_as_off_topic(bot: Assistant) -> None:
    answer = bot.ask("What is the meaning of life?")
    assert answer.refused and answer.reason == "off-topic", answer.text
