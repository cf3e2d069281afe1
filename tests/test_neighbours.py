"""A prose sentence beside one that matches the question is lifted part of the way
towards it: pure logic over cosines, then through the real extractive generator and
embedding model."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer import neighbours
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.neighbours import NEIGHBOUR_LIFT, lifted
from assistant.domain import Chunk
from assistant.search import Unit
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.units import UnitVectors
from tests.test_extractive import _retrieved

LONG = "This sentence has enough words of its own to be lifted."


def _prose(n: int) -> list[Unit]:
    return [Unit(LONG, 0, False) for _ in range(n)]


def test_a_sentence_moves_part_of_the_way_to_its_best_neighbour() -> None:
    out = lifted(np.array([0.6, 0.1, 0.3]), _prose(3), [1, 1, 1])
    assert out[1] == pytest.approx(0.1 + NEIGHBOUR_LIFT * (0.6 - 0.1))
    assert out[0] == pytest.approx(0.6)  # no neighbour above it: as it was
    assert out[2] == pytest.approx(0.3)  # its neighbour (0.1) is lower: never lowered
    before = lifted(np.array([0.1, 0.6]), _prose(2), [1, 1])  # the sentence before, too
    assert before[0] == pytest.approx(0.1 + NEIGHBOUR_LIFT * (0.6 - 0.1))


def test_nothing_is_lifted_across_passages() -> None:
    out = lifted(np.array([0.6, 0.1]), _prose(2), [1, 2])
    assert out.tolist() == pytest.approx([0.6, 0.1])


@pytest.mark.parametrize(
    "unit",
    [
        Unit("One item of a list of things to bring along.", 1, True),
        Unit("The steps that follow are the ones to take:", 0, False),
        Unit("Tip: keep it very brief.", 0, False),  # five words, one under the limit
    ],
    ids=["list item", "lead-in", "short"],
)
def test_items_lead_ins_and_short_lines_keep_their_own(unit: Unit) -> None:
    out = lifted(np.array([0.6, 0.1]), [Unit(LONG, 0, False), unit], [1, 1])
    assert out[1] == pytest.approx(0.1)


def test_the_generator_gives_the_advice_beside_the_restatement(
    embeddings: LocalEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real model: the first sentence restates the question (0.75), the
    advice after it shares few of its words (0.08) and is given only when lifted."""
    question = "Is it ok to open a pull request when my code is only half done?"
    chunks = (
        _chunk(
            "Opening a pull request",
            0,
            "Many people wonder whether a pull request should wait until the code is "
            "finished. Mark it as a draft, and say in its description what is still "
            "missing. Reviewers can then comment early, before you have gone too far in the "
            "wrong direction.",
        ),
        _chunk(
            "Writing a good pull request",
            1,
            "Write a clear title for your change. Keep each commit small and focused on one "
            "thing. Link the issue it fixes in the description.",
        ),
    )
    generator = ExtractiveGenerator(UnitVectors(embeddings))
    draft = generator.generate(question, _retrieved(embeddings, question, chunks))
    assert "Mark it as a draft" in draft
    assert draft.index("Many people wonder") < draft.index("Mark it as a draft")
    monkeypatch.setattr(neighbours, "NEIGHBOUR_LIFT", 0.0)
    assert "Mark it as a draft" not in generator.generate(
        question, _retrieved(embeddings, question, chunks)
    )


def _chunk(heading: str, ordinal: int, text: str) -> Chunk:
    return Chunk(
        source=f"contributing-{ordinal}.md",
        path=f"contributing-{ordinal}.md",
        title="Contributing",
        heading=(heading,),
        text=text,
        start=0,
        end=len(text),
        ordinal=ordinal,
        file_sha256="0" * 64,
    )
