"""Citation verification with the real all-MiniLM-L6-v2 support scorer.

Claims are split from a draft, checked against the passages they cite, re-cited,
dropped or renumbered; the citation quote is located in the essay file, and the
support threshold is checked against the hand-labelled pairs.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from assistant.answer.citations import UNSUPPORTED_MARK, Claim, split_claims, verify
from assistant.answer.support import SupportScorer
from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.evaluation.calibrate import calibrate
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.units import UnitVectors

THRESHOLD = Settings().support_min

# Passages in the chunk text format: blocks on lines, list items "N. ...".
FOCUS = (
    "AI encompasses numerous specializations—from computer vision and natural language "
    "processing to reinforcement learning and generative models. While breadth of knowledge "
    "is valuable, developing depth in a specific area can significantly accelerate your career."
)
PRACTITIONERS = (
    "In my experience, the most valuable practitioners possess:\n"
    "1. Theoretical understanding: Enough to know why algorithms work and their limitations.\n"
    "2. Implementation skills: The ability to translate concepts into working code.\n"
    "3. System design knowledge: Understanding how AI components fit into larger software "
    "systems.\n"
    "4. Domain expertise: Familiarity with the specific problems and constraints of their "
    "application area."
)
PORTFOLIO = (
    "What worked for me:\n"
    "1. Quality over quantity: A few well-documented, novel projects outweigh many tutorial "
    "implementations.\n"
    "2. End-to-end solutions: Building complete applications rather than just models "
    "demonstrates broader capabilities."
)
NEGOTIATION = (
    "Ask for time to consider any offer. Most candidates spend 10 or 20 hours preparing for a "
    "salary negotiation, and it pays off."
)

DEPTH = "Developing depth in a specific area can significantly accelerate your career"
DEPTH_UNIT = (
    "While breadth of knowledge is valuable, developing depth in a specific area can "
    "significantly accelerate your career."
)
QUALITY = "A few well-documented, novel projects outweigh many tutorial implementations"
LASAGNE = "The best lasagne uses fresh pasta and a slow-cooked ragù"


def _hit(text: str, i: int, *, path: str = "/nonexistent/essay.md", sha: str = "") -> SearchHit:
    chunk = Chunk(
        source=f"essay-{i}.md",
        path=path,
        title=f"Essay {i}",
        heading=("Section", f"Sub {i}"),
        text=text,
        start=100 * i,
        end=100 * i + len(text),
        ordinal=i,
        file_sha256=sha,
    )
    return SearchHit(chunk=chunk, score=0.6)


PASSAGES = [_hit(t, i) for i, t in enumerate([FOCUS, PRACTITIONERS, PORTFOLIO, NEGOTIATION])]


@pytest.fixture(scope="module")
def scorer(embeddings: LocalEmbeddings) -> SupportScorer:
    return SupportScorer(UnitVectors(embeddings))


def _markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


# --- split_claims -------------------------------------------------------------------------


def test_split_claims_one_claim_per_sentence_with_its_markers() -> None:
    claims = split_claims("A [1]. B [2][3].")
    assert [(c.text, c.cited) for c in claims] == [("A", (1,)), ("B", (2, 3))]
    assert [c.sentence for c in claims] == [0, 1]
    assert all(c.tail == "." for c in claims)


def test_split_claims_marker_after_the_full_stop_belongs_to_the_sentence() -> None:
    assert split_claims("A. [1]") == [Claim("A", (1,), ".", 0)]
    claims = split_claims("First point. [1] Second point. [2]")
    assert [(c.text, c.cited, c.sentence) for c in claims] == [
        ("First point", (1,), 0),
        ("Second point", (2,), 1),
    ]


def test_split_claims_several_claims_in_one_sentence() -> None:
    claims = split_claims("X [1]; Y [2]; and Z [1].")
    assert [(c.text, c.cited, c.tail) for c in claims] == [
        ("X", (1,), ";"),
        ("Y", (2,), ";"),
        ("and Z", (1,), "."),
    ]
    assert {c.sentence for c in claims} == {0}


def test_split_claims_sentence_without_markers_is_an_uncited_claim() -> None:
    claims = split_claims("Nothing cites this sentence. This one does [1].")
    assert len(claims) == 2
    assert claims[0].cited == ()
    assert claims[0].text.rstrip(".") == "Nothing cites this sentence"
    assert (claims[1].text, claims[1].cited) == ("This one does", (1,))


def test_split_claims_comma_separated_markers() -> None:
    assert split_claims("Both say so [1, 2].") == [Claim("Both say so", (1, 2), ".", 0)]
    assert split_claims("Both say so [1,2].")[0].cited == (1, 2)
    assert split_claims("Both say so [1], [2].")[0].cited == (1, 2)


def test_split_claims_of_empty_text() -> None:
    assert split_claims("") == []
    assert split_claims("   \n ") == []


# --- verify ---------------------------------------------------------------------------------


def test_invented_marker_is_removed_and_counted(scorer: SupportScorer) -> None:
    three = PASSAGES[:3]
    v = verify(f"{DEPTH} [1][9].", three, scorer, THRESHOLD)
    assert v.invented == 1
    assert "[9]" not in v.text
    assert v.text == f"{DEPTH} [1]."
    assert v.dropped == []
    assert [c.n for c in v.citations] == [1]


def test_claim_citing_only_an_invented_marker_is_recited_to_its_support(
    scorer: SupportScorer,
) -> None:
    v = verify(f"{DEPTH} [9].", PASSAGES[:3], scorer, THRESHOLD)
    assert v.invented == 1
    assert v.text == f"{DEPTH} [1]."
    assert v.citations[0].chunk_id == PASSAGES[0].chunk.id


def test_verbatim_claim_keeps_its_citation_and_quotes_the_supporting_unit(
    scorer: SupportScorer,
) -> None:
    v = verify(f"{DEPTH} [1].", PASSAGES, scorer, THRESHOLD)
    assert v.text == f"{DEPTH} [1]."
    assert (v.dropped, v.invented, v.recited) == ([], 0, 0)
    [c] = v.citations
    assert c.n == 1
    assert c.chunk_id == PASSAGES[0].chunk.id
    assert c.source == "essay-0.md"
    assert c.title == "Essay 0"
    assert c.heading == "Section > Sub 0"
    assert c.quote == DEPTH_UNIT  # the sentence, not the whole passage
    assert c.score == pytest.approx(1.0)


def test_every_sentence_a_passage_backs_is_among_its_quotes(scorer: SupportScorer) -> None:
    """Two sentences from one passage: one citation, both quotes, in the answer's order
    (the sources panel marks them all); ``quote`` stays the best supported."""
    second = "Implementation skills: The ability to translate concepts into working code."
    first = "Domain expertise: Familiarity with the specific problems and constraints of their"
    v = verify(f"{second} [2]. {first} application area [2].", PASSAGES, scorer, THRESHOLD)
    [c] = v.citations
    assert c.quotes == (
        second,
        "Domain expertise: Familiarity with the specific problems and constraints of their "
        "application area.",
    )
    assert c.quote in c.quotes and c.all_quotes == c.quotes
    assert c.to_json()["quotes"] == list(c.quotes)
    [once] = verify(f"{second} [2].", PASSAGES, scorer, THRESHOLD).citations
    assert once.quotes == (second,)  # a sentence used once is quoted once


def test_list_item_claim_quotes_the_list_item(scorer: SupportScorer) -> None:
    claim = "Implementation skills are the ability to translate concepts into working code"
    v = verify(f"{claim} [2].", PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    [c] = v.citations
    assert c.chunk_id == PASSAGES[1].chunk.id
    assert c.quote == "Implementation skills: The ability to translate concepts into working code."
    assert THRESHOLD <= c.score < 1.0


def test_claim_citing_the_wrong_passage_is_recited(scorer: SupportScorer) -> None:
    v = verify(f"{DEPTH} [2].", PASSAGES, scorer, THRESHOLD)
    assert v.recited == 1
    assert v.dropped == []
    assert v.text == f"{DEPTH} [1]."
    [c] = v.citations
    assert c.chunk_id == PASSAGES[0].chunk.id  # passage 1 supports it, not passage 2


def test_uncited_supported_claim_gets_a_citation(scorer: SupportScorer) -> None:
    v = verify(f"{QUALITY}.", PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    assert v.recited == 0  # it cited nothing, so nothing was moved
    assert _markers(v.text) == [1]
    assert v.text.startswith(QUALITY)
    [c] = v.citations
    assert c.chunk_id == PASSAGES[2].chunk.id


def test_unsupported_claim_is_dropped(scorer: SupportScorer) -> None:
    draft = f"{DEPTH} [1]. {LASAGNE} [2]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == [LASAGNE]
    assert v.text == f"{DEPTH} [1]."
    assert "lasagne" not in v.text.lower()
    assert [c.chunk_id for c in v.citations] == [PASSAGES[0].chunk.id]


def test_unsupported_claim_is_shown_marked_when_asked(scorer: SupportScorer) -> None:
    draft = f"{DEPTH} [1]. {LASAGNE} [2]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD, show_unsupported=True)
    assert v.dropped == [LASAGNE]
    assert v.text == f"{DEPTH} [1]. {LASAGNE} {UNSUPPORTED_MARK}."
    assert "[2]" not in v.text
    assert len(v.citations) == 1  # the marked claim cites nothing


def test_everything_unsupported_gives_empty_text(scorer: SupportScorer) -> None:
    v = verify(f"{LASAGNE} [1].", PASSAGES, scorer, THRESHOLD)
    assert v.text == ""
    assert v.citations == []
    assert v.dropped == [LASAGNE]


def test_citations_are_renumbered_by_first_use(scorer: SupportScorer) -> None:
    draft = f"{QUALITY} [3]. {DEPTH} [1]. Quality over quantity matters: {QUALITY.lower()} [3]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    assert _markers(v.text) == [1, 2, 1]
    assert [c.n for c in v.citations] == [1, 2]
    assert [c.chunk_id for c in v.citations] == [PASSAGES[2].chunk.id, PASSAGES[0].chunk.id]


def test_only_cited_passages_appear_in_citations(scorer: SupportScorer) -> None:
    v = verify(f"{DEPTH} [1].", PASSAGES, scorer, THRESHOLD)
    assert len(PASSAGES) == 4
    assert [c.chunk_id for c in v.citations] == [PASSAGES[0].chunk.id]


def test_several_claims_in_one_sentence_keep_their_shape(scorer: SupportScorer) -> None:
    draft = f"{DEPTH} [1]; {QUALITY.lower()} [3]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    assert v.text == f"{DEPTH} [1]; {QUALITY.lower()} [2]."


def test_number_mismatch_is_dropped(scorer: SupportScorer) -> None:
    claim = "Most candidates spend 40 hours preparing for a salary negotiation"
    v = verify(f"{claim} [4].", PASSAGES, scorer, THRESHOLD)
    assert v.dropped == [claim]
    assert v.text == ""
    # the same claim with the passage's own numbers stands
    ok = "Most candidates spend 10 or 20 hours preparing for a salary negotiation"
    assert verify(f"{ok} [4].", PASSAGES, scorer, THRESHOLD).dropped == []


def test_flipped_negation_is_dropped(scorer: SupportScorer) -> None:
    claim = (
        "While breadth of knowledge is not valuable, developing depth in a specific area can "
        "significantly accelerate your career"
    )
    v = verify(f"{claim} [1].", PASSAGES, scorer, THRESHOLD)
    assert v.dropped == [claim]
    assert v.citations == []


def test_claim_repeating_forbidden_text_is_dropped_even_if_supported(
    scorer: SupportScorer,
) -> None:
    # e.g. the prompt's own instructions quoted back: eight consecutive words of it.
    forbidden = [f"Instructions: do not say that {DEPTH.lower()} unless asked."]
    v = verify(f"{DEPTH} [1].", PASSAGES, scorer, THRESHOLD, forbidden=forbidden)
    assert v.dropped == [DEPTH]
    assert v.text == ""
    # seven consecutive shared words are not a leak
    seven = ["a specific area can significantly accelerate your"]
    assert verify(f"{DEPTH} [1].", PASSAGES, scorer, THRESHOLD, forbidden=seven).dropped == []


def test_uncited_claim_marker_goes_before_the_full_stop(scorer: SupportScorer) -> None:
    v = verify(f"{QUALITY}.", PASSAGES, scorer, THRESHOLD)
    assert v.text == f"{QUALITY} [1]."


def test_dropping_the_last_clause_does_not_leave_a_semicolon(scorer: SupportScorer) -> None:
    v = verify(f"{DEPTH} [1]; {LASAGNE.lower()} [2].", PASSAGES, scorer, THRESHOLD)
    assert v.dropped == [LASAGNE.lower()]
    assert v.text == f"{DEPTH} [1]."


def test_bulleted_draft_keeps_no_stray_bullets_mid_text(scorer: SupportScorer) -> None:
    draft = f"- {DEPTH} [1]\n- {QUALITY} [3]"
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    assert ". - " not in v.text


# --- quote offsets in the essay file ---------------------------------------------------------

ESSAY = """---
title: "Reading well"
---

# Reading well

Some opening words about reading.

Read the **official docs** and the [style guide](http://x) carefully before writing code. \
Then practise every day.

A closing paragraph.
"""
QUOTED = "Read the official docs and the style guide carefully before writing code."


def _essay_hit(path: Path) -> SearchHit:
    raw = path.read_text(encoding="utf-8")
    start = raw.index("Some opening")
    end = raw.index("every day.") + len("every day.")
    text = f"Some opening words about reading.\n{QUOTED} Then practise every day."
    chunk = Chunk(
        source="reading.md",
        path=str(path),
        title="Reading well",
        heading=(),
        text=text,
        start=start,
        end=end,
        ordinal=0,
        file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    return SearchHit(chunk=chunk, score=0.6)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_quote_offsets_slice_the_file_around_markup(tmp_path: Path, scorer: SupportScorer) -> None:
    path = tmp_path / "reading.md"
    path.write_text(ESSAY, encoding="utf-8")
    hit = _essay_hit(path)
    v = verify(f"{QUOTED[:-1]} [1].", [hit], scorer, THRESHOLD)
    [c] = v.citations
    assert c.quote == QUOTED
    raw = path.read_text(encoding="utf-8")
    piece = raw[c.start : c.end]
    assert piece == (
        "Read the **official docs** and the [style guide](http://x) carefully before writing code."
    )
    assert hit.chunk.start <= c.start < c.end <= hit.chunk.end
    # every word of the quote is in the slice, in order (the URL's words are extra)
    words = [w for w in _words(piece) if w not in {"http", "x"}]
    assert words == _words(QUOTED)


def test_quote_offsets_fall_back_to_the_chunk_when_the_file_changed(
    tmp_path: Path, scorer: SupportScorer
) -> None:
    path = tmp_path / "changed.md"
    path.write_text(ESSAY, encoding="utf-8")
    hit = _essay_hit(path)
    path.write_text("Edited after ingestion.\n\n" + ESSAY, encoding="utf-8")
    v = verify(f"{QUOTED[:-1]} [1].", [hit], scorer, THRESHOLD)
    [c] = v.citations
    assert c.quote == QUOTED
    assert (c.start, c.end) == (hit.chunk.start, hit.chunk.end)


def test_quote_offsets_fall_back_to_the_chunk_when_the_file_is_gone(
    tmp_path: Path, scorer: SupportScorer
) -> None:
    path = tmp_path / "gone.md"
    path.write_text(ESSAY, encoding="utf-8")
    hit = _essay_hit(path)
    path.unlink()
    [c] = verify(f"{QUOTED[:-1]} [1].", [hit], scorer, THRESHOLD).citations
    assert (c.start, c.end) == (hit.chunk.start, hit.chunk.end)


# --- calibration ---------------------------------------------------------------------------


def test_calibration_on_the_labelled_pairs(embeddings: LocalEmbeddings) -> None:
    c = calibrate(Settings(), embeddings)
    print(
        f"\n{c.pairs} pairs, support_min {c.threshold:.2f}: accuracy {c.accuracy:.3f}, "
        f"precision {c.precision:.3f}, recall {c.recall:.3f}; "
        f"best {c.best_threshold:.2f} -> {c.best_accuracy:.3f}"
    )
    assert c.pairs >= 100
    assert c.threshold == Settings().support_min
    # measured: accuracy 0.803, precision 0.800, recall 0.800 at 0.68 (203 pairs)
    assert c.accuracy >= 0.78
    assert c.precision >= 0.77
    assert c.recall >= 0.75
    assert c.best_accuracy >= c.accuracy
    labels = [y for _, y in c.scores]
    assert any(labels)
    assert not all(labels)
    assert all(0.0 <= s <= 1.0 for s, _ in c.scores)


# -- attribution of an author's first person ------------------------------------------------


def test_an_attributed_claim_is_checked_without_its_attribution(scorer: SupportScorer) -> None:
    """ "The author of “Essay 2” writes:" carries no facts: the sentence after it is what
    must be supported, and the attribution stays in the answer."""
    draft = f"The author of “Essay 2” writes: {QUALITY} [3]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == []
    assert v.text.startswith("The author of “Essay 2” writes: A few well-documented")


def test_an_attribution_naming_another_essay_is_removed(scorer: SupportScorer) -> None:
    draft = f"The author of “Essay 0” writes: {QUALITY} [3]."
    v = verify(draft, PASSAGES, scorer, THRESHOLD)
    assert v.dropped == [] and "Essay 0" not in v.text
    assert v.text.startswith("A few well-documented")


def test_the_extractive_answer_attributes_an_authors_first_person(scorer: SupportScorer) -> None:
    from assistant.answer.claims import attribute, speaks_as_author

    assert speaks_as_author("In my experience, the most valuable practitioners possess:")
    assert speaks_as_author("My journey into computer vision began with a fascination.")
    assert not speaks_as_author("Ask for time to consider any offer.")
    # Quoted words are someone else's: an interviewer's "me", a sample script's "I".
    assert not speaks_as_author('Rephrase it: "Tell me about your journey into tech."')
    assert not speaks_as_author("“Hi I'm XXX and I graduated in 2015.")
    assert speaks_as_author('I always ask "why?" first.')
    assert attribute("I did it [1].", "Essay") == "The author of “Essay” writes: I did it [1]."
    assert attribute("I did it [1].", "") == "I did it [1]."


def test_a_sentence_ending_inside_its_closing_quote_gets_no_second_stop() -> None:
    from assistant.answer.citations import _join

    joined = _join({0: ['"How is that applicable to our goals [1]?"'], 1: ["Then go [2]"]})
    assert joined == '"How is that applicable to our goals [1]?" Then go [2].'
