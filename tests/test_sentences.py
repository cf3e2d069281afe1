"""Sentence splitting keeps every character: closing quotes and brackets stay with
the sentence they close (they used to be cut off with the white space after them)."""

from __future__ import annotations

import re

import pytest

from assistant.search.units import complete_sentences, pieces, split_sentences, split_units
from tests.conftest import SHARED, needs_shared

# A sentence end followed by a closing quote or bracket, then the next sentence.
CLOSED_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]+\s+(?=[\"'“‘(\[]?[A-Z0-9])")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Ask for "the best offer." Then wait.', ['Ask for "the best offer."', "Then wait."]),
        ("Be polite (always.) Then ask.", ["Be polite (always.)", "Then ask."]),
        ("He said ‘no.’ “Fine,” I said.", ["He said ‘no.’", "“Fine,” I said."]),
        ("Read [the guide.] (Really.) Done!", ["Read [the guide.]", "(Really.)", "Done!"]),
        ("Use e.g. Python. Then Go.", ["Use e.g. Python.", "Then Go."]),
        ('Ask "any questions?" [1]. Then go.', ['Ask "any questions?" [1].', "Then go."]),
    ],
)
def test_closing_marks_stay_with_their_sentence(text, expected):
    assert split_sentences(text) == expected


def test_a_quotation_of_several_sentences_is_one_unit():
    """Its first sentence alone would be a fragment ('"Tell me about your journey.')."""
    text = 'Rephrase it: "Tell me about your journey. How did you start?" Then stop.'
    assert split_sentences(text) == [
        'Rephrase it: "Tell me about your journey. How did you start?"',
        "Then stop.",
    ]
    assert split_sentences("“Thanks. I will think about it.” Then go.")[0].endswith("it.”")
    # An unclosed quotation joins no more than QUOTE_WORDS words.
    long = '"' + " ".join(["Say this to them now."] * 30)
    assert len(split_sentences(long)) > 1


def test_units_pieces_and_streaming_keep_the_quote():
    text = 'Ask for "the best offer." Then…'
    assert [u.text for u in split_units(text)] == ['Ask for "the best offer."', "Then…"]
    assert "".join(pieces(text)) == text
    assert complete_sentences(text + " More").startswith('Ask for "the best offer."')


def test_an_elision_mark_is_no_part_of_a_unit():
    """An essay quoting someone elides with "(...)": it closed the sentence before it,
    and the answer's marker went inside it ("…a simple question. ( [1]...)")."""
    text = "Asking a simple question. (...) A code of conduct helps.\n[…] Be kind. (…)"
    assert [u.text for u in split_units(text)] == [
        "Asking a simple question.",
        "A code of conduct helps.",
        "Be kind.",
    ]
    assert split_sentences("One. (...) Two.") == ["One. (...)", "Two."]  # every character


@needs_shared
def test_every_closed_boundary_in_the_corpora_keeps_its_characters():
    boundaries = 0
    for path in sorted(SHARED.rglob("*.md")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            found = CLOSED_BOUNDARY.findall(raw)
            if not found:
                continue
            boundaries += len(found)
            line = " ".join(raw.split())
            sentences = split_sentences(line)
            assert " ".join(sentences) == line, (path.name, line[:120])
            for mark in found:  # each closing run ends some sentence
                closing = mark.rstrip()
                assert any(s.endswith(closing) for s in sentences), (path.name, mark, line[:120])
    assert boundaries >= 20, boundaries  # 26 lines of the corpora hold one; none may vanish


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Take some advice from U.S. President John F. Kennedy, who said it. Then go.",
            ["Take some advice from U.S. President John F. Kennedy, who said it.", "Then go."],
        ),
        (
            "Ask for the offer (from the U.K. office). Then wait.",
            ["Ask for the offer (from the U.K. office).", "Then wait."],
        ),
        # Lower case is not an initial: "a." ends the sentence as before.
        ("Pick option a. Then b is next.", ["Pick option a.", "Then b is next."]),
    ],
)
def test_initials_end_no_sentence(text, expected):
    assert split_sentences(text) == expected


@needs_shared
def test_the_corpus_quote_of_kennedy_is_one_sentence():
    text = (SHARED / "corpora/opensource-guide/how-to-contribute.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "U.S. President" in x)
    first = split_sentences(line)[0]
    assert "John F. Kennedy, who once said" in first


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_a_blank_passage_has_no_units(text):
    assert split_units(text) == []
