"""An essay written as a list of rules answers a broad question with its rules, each
cited to its own section; a question about one point inside it does not get them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answer import Assistant
from assistant.answer.citations import verify
from assistant.answer.clauses import heading_clause
from assistant.config import Settings
from assistant.domain import Chunk
from assistant.ingest import Ingester
from assistant.search import PassageRetriever, asks_for_advice
from assistant.search.outline import (
    is_rule_list,
    outline_items,
    section_heads,
    weighs_options,
)
from tests.conftest import SHARED_CORPORA, needs_shared

HANDBOOK = SHARED_CORPORA / "tech-interview-handbook"
RULES = [
    "Get everything in writing",
    "Always keep the door open",
    "Information is power",
    "Always be positive",
    "Don't be the decision maker",
    "Have alternatives",
    "Proclaim reasons for everything",
    "Be motivated by more than just money",
    "Understand what they value",
    "Be winnable",
]


def _chunk(source: str, heading: str, start: int, title: str = "Ten rules") -> Chunk:
    return Chunk(source, source, title, (heading,), f"Text of {heading}.", start, start + 9, 0)


def test_headings_that_are_instructions_make_a_list_and_topics_do_not() -> None:
    assert is_rule_list("Ten rules of negotiation", RULES)
    assert is_rule_list(
        "Getting started", ["Pick a language", "Find a mentor", "Ship", "Keep at it"]
    )
    topics = ["Compensation", "Products", "Company prospects", "Career growth", "Culture"]
    assert not is_rule_list("Choosing between companies", topics)
    # Asked how to choose, an essay's topics are the factors of the choice.
    assert is_rule_list("Choosing between companies", topics, factors=True)
    assert not is_rule_list("Choosing between companies", topics[:3], factors=True)
    assert not is_rule_list("Ten rules", RULES[:3])  # too short to be a list
    # The bundled essay's sections are topics: gerunds in Title Case name them.
    seed = [
        "Finding Your Focus in a Vast Field",
        "The Theory-Practice Balance",
        "Building a Portfolio That Stands Out",
        "Navigating Industry vs. Research",
        "Continuous Learning Strategies",
    ]
    assert not is_rule_list("Building an AI Career: Lessons from My Journey", seed)
    # Nor are they factors of a choice: chapter titles, not things to weigh.
    assert not is_rule_list("Building an AI Career: Lessons from My Journey", seed, factors=True)
    steps = ["Funding your own time", "Finding funding for your project", "Experiment more"]
    assert is_rule_list("Getting Paid for Open Source Work", [*steps, "Building a case for it"])


def test_an_item_keeps_the_capital_of_a_name() -> None:
    vocab = frozenset({"compensation", "career", "get", "hello"})
    assert heading_clause("Compensation", vocab) == "compensation"
    assert heading_clause("Career growth", vocab) == "career growth"
    assert heading_clause("Get everything in writing", vocab) == "get everything in writing"
    # Platforms a list of options is headed by: names the essays never write lower-cased.
    assert heading_clause("Pramp", vocab) == "Pramp"
    assert heading_clause("Hello Interview", vocab) == "Hello Interview"
    assert heading_clause("Always be positive", vocab) == "always be positive"  # a common start
    assert heading_clause("Pramp") == "pramp"  # without the corpus's words, as before


def test_questions_and_boilerplate_sections_are_not_items() -> None:
    heads = [
        _chunk("a.md", "What is a maintainer?", 0),
        _chunk("a.md", "Document your processes", 10),
        _chunk("a.md", "Why people give", 20),
        _chunk("a.md", "Conclusion", 30),
        _chunk("a.md", "Additional Resources", 40),
        _chunk("a.md", "Learn to say no", 50),
    ]
    items = outline_items(section_heads(heads, "a.md"))
    assert [c.heading[0] for c in items] == ["Document your processes", "Learn to say no"]


@pytest.mark.parametrize(
    ("question", "advice"),
    [
        ("How do I negotiate a job offer?", True),
        ("What should I put on my resume?", True),
        ("Should I take the startup offer?", True),
        ("Any tips for a first open source PR?", True),
        ("Who wrote the negotiation essay?", False),
        ("Meta bonus multipliers", False),
        # A quantity asked wants a figure, not the essay's outline.
        ("How long should my resume be if I have 10 years of experience?", False),
        ("How many projects should my portfolio have?", False),
    ],
)
def test_advice_questions(question: str, advice: bool) -> None:
    assert asks_for_advice(question) is advice


@pytest.mark.parametrize(
    ("question", "weighing"),
    [
        ("How do I choose between two job offers?", True),
        ("I have an offer from a big company and one from a startup. How do I pick?", True),
        ("What factors should I consider when deciding which company to join?", True),
        ("What should I look for in a company when job hunting?", True),
        ("How do I negotiate a job offer?", False),
        ("Can I pick up a second language while working?", False),
        ("What's the difference between senior and staff?", False),
    ],
)
def test_questions_weighing_options(question: str, weighing: bool) -> None:
    assert weighs_options(question) is weighing
    assert asks_for_advice(question) or not weighing


@pytest.fixture(scope="module")
def negotiation(tmp_path_factory, embeddings) -> Assistant:
    if not HANDBOOK.is_dir():
        pytest.skip(f"{HANDBOOK} is absent: the shared essay corpora live beside the repo")
    settings = Settings(data_dir=tmp_path_factory.mktemp("outline") / "data")
    files = ["negotiation-rules.md", "negotiation.md", "choosing-between-companies.md"]
    Ingester(settings, embeddings=embeddings).run([HANDBOOK / f for f in files])
    return Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))


@needs_shared
def test_a_broad_question_gets_the_essays_rules_each_cited_to_its_heading(negotiation) -> None:
    answer = negotiation.ask("How do I negotiate a job offer?")
    lead = answer.text.split(". ", 1)[0]
    assert lead.startswith("The essay “Ten rules of negotiation” sets these out: ")
    raw = (HANDBOOK / "negotiation-rules.md").read_text(encoding="utf-8")
    by_n = {c.n: c for c in answer.citations}
    for rule in RULES:
        found = re.search(re.escape(rule[1:]) + r" \[(\d+)\]", lead)
        assert found, f"rule {rule!r} missing from {lead!r}"
        cite = by_n[int(found.group(1))]
        assert cite.source.endswith("negotiation-rules.md")
        assert cite.heading == rule
        # The highlight is the heading itself, in the essay file, unless a sentence of
        # the answer also cites that section: a passage has one highlight, its quote.
        quoted = raw[cite.start : cite.end].strip().rstrip(".")
        body = answer.text[len(lead) :]
        assert quoted == rule or (
            f"[{cite.n}]" in body and cite.quote.rstrip(".!?")[:40] in body
        ), (rule, quoted)
    assert len(answer.text.split()) > len(lead.split()) + 10  # then the essays' sentences


@needs_shared
def test_the_rules_answer_a_broad_question_where_another_essay_leads(negotiation) -> None:
    """ "How do I negotiate an offer?" matches "Negotiation" and "Choosing between
    companies" first; the rules essay holds two of the top five passages and the
    question is about it as a whole, so its rules still lead the answer."""
    answer = negotiation.ask("How do I negotiate an offer?")
    assert answer.text.startswith("The essay “Ten rules of negotiation” sets these out: ")


@needs_shared
@pytest.mark.parametrize(
    "question", ["How do I choose between two job offers?", "How should I pick between two offers?"]
)
def test_a_question_weighing_options_gets_the_essays_factors(negotiation, question) -> None:
    answer = negotiation.ask(question)
    lead = answer.text.split(". ", 1)[0]
    assert lead.startswith("The essay “Choosing between companies” sets these out: ")
    by_n = {c.n: c for c in answer.citations}
    for factor in ["Compensation", "Career growth", "Work-life balance"]:
        found = re.search(re.escape(factor.lower()) + r" \[(\d+)\]", lead)
        assert found, f"factor {factor!r} missing from {lead!r}"
        cite = by_n[int(found.group(1))]
        assert cite.source.endswith("choosing-between-companies.md")
        assert cite.heading == factor
    # Not asked how to choose, the topics are no outline: the same question as advice.
    plain = negotiation.ask("How do I negotiate a better salary?")
    assert "“Choosing between companies” sets these out" not in plain.text
    # Asked about one of its sections, the section answers, not the whole list.
    culture = negotiation.ask("What should I look for in a company's culture?")
    assert not culture.refused and "sets these out" not in culture.text


@needs_shared
def test_a_question_about_one_point_gets_no_outline(negotiation) -> None:
    answer = negotiation.ask(
        "Recruiters keep trying to get me to commit on the spot. "
        "How do I get off the phone without agreeing to anything?"
    )
    assert not answer.refused and "sets these out" not in answer.text


@needs_shared
def test_outlines_can_be_turned_off(negotiation) -> None:
    settings = negotiation.settings.replace(outlines=False)
    plain = Assistant(settings, negotiation.embeddings, negotiation.retriever)
    assert "sets these out" not in plain.ask("How do I negotiate a job offer?").text


@needs_shared
def test_the_citation_check_holds_for_outline_claims(negotiation) -> None:
    """An outline clause is a claim like any other: a rule the essay doesn't give is
    dropped, and the lead may only name the essay it cites."""
    retrieved = negotiation.retriever.with_outline(
        negotiation.retriever.retrieve("How do I negotiate a job offer?")
    )
    assert len(retrieved.outline) == len(RULES)
    first = retrieved.outline[0]
    draft = (
        f"The essay “Ten rules of negotiation” sets these out: get everything in writing "
        f"[{first}]; always accept the first number they offer [{first}]."
    )
    checked = verify(draft, retrieved.hits, negotiation.scorer, negotiation.settings.support_min)
    assert "get everything in writing" in checked.text
    assert "accept the first number" not in checked.text
    forged = f"The essay “Negotiation” sets these out: get everything in writing [{first}]."
    checked = verify(forged, retrieved.hits, negotiation.scorer, negotiation.settings.support_min)
    assert "“Negotiation”" not in checked.text and "everything in writing" in checked.text.lower()


def test_outline_module_is_pure_search_logic() -> None:
    text = Path(__file__).parents[1].joinpath("assistant/search/outline.py").read_text()
    assert "import chromadb" not in text and "assistant.answer" not in text
