"""A chosen sentence that opens by pointing back ("It's great for…") brings the sentence
it points at, from its own paragraph: pure logic over candidates, then through the real
extractive generator and embedding model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.answer.antecedents import MAX_BACK, Antecedents, opens_by_pointing_back
from assistant.answer.composing import Candidate
from assistant.answer.extractive import ExtractiveGenerator
from assistant.domain import Chunk
from assistant.search import Unit
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.units import UnitVectors
from tests.test_extractive import _retrieved

FLOOR = 0.25


@pytest.mark.parametrize(
    "text",
    [
        "It's great for people who like to ship products quickly.",
        "This means you will own more of the product.",
        "That way, reviewers are less likely to duplicate your work.",
        "They also tend to promote faster.",
        "Doing so could encourage more people to feel ownership.",
        "It was a hard decision, but I took the job.",
        "It allows you to book mock interviews with real engineers.",
        "It reduces the chance that someone wastes hours on a change.",
        "It's an avenue to express your interest in the company.",
        "It's about how you talk about your project.",
        "It's not their decision to make.",
        "However, technical growth might be limited.",
        "But a candidate with two offers has two signals in their favour.",
        "E.g. applying for two roles at one company is not a good idea.",
        "Instead, you'll reuse a few key stories.",
        "So if you care about one product, the choice is clearer.",
        "“This is why we vote,” she said.",
        # A noun of what was said before.
        "A corollary of this rule is that you keep your current salary to yourself.",
        "The reason for that is simple: reviewers are busy.",
        "An example of this is a project with a code of conduct.",
        # "The same" of what was said before.
        "Now do the same for the project's pull requests.",
        "The same applies to a user who wants a feature you can't build.",
    ],
)
def test_openers_that_point_back(text: str) -> None:
    assert opens_by_pointing_back(text)


@pytest.mark.parametrize(
    "text",
    [
        "It is important to ensure the text is selectable.",
        "It's worth noting that equity vests over four years.",
        "It can be hard to say no to a contributor.",
        "It helps to have a mentor.",
        "It is probably not a good idea to spend time on hobbies.",
        "It’s common for a project to have several owners.",
        "It can be frustrating for both parties to wait.",
        "It's not uncommon for engineers to switch teams.",
        "It'll take time to build trust.",
        "It'd be wise to ask first.",
        "It turns out the interviewer wanted a shorter answer.",
        "Instead of hoping people find your project, tell them.",
        "These days, most companies interview remotely.",
        "Those who negotiate earn more.",
        "So many people skip this step.",
        "However you decide, be honest.",
        "Itineraries matter less than you think.",
        "Thusly the team grew.",
        "In smaller companies, you wear many hats.",
        "The rest of this guide covers the onsite.",
        "The goal of this section is to list the steps.",
        "The rest of this article is about pay.",
    ],
)
def test_openers_that_do_not(text: str) -> None:
    assert not opens_by_pointing_back(text)


def _paragraph(
    *sentences: str, line: int = 0, start: int = 0, n: int = 1, relevance: float = 0.5
) -> list[Candidate]:
    return [
        Candidate(n, start + i, Unit(s, line, False), relevance) for i, s in enumerate(sentences)
    ]


def _leans(candidates: list[Candidate]) -> Antecedents:
    return Antecedents(candidates, floor=FLOOR)


def test_the_sentence_pointed_at_comes_along() -> None:
    para = _paragraph(
        "Small companies let you wear many hats.",
        "It's great for people who like to ship.",
        "However, growth may be limited.",
    )
    assert [c.pos for c in _leans(para).added([para[1]])] == [1, 0]


def test_a_chain_of_pointers_stops_at_its_limit() -> None:
    para = _paragraph(
        "Small companies let you wear many hats.",
        "They hire generalists for every role.",
        "It's great for people who like to ship.",
        "They also tend to promote faster.",
    )
    assert MAX_BACK == 2
    assert _leans(para).rows(3) == [2, 1]
    assert para[0] not in _leans(para).added([para[3]])


def test_nothing_is_brought_across_paragraphs_or_passages() -> None:
    first = _paragraph("Small companies let you wear many hats.", line=0)
    second = _paragraph("It's great for people who like to ship.", line=1, start=1)
    assert _leans(first + second).added(second) == second
    other = _paragraph("It's great for people who like to ship.", start=1, n=2)
    assert _leans(first + other).added(other) == other


def test_list_items_neither_bring_nor_are_brought() -> None:
    """On one line (as a table row's cells would be), an item is still no sentence of the
    paragraph: it neither leans on the unit before it nor is leaned on."""
    item = Candidate(1, 0, Unit("Wear many hats at once.", 0, True), 0.5)
    pointer = _paragraph("It's great for people who like to ship.", start=1)
    assert _leans([item, *pointer]).added(pointer) == pointer
    prose = _paragraph("Small companies let you wear many hats.")
    pointing_item = Candidate(1, 1, Unit("It's great for people who ship.", 0, True), 0.5)
    assert _leans([*prose, pointing_item]).added([pointing_item]) == [pointing_item]


def test_nothing_is_brought_that_is_off_the_question_or_says_too_little() -> None:
    pointer = _paragraph("It's great for people who like to ship.", start=1)
    navigation = [Candidate(1, 0, Unit("See our guide to small companies.", 0, False), -1.0)]
    assert _leans(navigation + pointer).added(pointer) == pointer
    off = _paragraph("The weather in Lisbon was lovely.", relevance=0.1)
    assert _leans(off + pointer).added(pointer) == pointer
    fragment = _paragraph("They do.")
    assert _leans(fragment + pointer).added(pointer) == pointer


def test_a_sentence_naming_what_was_said_is_never_quoted_without_it() -> None:
    """ "A corollary of this rule…" brings its rule however far off the question it is (a
    pronoun's sentence does not), and where the rule cannot come (the paragraph starts
    with the corollary, or the rule is a fragment) it is not used at all."""
    corollary = _paragraph("A corollary of this rule is that you keep your pay private.", start=1)
    rule = _paragraph("Protect information as much as possible.", relevance=0.1)
    assert _leans(rule + corollary).rows(1) == [0]
    assert not _leans(rule + corollary).orphaned(1)
    pronoun = _paragraph("It's great for people who like to ship.", start=1)
    assert _leans(rule + pronoun).rows(1) == []
    assert not _leans(rule + pronoun).orphaned(1)
    first = _paragraph("A corollary of this rule is that you keep your pay private.")
    assert _leans(first).orphaned(0)
    fragment = _paragraph("They do.")
    assert _leans(fragment + corollary).orphaned(1)
    # "The same" of a checklist in another paragraph ("Now do the same for the
    # project's pull requests." opened an answer on getting a pull request merged).
    same = _paragraph("Now do the same for the project's pull requests.")
    assert _leans(same).orphaned(0)
    assert not _leans(rule + _paragraph("Do the same for pull requests.", start=1)).orphaned(1)
    # Brought by a sentence pointing at it, a corollary without its rule stays out too.
    chain = _paragraph(
        "They do.",
        "A corollary of this rule is that you keep your pay private.",
        "So given this offer, don't ask for more money.",
    )
    assert _leans(chain).rows(2) == []


def test_a_sentence_already_chosen_is_not_added_twice() -> None:
    para = _paragraph("Small companies let you wear many hats.", "It's great for shipping.")
    assert _leans(para).added(para) == para
    stranger = Candidate(9, 9, Unit("Not among the candidates.", 0, False), 0.5)
    assert _leans(para).added([stranger]) == [stranger]


def test_a_pointing_sentence_pays_for_what_it_brings(embeddings: LocalEmbeddings) -> None:
    """Selection charges a pointing sentence the words it brings, once: with a budget the
    pair fills, nothing else fits, and the sentence brought is not charged again."""
    generator = ExtractiveGenerator(UnitVectors(embeddings))
    texts = [
        "Small companies let you wear many hats from your first day at work.",  # 12 words
        "It's great for people who like to ship products quickly and learn.",  # 12 words
        "Big companies have more structured mentoring for new graduates always.",  # 10 words
    ]
    cands = [
        Candidate(1, i, Unit(t, 0, False), r)
        for i, (t, r) in enumerate(zip(texts, [0.4, 0.8, 0.7], strict=True))
    ]
    vecs = np.eye(3, dtype=np.float32)
    chosen = generator._select(cands, vecs, 20, _leans(cands))
    assert [c.pos for c in chosen] == [1]  # 24 words with what it brings: the budget is spent
    chosen = generator._select(cands, vecs, 60, _leans(cands))
    assert sorted(c.pos for c in chosen) == [1, 2]  # what it brought is not picked again


def test_a_list_item_pays_for_the_list_it_brings() -> None:
    """An item of a short list brings the whole list (``expand_lists``), so choosing it
    costs the list's words: three lists of five items, every item as relevant, and a
    budget of 60 words give one list, not an item of each and then all three whole."""
    generator = ExtractiveGenerator(None, answer_words=200)  # type: ignore[arg-type]
    cands = [
        Candidate(n, pos, Unit(f"Item {pos} of list {n} says eight words here.", pos, True), 0.8)
        for n in (1, 2, 3)
        for pos in range(5)
    ]
    cands = [replace(c, run=0, section=(f"essay{c.n}",)) for c in cands]
    vecs = np.eye(len(cands), dtype=np.float32)
    leans = _leans(cands)
    chosen = generator._expand_lists(generator._select(cands, vecs, 60, leans), cands)
    assert {c.n for c in chosen} == {1} and len(chosen) == 5
    assert sum(len(c.unit.text.split()) for c in chosen) <= 60 * 1.2


def test_the_generator_quotes_what_it_refers_to(embeddings: LocalEmbeddings) -> None:
    """Through the real model: the pointing sentence matches the question best (0.85), the
    one naming its subject much less (0.28, under half of it, so not chosen on its own);
    the answer gives both, in the essay's order."""
    chunk = Chunk(
        source="choosing.md",
        path="choosing.md",
        title="Choosing an employer",
        heading=("Growth",),
        text=(
            "Small companies make you wear many hats from your first day. "
            "It's great for new graduates who want to grow their skills quickly at a startup."
        ),
        start=0,
        end=10,
        ordinal=0,
        file_sha256="0" * 64,
    )
    question = "Will a new graduate grow faster at a startup?"
    generator = ExtractiveGenerator(UnitVectors(embeddings))
    draft = generator.generate(question, _retrieved(embeddings, question, (chunk,)))
    assert "Small companies make you wear many hats" in draft
    assert draft.index("Small companies") < draft.index("great for new graduates")
