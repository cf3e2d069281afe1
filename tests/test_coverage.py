"""A question about something no essay names is refused, saying what; a question that
only uses words the essays lack is not (#10: refuse what isn't covered)."""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.answer.coverage import name_words, unseen_names
from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.ingest import Ingester
from assistant.search import PassageRetriever
from tests.conftest import CORPUS


def _hits(text: str) -> list[SearchHit]:
    return [SearchHit(Chunk("a.md", "a.md", "Interviews", (), text, 0, len(text), 0), 0.6)]


KNOWN = {"googl": 9, "meta": 5}


def _df(term: str) -> int:
    return KNOWN.get(term, 0)


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What are Microsoft's salary bands for a level 62 engineer?", ("Microsoft", "62")),
        ("How do interviews at Google differ from Meta?", ()),  # the essays know them
        ("Should I wait until my messy repo is polished?", ()),  # common words are no names
        ("What do interviewers look for in a system design round?", ()),
        # Names given as examples are not the subject; "like at" is no example.
        ("Will reimplementing papers like ResNet and a mini GPT impress anyone?", ()),
        ("Are famous models, for example ResNet or BERT, worth reimplementing?", ()),
        ("What is the interview process like at Jane Street?", ("Jane Street",)),
        ("I like Jane Street. Should I apply there?", ("Jane Street",)),  # "like": a verb
        ("I’d really like Jane Street. Should I apply?", ("Jane Street",)),
        ("Sounds like Jane Street is hard. Should I apply?", ("Jane Street",)),
        ("For example, Jane Street asked me about puzzles. How do I prepare?", ("Jane Street",)),
        (
            "I reimplemented ResNet and Copilot, like Karpathy did. Does that help?",
            ("ResNet", "Copilot", "Karpathy"),  # "like" after a comma: no example
        ),
    ],
)
def test_names_the_essays_never_use(question: str, names: tuple[str, ...]) -> None:
    assert unseen_names(question, _hits("Interviews test coding and design."), _df) == names


def test_a_name_the_passages_use_is_seen() -> None:
    hits = _hits("At Jane Street the interviews focus on probability.")
    assert unseen_names("What is the process like at Jane Street?", hits, _df) == ()


def test_words_are_counted_once() -> None:
    assert name_words(("Jane Street",)) == 2
    assert name_words(("ML", "ML")) == 1


@pytest.fixture(scope="module")
def seed_bot(tmp_path_factory, embeddings) -> Assistant:
    settings = Settings(data_dir=tmp_path_factory.mktemp("coverage") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    return Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))


def test_a_question_about_an_unknown_company_is_refused_naming_it(seed_bot) -> None:
    answer = seed_bot.ask("What do AI research interviews at Jane Street focus on?")
    assert answer.refused and answer.reason == "unseen-names"
    assert "No essay mentions “Jane Street”" in answer.text and not answer.citations


def test_the_same_question_without_the_name_is_answered(seed_bot) -> None:
    answer = seed_bot.ask("What do AI research careers focus on?")
    assert not answer.refused and answer.citations


def test_the_rule_can_be_turned_off(seed_bot) -> None:
    settings = seed_bot.settings.replace(refuse_unseen_names=0)
    bot = Assistant(settings, seed_bot.embeddings, seed_bot.retriever)
    assert bot.ask("What do AI research interviews at Jane Street focus on?").reason != (
        "unseen-names"
    )
