"""A sponsor's plug (a sentence naming a product the essay links with a referral tag)
answers only a question that asks for services or names the product."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.answer import Assistant
from assistant.answer.plugs import asks_for_services, plugs, sponsors
from assistant.config import Settings
from assistant.domain import Chunk
from assistant.ingest import Ingester
from assistant.search import PassageRetriever, list_runs, split_units
from tests.conftest import SHARED_CORPORA, needs_shared

HANDBOOK = SHARED_CORPORA / "tech-interview-handbook"
ESSAY = """# Negotiating

Use [Rora](https://www.teamrora.com/?utm_source=handbook&utm_medium=referral) for help.
Read [the Levels.fyi data](https://www.levels.fyi/?ref=Handbook) before you ask.
Courses: [System Design](https://example.com/course?utm_source=handbook) and
[Algorithms](https://example.com/algo?aff=12).
<a href="https://acme.example/?utm_source=handbook">Book a call with AcmeCoach &nbsp;→</a>
A [plain link to Zorblat](https://zorblat.example/docs) carries no tag.
Try [Hello Interview](https://hi.example/?utm_source=handbook) or
[interviewing.io](https://iio.sh/r/AbCd), or [ByteByteGo](https://bbg.example?fpr=handbook).
[**Join today for a 70% discount →**](https://x.example/?utm_source=handbook)
"""
VOCAB = frozenset(
    {"read", "the", "data", "system", "design", "system design", "algorithms", "book", "use"}
    | {"hello", "interview", "join", "today", "for", "a", "discount"}
)


def _chunk(tmp_path: Path, text: str = ESSAY) -> Chunk:
    path = tmp_path / "negotiating.md"
    path.write_text(text, encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Chunk("negotiating.md", str(path), "Negotiating", (), text, 0, len(text), 0, sha)


def test_the_names_linked_with_a_referral_tag_are_sponsors(tmp_path: Path) -> None:
    names = sponsors(_chunk(tmp_path), VOCAB)
    # A course's generic words ("System Design") and an untagged link name no sponsor;
    # "Hello Interview" is one: its words are common, but never written together so.
    assert names == {
        "Rora",
        "Levels.fyi",
        "AcmeCoach",
        "Hello Interview",
        "interviewing.io",
        "ByteByteGo",
    }


def test_a_changed_file_names_none(tmp_path: Path) -> None:
    """The file is read only as ingested: rewritten since (still with a sponsor's tagged
    link), it no longer matches the passage's hash and names nothing."""
    chunk = _chunk(tmp_path)
    Path(chunk.path).write_text(ESSAY + "\nA new line.\n", encoding="utf-8")
    assert sponsors(chunk, VOCAB) == frozenset()


def test_units_naming_a_sponsor_are_plugs_and_so_is_their_list() -> None:
    units = split_units(
        "Always negotiate. Use Rora for risk-free negotiation services. "
        "Rorabank is no sponsor.\n\nThings Rora can do for you:\n\n- Coach you\n"
        "- Practise with you\n\nA list of your own:\n\n- Write it down"
    )
    texts = [u.text for u in units]
    runs = list_runs(units)
    sold, offered = plugs(units, frozenset({"Rora"}), runs)
    assert {texts[pos] for pos in sold} == {
        "Use Rora for risk-free negotiation services.",
        "Things Rora can do for you:",
        "Coach you",
        "Practise with you",
    }
    assert offered == set()
    assert plugs(units, frozenset(), runs) == (set(), set())
    # A section on the sponsor is all about it, "It's also risk-free…" included.
    section = split_units("How it works is simple. It's also risk-free.")
    assert plugs(section, frozenset({"Rora"}), [-1, -1], "Rora") == ({0, 1}, set())
    assert plugs(section, frozenset({"Rora"}), [-1, -1], "Always negotiate") == (set(), set())


def test_a_sponsor_among_other_resources_is_offered_not_sold() -> None:
    units = split_units(
        "The best resources include:\n\n- ByteByteGo - a course by Alex Xu\n"
        "- A free primer on GitHub\n- Design Gurus - more courses"
    )
    names = frozenset({"ByteByteGo", "Design Gurus"})
    sold, offered = plugs(units, names, list_runs(units))
    assert sold == set()
    assert {units[pos].text.split(" - ")[0] for pos in offered} == set(names)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("What if I'd rather have someone handle the back-and-forth for me?", True),
        ("I don't really want to pay a negotiation coach. Anything cheaper?", True),
        ("Is there a service that negotiates for you?", True),
        ("what is rora", True),  # names the sponsor
        ("Any courses for behavioral interviews?", True),
        ("What's the cheapest way to do mock interviews?", True),
        ("Recruiters keep pushing me to commit on the call. How do I get off the phone?", False),
        ("How long should my resume be?", False),
        # Names are whole words, and finding, following up or being free buys nothing.
        ("I have an offer from Aurora. How do I negotiate it?", False),
        ("How do I follow up with a recruiter after getting an offer?", False),
        ("I'm free to start next week. Should I still negotiate the offer?", False),
        ("How do I find out what a company values when negotiating?", False),
    ],
)
def test_questions_asking_for_services(question: str, asks: bool) -> None:
    assert asks_for_services(frozenset({"Rora"}), question) is asks


@pytest.fixture(scope="module")
def negotiation(tmp_path_factory, embeddings) -> Assistant:
    if not HANDBOOK.is_dir():
        pytest.skip(f"{HANDBOOK} is absent: the shared essay corpora live beside the repo")
    settings = Settings(data_dir=tmp_path_factory.mktemp("plugs") / "data")
    files = [
        "negotiation-rules.md",
        "negotiation.md",
        "choosing-between-companies.md",
        "mock-interviews.md",
    ]
    Ingester(settings, embeddings=embeddings).run([HANDBOOK / f for f in files])
    return Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))


@needs_shared
@pytest.mark.parametrize(
    "question",
    [
        "Is it worth taking notes during recruiter calls?",
        "Recruiters keep trying to get me to commit on the spot. How do I get off the phone?",
        "I only have one offer and nothing to compete with it. Can I still negotiate a raise?",
    ],
)
def test_an_answer_on_negotiating_sells_nothing_unasked(negotiation, question) -> None:
    answer = negotiation.ask(question)
    assert not answer.refused
    assert "Rora" not in answer.text and "mock negotiation" not in answer.text, answer.text


@needs_shared
def test_asked_for_a_service_the_sponsor_answers(negotiation) -> None:
    answer = negotiation.ask("Is there a service that can negotiate my offer for me?")
    assert not answer.refused and "Rora" in answer.text, answer.text


@needs_shared
def test_an_outline_of_sponsors_answers_only_a_question_asking_for_them(negotiation) -> None:
    """The mock-interview essay's headings are platforms, three of them its sponsors."""
    asked = negotiation.ask("Which mock interview platform should I pick?")
    assert "sets these out: interviewing.io" in asked.text, asked.text
    unasked = negotiation.ask("How should I pick a mock interview partner?")
    assert not unasked.refused and "sets these out" not in unasked.text, unasked.text
