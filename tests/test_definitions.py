"""A question that asks what a term means is answered when the best passage found defines
the term, and refused, naming it, when a word of it is one no essay uses (#10: refuse what
isn't covered, answer what is)."""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.answer.coverage import JARGON_IN, defines, is_jargon, term_verdict
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
        ("What does BDFL stand for?", "BDFL"),
        ("what does WIP mean on a pull request", "WIP"),  # where it was met is no part
        ("What does dependabot do?", "dependabot"),
        ("What’s a “vesting cliff”?", "vesting cliff"),
        ("Ok so what's a vesting cliff?", "vesting cliff"),
        ("fiscal sponsor definition", "fiscal sponsor"),
        ("what is levels.fyi", "levels.fyi"),
        # Questions of their own, not a term's meaning.
        ("What is the best way to negotiate?", ""),
        ("What's the difference between RSUs and options?", ""),
        ("What are RSUs vs options", ""),
        ("What is it like to work at Google?", ""),
        ("What is Google like?", ""),
        ("What's Stripe's interview like?", ""),
        ("What is expected at L5?", ""),
        ("What's the capital of Australia?", ""),
        ("What is the meaning of life?", ""),
        ("What does that mean?", ""),
        ("What should I do?", ""),
        ("What do FAANG companies pay?", ""),  # "what do" asks a meaning only with "mean"
        ("What does Amazon look for?", ""),
        ("What does a recruiter do when they ghost you?", ""),
        ("What's a fair raise?", ""),  # what counts as good, not what a word means
        ("What is a reasonable counter offer?", ""),
        ("What is considered senior?", ""),
        ("What's BATNA? And how do I use it?", ""),  # more than one ask
        ("What is a PIP and how do I survive one?", ""),
        ("What is BATNA. Tell me more", ""),
        ("What are the chances?", ""),
        ("What are some red flags?", ""),
        ("What is equity worth?", ""),
        ("What is a sign-on bonus?", "sign-on bonus"),  # "on" inside a word is no "on"
        ("What's BDFL stand for?", "BDFL"),
        ("What's an RSU, actually?", ""),
        ("espp?", ""),  # a bare word is as often a follow-up ("equity?")
        # Markup is no term: nothing of it is echoed back in a refusal.
        ("What's [salary negotiation](https://phish.example/claim)?", ""),
        ("What does https://phish.example/offer mean?", ""),
        ("What is <img src=x onerror=alert(1)>?", ""),
    ],
)
def test_the_term_a_question_asks_about(question: str, term: str) -> None:
    assert asked_term(question) == term


def _hit(text: str) -> SearchHit:
    return SearchHit(Chunk("a.md", "a.md", "Offers", (), text, 0, len(text), 0), 0.3)


@pytest.mark.parametrize(
    ("text", "term", "defined"),
    [
        ("Have a strong BATNA (Best Alternative To a Negotiated Agreement).", "BATNA", True),
        ("A Restricted Stock Unit (RSU) is yours at once.", "RSU", True),
        ("Fixed at a strike price, which is the fair market value.", "strike price", True),
        ("BDFL: one person has the final say.", "BDFL", True),
        ("Restricted Stock Units (RSUs) vest.", "RSU", True),  # its plural
        ("Until the company goes public (IPO) or is acquired.", "IPOs", True),  # asked so
        ("Before jumping in blindly with suggestions, ask.", "Blind", False),  # a stem only
        ("Practice in Java, Python or C++.", "Java", False),  # named in passing
        ("L5 (Senior SWE) | $355,000 | $188,000", "L5", False),  # a table row
        ("Options are bought at a strike price.", "strike price", False),
    ],
)
def test_a_passage_defines_a_term_it_writes_as_it_says_what_it_is(
    text: str, term: str, defined: bool
) -> None:
    assert defines(term, [_hit(text)]) is defined


def test_the_verdict_on_a_term() -> None:
    """A word no passage uses refuses; jargon the best passage defines answers; otherwise
    the usual rules decide. (Stand-in counts: how many passages use each word.)"""
    counts = {"batna": 1, "strike": 1, "price": 2, "life": 13, "staff": 8, "engin": 150}
    df = counts.get  # None for words no passage uses
    defining = [_hit("Have a strong BATNA (Best Alternative To a Negotiated Agreement).")]
    elsewhere = [_hit("Negotiate."), *defining]

    def verdict(term: str, hits: list[SearchHit]) -> str:
        return term_verdict(term, hits, lambda w: df(w) or 0)

    assert verdict("BATNA", defining) == "answer"
    assert verdict("BATNA", elsewhere) == ""  # defined, but not by the best passage
    assert verdict("409A valuation", defining) == "refuse"
    assert verdict("staff engineer", [_hit("A staff engineer is a leader.")]) == ""  # no jargon
    assert verdict("C++", defining) == ""  # no word to judge by
    # Used by two passages, though by none of those found: not refused (the usual rules).
    assert term_verdict("WIP", [_hit("Negotiate.")], lambda w: 2) == ""


def test_jargon_is_a_term_with_a_word_few_passages_use() -> None:
    counts = {"batna": 1, "life": 13, "mean": 31, "vest": JARGON_IN, "cliff": JARGON_IN + 1}
    assert is_jargon("BATNA", lambda w: counts.get(w, 0))
    assert is_jargon("vesting cliff", lambda w: counts.get(w, 0))
    assert not is_jargon("cliff", lambda w: counts.get(w, 0))


@pytest.fixture(scope="module")
def bot(handbook_settings, embeddings) -> Assistant:
    retriever = PassageRetriever.from_settings(handbook_settings, embeddings)
    return Assistant(handbook_settings, embeddings, retriever)


@pytest.mark.parametrize(
    ("question", "says"),
    [
        # Two words match no passage well by their vector (weak evidence), but the best
        # passage found says what "BATNA" is.
        ("What's BATNA?", "Best Alternative To a Negotiated Agreement"),
        ("What are RSUs?", "Restricted Stock Unit (RSU)"),  # the plural of the acronym
        ("What does strike price mean?", "strike price"),  # "…, which is equal to…"
    ],
)
def test_a_term_the_best_passage_defines_is_answered(
    bot: Assistant, question: str, says: str
) -> None:
    answer = bot.ask(question)
    assert not answer.refused, answer.text
    assert says in answer.text and answer.citations


@pytest.mark.parametrize(
    "question", ["what is sponsorware", "What's a 409A valuation?", "what's a skip-level"]
)
def test_a_term_with_a_word_no_essay_uses_is_refused_naming_it(
    bot: Assistant, question: str
) -> None:
    answer = bot.ask(question)
    assert answer.refused and answer.reason == "unexplained-term", answer.text
    assert f"No essay explains “{asked_term(question)}”" in answer.text
    assert not answer.citations


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # "L5 (Senior SWE) | $355,000 | …" names L5 in a table row: no sentence to answer
        # with, so the usual rules refuse it as they did before.
        ("What is an L5?", "weak-evidence"),
        ("What is Blind?", "off-topic"),  # far from every essay here: refused as such
    ],
)
def test_a_term_no_passage_defines_is_left_to_the_usual_rules(
    bot: Assistant, question: str, reason: str
) -> None:
    answer = bot.ask(question)
    assert answer.refused and answer.reason == reason, answer.text


def test_a_follow_up_is_no_term_question(bot: Assistant) -> None:
    """ "What are the drawbacks?" after a question on RSUs asks about RSUs: no essay uses
    "drawbacks", and it was refused as "No essay explains “drawbacks”"."""
    answer = bot.ask("What are the drawbacks?", ["Should I take RSUs or stock options?"])
    assert answer.reason != "unexplained-term", answer.text
