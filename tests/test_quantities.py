"""Questions that ask for a quantity: which quantity, which sentences state it, and how
retrieval and the extractive answer use that (pure logic, then through the real index)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.answer.chain import Assistant
from assistant.answer.followup import Reading
from assistant.config import Settings
from assistant.search import (
    PassageRetriever,
    Retrieved,
    asked_quantity,
    measure_words,
    states_quantity,
)
from assistant.search.fusion import fuse
from assistant.search.quantities import Asked, of_closest_essay, quantity_ranking
from tests.conftest import HANDBOOK


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long should my resume be?", "duration"),
        ("How long should I talk when an interviewer asks me to introduce myself?", "duration"),
        ("How many weeks should I set aside to get ready for coding interviews?", "duration"),
        ("How fast do I need to review a newcomer's contribution?", "time"),
        ("How often do bonuses get paid at big tech companies?", "time"),
        ("How many interview rounds would I face as an intern?", "count"),
        ("How much of a raise should I ask for?", "amount"),
        ("How much does Google pay new grads?", "amount"),
        ("How much time should I spend preparing?", "duration"),
        ("I heard bonuses go way above target. How far above can it go?", "amount"),
    ],
)
def test_the_quantity_a_question_asks(question: str, kind: str) -> None:
    asked = asked_quantity(question)
    assert asked is not None and asked.kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "What should I put on my resume as a new grad?",
        "Should I negotiate my first offer?",
        # A degree, not an amount.
        "How much would my scope need to grow compared with now?",
        "How much does it matter that I understand the healthcare side?",
        # Read with the conversation, an earlier turn's "how long" is not this question's.
        "What about fonts? How long should my resume be?",
    ],
)
def test_no_quantity_asked(question: str) -> None:
    assert asked_quantity(question) is None


def test_a_count_names_what_it_counts() -> None:
    rounds = asked_quantity("How many interview rounds would I face as an intern?")
    assert rounds is not None
    assert states_quantity("Internship interviews are short (usually just 2 rounds)", rounds)
    questions = asked_quantity("How many questions should I ask at the end?")
    assert questions is not None
    # "Ten Rules" counts rules, not questions.
    assert not states_quantity('Key points from "Ten Rules for Negotiating a Job Offer"', questions)
    assert states_quantity("Prepare two or three questions to ask", questions)


@pytest.mark.parametrize(
    ("kind", "text", "states"),
    [
        ("duration", "Use only 1 page for your resume", True),
        ("duration", "The only time was in the elevator, around 30 seconds.", True),
        ("duration", "Keep it short and sweet.", False),
        ("duration", "Highlighting a few of your best achievements is better", False),
        ("time", "contributors who received code reviews within 48 hours returned", True),
        ("time", "Bonuses are usually paid on a semi-annual basis", True),
        ("time", "Be responsive to newcomers.", False),
        ("amount", "the multiplier can go up to 300% for top performers", True),
        ("amount", "a base salary of above USD 100,000", True),
        ("amount", "Companies reward their top performers handsomely", False),
    ],
)
def test_which_sentences_state_the_quantity(kind: str, text: str, states: bool) -> None:
    assert states_quantity(text, Asked(kind)) is states


def test_the_words_that_name_the_measure_are_not_the_subject() -> None:
    assert measure_words("How long should my resume be?") == {"long"}
    assert measure_words("Should my resume be long?") == frozenset()


def unit(text: str, vec: list[float]) -> tuple[str, np.ndarray]:
    return text, np.asarray(vec, dtype=np.float32)


def test_passages_ranked_by_their_sentence_that_states_the_quantity() -> None:
    """Only units that say something count: a table row as it stands states numbers but
    says nothing on its own (it is quoted only read with its header), so it brings no
    passage."""
    passages = {
        "keywords": [unit("Some ATS weigh a keyword by its frequency in your resume", [1, 0])],
        "less": [unit("Highlighting a few achievements", [0.2, 1]), unit("Use 1 page", [0.6, 1])],
        "table": [unit("Resume | 2 pages | 1 page", [0.9, 0])],
        "tips": [unit("Keep it under 2 pages if you have 10 years", [0.3, 1])],
    }

    def units_of(cid: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        texts = [t for t, _ in passages[cid]]
        says = np.array([" | " not in t for t in texts])
        return np.stack([v for _, v in passages[cid]]), says, texts

    qvec = np.asarray([1, 0], dtype=np.float32)
    ranked = quantity_ranking(list(passages), units_of, qvec, Asked("duration"))
    assert ranked == ["less", "tips"]


def test_the_stating_ranking_lifts_a_passage_into_the_top_k() -> None:
    dense = [f"p{i}" for i in range(10)]
    lexical = ["p1", "p0", "p2"]
    settings = Settings()
    plain = [cid for cid, _ in fuse(dense, lexical, {}, {}, settings)]
    lifted = [cid for cid, _ in fuse(dense, lexical, {}, {}, settings, stating=["p9"])]
    assert "p9" not in plain[:5]
    assert "p9" in lifted[:5]
    off = settings.replace(quantity_weight=0.0)
    assert [cid for cid, _ in fuse(dense, lexical, {}, {}, off, stating=["p9"])] == plain


@pytest.fixture(scope="module")
def resume_settings(tmp_path_factory, embeddings) -> Settings:
    """An index of the handbook's resume essay alone (about 15 s to ingest)."""
    from assistant.ingest.pipeline import Ingester

    if not HANDBOOK.is_dir():
        pytest.skip(f"{HANDBOOK} is absent: the shared essay corpora live beside the repo")
    top = tmp_path_factory.mktemp("resume")
    (top / "essays").mkdir()
    shutil.copy(HANDBOOK / "resume.md", top / "essays")
    settings = Settings(data_dir=top / "data", corpus=(top / "essays",))
    Ingester(settings, embeddings=embeddings).run()
    return settings


def test_how_long_a_resume_should_be_is_answered_with_its_length(
    resume_settings: Settings, embeddings
) -> None:
    """Through the real index. "Use only 1 page for your resume" is one item of a short
    list of do's under "Less is more": MiniLM ranks its passage outside the top five for
    "How long should my resume be?", and the answer went on about keywords. Ranked by
    its sentence that states a length, the passage comes, and the answer leads with it."""
    question = "How long should my resume be?"
    off = resume_settings.replace(quantity_weight=0.0)
    plain = PassageRetriever.from_settings(off, embeddings).retrieve(question).hits
    assert not any("1 page" in h.chunk.text for h in plain)
    bot = Assistant(
        resume_settings, embeddings, PassageRetriever.from_settings(resume_settings, embeddings)
    )
    answer = bot.ask(question)
    assert not answer.refused
    lead = answer.text.split("]. ", 1)[0]  # the first sentence
    assert "Use only 1 page for your resume" in lead
    page = next(c for c in answer.citations if "1 page" in bot.retriever.chunks[c.chunk_id].text)
    # The sources panel marks it, though the passage's best quote may be another sentence.
    assert any("Use only 1 page for your resume" in q for q in page.quotes), page.quotes


def test_only_the_closest_essays_passages_are_ranked_by_their_numbers() -> None:
    essays = {"r1": "resume.md", "b1": "behavioral.md", "r2": "resume.md", "gone": None}
    ranking = ["r1", "b1", "gone", "r2"]
    assert of_closest_essay(ranking, essays.get) == ["r1", "r2"]
    assert of_closest_essay(["b1", "r1"], essays.get) == ["b1"]
    assert of_closest_essay([], essays.get) == []
    assert of_closest_essay(["gone", "r1"], essays.get) == []  # removed by a re-ingest


def test_a_reading_with_the_conversation_asks_what_the_question_asks(
    resume_settings: Settings, embeddings
) -> None:
    """Joined after an earlier turn, "How long should my resume be? What font should I
    use?" asks no length: the quantity is read from the user's own question."""
    on = PassageRetriever.from_settings(resume_settings, embeddings)
    off = PassageRetriever.from_settings(resume_settings.replace(quantity_weight=0.0), embeddings)
    joined = "How long should my resume be? What font should I use"
    ids = [h.chunk.id for h in on.retrieve(joined, asks="What font should I use").hits]
    assert ids == [h.chunk.id for h in off.retrieve(joined).hits]
    assert ids != [h.chunk.id for h in on.retrieve(joined).hits]  # read from the text


def test_reading_passes_the_question_only_to_its_own_readings() -> None:
    """The follow-up rules retrieve earlier turns alone too, to know their topic: those
    ask no quantity (ranked by its numbers, a turn's passages are not its topic)."""
    seen: list[tuple[str, str | None]] = []

    class Recorder:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            seen.append((query, asks))
            return Retrieved(query=query, hits=[], dense_best=0.0, unit_best=0.0)

    question, turn = "What font should I use", "How long should my resume be?"
    reading = Reading(Recorder(), Settings(), question, [turn], 5)  # type: ignore[arg-type]
    reading.retrieve(f"{turn} {question}")
    reading.retrieve(turn)
    assert seen == [(f"{turn} {question}", question), (turn, "")]


def test_an_empty_index_answers_a_quantity_question(tmp_path, embeddings) -> None:
    """Every essay removed, the ranking is empty: the question is refused, not a crash."""
    from assistant.ingest.pipeline import Ingester

    essays = tmp_path / "essays"
    essays.mkdir()
    (essays / "a.md").write_text("# Resumes\n\nKeep your resume to one page.\n")
    settings = Settings(data_dir=tmp_path / "data", corpus=(essays,))
    Ingester(settings, embeddings=embeddings).run()
    (essays / "a.md").unlink()
    Ingester(settings, embeddings=embeddings).run()
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    assert bot.ask("How long should my resume be?").refused
