"""The extractive generator on the seed essay, with the real all-MiniLM-L6-v2 model.

Chunks are made here from corpus/building-an-ai-career.md in the chunk text format
(blocks on their own lines, list items as "1. ...", emphasis markup removed), and
the hits for a question are the chunks ranked by their real cosine to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from functools import cache

import numpy as np
import pytest

from assistant.answer.citations import split_claims, verify
from assistant.answer.clauses import as_clause, lowercase_vocabulary
from assistant.answer.composing import _voiced
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.support import SupportScorer
from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.retrieved import Retrieved
from assistant.search.units import UnitVectors, split_units
from tests.conftest import CORPUS

SEED = CORPUS / "building-an-ai-career.md"
ANSWER_WORDS = 150
K = 5
VALUABLE = "What makes an AI practitioner valuable?"
PRACTITIONER_CLAUSES = [
    "theoretical understanding — enough to know why algorithms work and their limitations",
    "implementation skills — the ability to translate concepts into working code",
    "system design knowledge — understanding how ai components fit into larger software systems",
    "domain expertise — familiarity with the specific problems and constraints of their "
    "application area",
]
QUESTIONS = [
    VALUABLE,
    "How should I build a portfolio?",
    "Should I work in industry or research?",
    "How do I keep learning as AI moves so fast?",
    "What did you learn at Samsung?",
    "How do I choose a specialization in AI?",
]
MARKER = re.compile(r"\s*\[(\d+)\]")


@cache
def seed_chunks() -> tuple[Chunk, ...]:
    """One chunk per section of the seed essay, with offsets of its blocks in the file."""
    raw = SEED.read_text(encoding="utf-8")
    sha = hashlib.sha256(SEED.read_bytes()).hexdigest()
    body = raw.index("\n---", 3) + len("\n---")
    sections: list[tuple[tuple[str, ...], list[tuple[str, int, int]]]] = []
    heading: tuple[str, ...] = ()
    blocks: list[tuple[str, int, int]] = []
    for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", raw[body:]):
        block, start, end = m.group(), body + m.start(), body + m.end()
        h = re.match(r"(#+)\s+(.*)", block)
        if h:
            if blocks:
                sections.append((heading, blocks))
                blocks = []
            level = len(h.group(1))
            heading = () if level == 1 else (*heading[: level - 2], h.group(2))
            continue
        blocks.append((" ".join(block.replace("**", "").split()), start, end))
    if blocks:
        sections.append((heading, blocks))
    return tuple(
        Chunk(
            source="building-an-ai-career.md",
            path=str(SEED),
            title="Building an AI Career: Lessons from My Journey",
            heading=heading,
            text="\n".join(text for text, _, _ in blocks),
            start=blocks[0][1],
            end=blocks[-1][2],
            ordinal=i,
            file_sha256=sha,
        )
        for i, (heading, blocks) in enumerate(sections)
    )


def _retrieved(embeddings: LocalEmbeddings, q: str, chunks: tuple[Chunk, ...] = ()) -> Retrieved:
    """``chunks`` as hits in that order, or the top-K seed chunks by real cosine."""
    qvec = embeddings.embed_array([q])[0]
    pool = chunks or seed_chunks()
    cos = embeddings.embed_array([c.embed_text for c in pool]) @ qvec
    order = range(len(pool)) if chunks else np.argsort(-cos)[:K]
    hits = [SearchHit(pool[i], float(cos[i])) for i in order]
    return Retrieved(
        query=q,
        hits=hits,
        dense_best=float(cos.max()),
        query_vector=qvec,
    )


@pytest.fixture(scope="module")
def vectors(embeddings: LocalEmbeddings) -> UnitVectors:
    return UnitVectors(embeddings)


@pytest.fixture(scope="module")
def generator(vectors: UnitVectors) -> ExtractiveGenerator:
    vocab = lowercase_vocabulary(c.text for c in seed_chunks())
    return ExtractiveGenerator(vectors, ANSWER_WORDS, vocab)


def _plain(text: str) -> str:
    return MARKER.sub("", text)


def _clauses(draft: str) -> list[str]:
    """Sentences and ';' clauses of a draft, markers removed, normalised for comparison."""
    parts = re.split(r"(?<=[.;!?])\s+", draft)
    return [" ".join(_plain(p).lower().rstrip(".;").split()) for p in parts if p.strip()]


def _sentences_without_duplicates(draft: str) -> None:
    clauses = _clauses(draft)
    assert len(clauses) == len(set(clauses)), draft


# --- the seed chunks themselves ----------------------------------------------------------------


def test_seed_chunks_are_in_the_chunk_text_format() -> None:
    chunks = seed_chunks()
    raw = SEED.read_text(encoding="utf-8")
    practitioners = next(c for c in chunks if "most valuable practitioners" in c.text)
    assert practitioners.heading == ("The Theory-Practice Balance", "Finding the Right Balance")
    lines = practitioners.text.splitlines()
    assert lines[0] == "In my experience, the most valuable practitioners possess:"
    assert [ln[:3] for ln in lines[1:5]] == ["1. ", "2. ", "3. ", "4. "]
    assert "**" not in practitioners.text
    assert raw[practitioners.start : practitioners.end].startswith("In my experience")


# --- the practitioner question -----------------------------------------------------------------


@pytest.fixture(scope="module")
def valuable(embeddings: LocalEmbeddings, generator: ExtractiveGenerator) -> tuple[Retrieved, str]:
    retrieved = _retrieved(embeddings, VALUABLE)
    draft = generator.generate(VALUABLE, retrieved)
    print(f"\n{VALUABLE}\n{draft}\n({len(_plain(draft).split())} words)")
    return retrieved, draft


def test_practitioner_list_is_answered_whole_as_clauses(valuable: tuple[Retrieved, str]) -> None:
    retrieved, draft = valuable
    n = next(
        i for i, h in enumerate(retrieved.hits, 1) if "most valuable practitioners" in h.chunk.text
    )
    lower = draft.lower()
    assert "in my experience, the most valuable practitioners possess: " in lower
    positions = []
    for clause in PRACTITIONER_CLAUSES:
        cited = f"{clause} [{n}]"
        assert cited in lower, f"missing clause {clause!r} in {draft!r}"
        positions.append(lower.index(cited))
    assert positions == sorted(positions)  # in the essay's order
    # joined as one sentence: "a [n]; b [n]; c [n]; and d [n]."
    assert f"[{n}]; and domain expertise" in lower
    assert f"application area [{n}]." in lower


def test_practitioner_clauses_are_cased_consistently(valuable: tuple[Retrieved, str]) -> None:
    _, draft = valuable
    for label in ("theoretical understanding", "implementation skills"):
        assert f"{label} — " in draft  # these two are lower-cased
    assert "system design knowledge — " in draft
    assert "domain expertise — " in draft


def test_every_claim_carries_a_marker_naming_a_given_passage(
    valuable: tuple[Retrieved, str],
) -> None:
    retrieved, draft = valuable
    claims = split_claims(draft)
    assert claims
    for claim in claims:
        assert claim.cited, f"uncited claim {claim.text!r}"
        assert all(1 <= c <= len(retrieved.hits) for c in claim.cited)
    numbers = {int(x) for x in MARKER.findall(draft)}
    assert numbers <= set(range(1, len(retrieved.hits) + 1))


def test_answer_length_is_near_the_budget(valuable: tuple[Retrieved, str]) -> None:
    _, draft = valuable
    assert 0 < len(_plain(draft).split()) <= 1.3 * ANSWER_WORDS


def test_verification_keeps_the_whole_extractive_draft(
    valuable: tuple[Retrieved, str], vectors: UnitVectors
) -> None:
    retrieved, draft = valuable
    v = verify(draft, retrieved.hits, SupportScorer(vectors), Settings().support_min)
    assert v.dropped == []
    assert v.invented == 0
    assert v.recited == 0
    assert _plain(v.text) == _plain(draft)  # only the numbers may change
    assert len(v.citations) == len({int(x) for x in MARKER.findall(draft)})


def test_draft_never_repeats_a_sentence(valuable: tuple[Retrieved, str]) -> None:
    _sentences_without_duplicates(valuable[1])


# --- other questions ------------------------------------------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS[1:])
def test_other_questions_are_cited_verified_and_unique(
    question: str,
    embeddings: LocalEmbeddings,
    generator: ExtractiveGenerator,
    vectors: UnitVectors,
) -> None:
    retrieved = _retrieved(embeddings, question)
    draft = generator.generate(question, retrieved)
    assert draft
    assert all(c.cited for c in split_claims(draft))
    assert {int(x) for x in MARKER.findall(draft)} <= set(range(1, len(retrieved.hits) + 1))
    assert len(_plain(draft).split()) <= 1.3 * ANSWER_WORDS
    _sentences_without_duplicates(draft)
    v = verify(draft, retrieved.hits, SupportScorer(vectors), Settings().support_min)
    assert v.dropped == []


def test_portfolio_answer_comes_from_the_portfolio_section(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    q = "How should I build a portfolio?"
    retrieved = _retrieved(embeddings, q)
    draft = generator.generate(q, retrieved)
    cited = {retrieved.hits[int(x) - 1].chunk.heading[0] for x in MARKER.findall(draft)}
    assert cited == {"Building a Portfolio That Stands Out"}
    assert "portfolio" in draft.lower()


def test_the_same_passage_twice_is_not_quoted_twice(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    practitioners = next(c for c in seed_chunks() if "most valuable practitioners" in c.text)
    twin = dataclasses.replace(practitioners, source="copy-of-the-essay.md", id="")
    retrieved = _retrieved(embeddings, VALUABLE, (practitioners, twin))
    draft = generator.generate(VALUABLE, retrieved)
    _sentences_without_duplicates(draft)
    assert _plain(draft).lower().count("implementation skills") == 1


# --- nothing relevant -----------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["best lasagne recipe", "How do I fix a flat bicycle tyre?"])
def test_irrelevant_question_gives_no_answer(
    question: str, embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    retrieved = _retrieved(embeddings, question)
    assert retrieved.dense_best < 0.3  # what a refusal would see
    assert generator.generate(question, retrieved) == ""


def test_no_hits_or_no_query_vector_gives_no_answer(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    empty = Retrieved(query=VALUABLE, hits=[], dense_best=0.0)
    assert generator.generate(VALUABLE, empty) == ""
    retrieved = _retrieved(embeddings, VALUABLE)
    no_vector = dataclasses.replace(retrieved, query_vector=None)
    assert generator.generate(VALUABLE, no_vector) == ""


# --- follow-ups and budgets -------------------------------------------------------------------------


def test_followup_question_read_with_its_previous_turn(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    """The query with context retrieves; the user's own words still steer the units chosen."""
    query = "And in practice? What makes AI practitioners valuable?"
    retrieved = _retrieved(embeddings, query)
    draft = generator.generate("And in practice?", retrieved)
    assert draft
    assert all(c.cited for c in split_claims(draft))
    assert {int(x) for x in MARKER.findall(draft)} <= set(range(1, len(retrieved.hits) + 1))
    _sentences_without_duplicates(draft)


def test_smaller_budget_gives_a_shorter_answer(
    embeddings: LocalEmbeddings, vectors: UnitVectors
) -> None:
    vocab = lowercase_vocabulary(c.text for c in seed_chunks())
    q = "Should I work in industry or research?"
    retrieved = _retrieved(embeddings, q)
    long = ExtractiveGenerator(vectors, 150, vocab).generate(q, retrieved)
    short = ExtractiveGenerator(vectors, 30, vocab).generate(q, retrieved)
    assert short
    assert len(_plain(short).split()) <= len(_plain(long).split())
    # a short list is kept whole even over a small budget (one item would misquote it),
    # so the bound is the list-expansion budget, not 1.3 x 30
    assert len(_plain(short).split()) <= 90 + 30


def test_lowercase_vocabulary() -> None:
    vocab = lowercase_vocabulary(["Domain expertise matters.", "the domain of well-being"])
    assert {"domain", "well-being", "the", "of", "matters"} <= vocab
    assert "expertise" in vocab
    assert "Domain" not in vocab


def test_sentences_are_grouped_by_essay() -> None:
    """Passages 1 and 3 come from one essay, 2 from another: the answer reads essay by
    essay, in order of each essay's most relevant sentence."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import Unit

    chosen = [
        Candidate(1, 0, Unit("Always negotiate the offer.", 0, False), 0.9),
        Candidate(2, 0, Unit("Compare the products you would build.", 0, False), 0.8),
        Candidate(3, 0, Unit("Ask for a higher signing bonus.", 0, False), 0.7),
    ]
    essays = {1: "rules.md", 2: "companies.md", 3: "rules.md"}
    text = compose(chosen, frozenset(), None, essays)
    assert text.index("signing bonus") < text.index("Compare the products")


def test_names_at_the_start_of_a_list_item_keep_their_capitals() -> None:
    from assistant.answer.clauses import _lower_first

    vocab = frozenset(["github", "open", "up", "help"])
    for name in ["GitHub Explore", "Open Source Friday", "Up For Grabs", "CodeTriage"]:
        assert _lower_first(name, vocab) == name
    assert (
        _lower_first("Help you to negotiate increases", vocab) == "help you to negotiate increases"
    )


def test_a_list_counts_as_relevant_as_a_whole(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    """ "Methods I've found effective:" says little alone and each method only part of the
    answer; read whole, the list answers how to keep up, so it is quoted, each item cited."""
    q = "The AI field moves insanely fast. How do I keep up without drowning in new papers?"
    draft = generator.generate(q, _retrieved(embeddings, q))
    plain = _plain(draft)
    assert "Methods I've found effective:" in plain
    assert "allocating specific time for reading papers" in plain
    assert "following specific research threads" in plain


def test_question_items_read_as_clauses_of_their_lead_in() -> None:
    """ "Try to answer the following questions: what does this project do [1]; …" — not
    "do [1]?;", which is what a question mark left inside the clause became."""
    assert as_clause("What does this project do?", frozenset({"what"})) == (
        "what does this project do"
    )


def test_an_author_is_named_once_per_run_of_their_sentences() -> None:
    """ "The author of “X” writes: My journey began… [2]. I started by: … [2]." — not the
    attribution again before the second sentence; another voice in between ends the run."""
    first, voice = _voiced("My journey began [2].", "My journey began.", "X", "")
    assert first == "The author of “X” writes: My journey began [2]." and voice == "X"
    again, voice = _voiced("I started by: reading [2].", "I started by:", "X", voice)
    assert again == "I started by: reading [2]." and voice == "X"
    plain, voice = _voiced("Pick one area [2].", "Pick one area.", "X", voice)
    assert plain == "Pick one area [2]." and voice == ""
    assert _voiced("I did it [3].", "I did it.", "X", voice)[0].startswith("The author of")


def test_a_list_is_read_whole_under_its_heading() -> None:
    """ "What worked for me:" and its items never say "portfolio": the list is matched
    as one text after the heading it sits under, the text ingest embeds for it."""
    from assistant.search.units import chunk_unit_texts

    chunk = next(c for c in seed_chunks() if c.heading[-1:] == ("Effective Portfolio Strategies",))
    lists = [t for t in chunk_unit_texts(chunk) if t.startswith("Effective Portfolio Strategies: ")]
    assert len(lists) == 1
    assert lists[0].startswith("Effective Portfolio Strategies: What worked for me: Quality")
    assert "Writing: Publishing technical articles" in lists[0]


def _passage(source: str, heading: str, text: str) -> Chunk:
    """A passage of an essay named after ``source``, under ``heading``."""
    title = source.removesuffix(".md").replace("-", " ").capitalize()
    return dataclasses.replace(
        seed_chunks()[0], source=source, title=title, heading=(heading,), text=text, id=""
    )


def test_a_reference_list_is_never_quoted(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    """Link titles under "References" match a salary question word for word and say
    nothing about it; the passage that does say something is quoted instead."""
    refs = _passage(
        "career-growth.md",
        "References",
        "- Software Engineering Salaries at Google\n- Engineering Levels at SoundCloud",
    )
    pay = _passage(
        "salaries.md", "Pay", "Software engineers at Google earn well above the industry median."
    )
    q = "What are software engineering salaries at Google?"
    draft = generator.generate(q, _retrieved(embeddings, q, (refs, pay)))
    assert "SoundCloud" not in draft and "Salaries at Google" not in draft
    assert "industry median [2]" in draft


def test_a_list_of_titles_answers_only_a_question_that_asks_for_them(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    """Book titles say nothing about a first job's days: the penalty keeps them out of
    that answer (they would still answer a question nothing else came close to); asked
    for books, they answer."""
    books = _passage(
        "career-growth.md",
        "Books",
        "- The Pragmatic Programmer\n- The Junior Engineer's Path\n- Staff Engineer",
    )
    days = _passage(
        "levels.md",
        "Junior engineer",
        "A junior engineer's day is writing code, debugging, testing and reviewing.",
    )
    q = "What will my days look like in my first engineering job as a junior developer?"
    draft = generator.generate(q, _retrieved(embeddings, q, (books, days)))
    assert "Pragmatic" not in draft and "Path" not in draft
    assert "debugging" in draft
    q = "Any book recommendations for my first engineering job?"
    draft = generator.generate(q, _retrieved(embeddings, q, (books, days)))
    assert "The Junior Engineer's Path [1]" in draft


def test_a_sentence_that_announces_a_list_leads_it_not_the_heading() -> None:
    """Under "Why some people seek financial support", the essay's reasons *not* to be
    paid followed "There are many reasons why a person would not want to be paid…": led
    by the heading, they read as reasons to seek support."""
    from assistant.answer.composing import Candidate, compose

    passage = (
        "Much of the work is voluntary. There are many reasons why a person would not want "
        "to be paid for their open source work.\n"
        "- They may already have a full-time job that they love.\n"
        "- They enjoy thinking of open source as a hobby."
    )
    units = split_units(passage)
    assert [u.lead_in for u in units] == [False, True, False, False]
    group = [Candidate(1, i, u, 0.9) for i, u in enumerate(units) if i]
    vocab = frozenset({"they"})
    assert compose(group, vocab, None, None, {1: "Why some people seek financial support"}) == (
        "There are many reasons why a person would not want to be paid for their open source "
        "work: they may already have a full-time job that they love [1]; and they enjoy "
        "thinking of open source as a hobby [1]."
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "We have lots of happy but quiet users. — @thisisnic, maintainer of Apache Arrow",
        "You can also look for ways to engage with the user community.",
        "Finally, sometimes open source projects put bounties on issues.",
    ],
)
def test_other_sentences_before_a_list_announce_nothing(sentence: str) -> None:
    units = split_units(f"{sentence}\n- Explore funding: ask your employer.\n- Use tools.")
    assert not units[-3].lead_in


def test_a_list_without_a_lead_in_is_introduced_by_its_heading() -> None:
    """Link titles under "Books" read as one sentence led by the heading, each item as
    written ("Read the Docs" is a name); a numbered heading loses its number, and a
    question heading leads nothing (its items would not answer it as clauses)."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import Unit

    texts = ["Software Engineer's Guidebook", "Read the Docs received a grant", "Get Promoted"]
    items = [Candidate(1, i, Unit(t, i, True), 0.9) for i, t in enumerate(texts)]
    vocab = frozenset({"read", "get"})
    assert compose(items, vocab, None, None, {1: "Books"}) == (
        "Books: Software Engineer's Guidebook [1]; Read the Docs received a grant [1]; "
        "and Get Promoted [1]."
    )
    assert compose(items, vocab, None, None, {1: "4. Phone screens"}).startswith(
        "Phone screens: Software"
    )
    assert compose(items, vocab, None, None, {1: "What should I read?"}) == (
        "Software Engineer's Guidebook [1]. Read the Docs received a grant [1]. Get Promoted [1]."
    )
    labelled = [
        Candidate(1, 0, Unit("Influence: Industry", 0, True), 0.9),
        Candidate(1, 1, Unit("Get Promoted", 1, True), 0.9),
    ]
    assert compose(labelled, vocab, None, None, {1: "Distinguished Engineer"}) == (
        "Distinguished Engineer: Influence — Industry [1]; and Get Promoted [1]."
    )


def test_a_person_named_at_the_start_of_an_item_keeps_their_capital() -> None:
    from assistant.answer.clauses import _lower_first

    vocab = frozenset(["omar", "building"])
    assert _lower_first("Omar Halabieh 90-day career blueprint", vocab).startswith("Omar")
    assert _lower_first("Building Python skills", vocab) == "building Python skills"


def test_two_passages_of_one_section_read_as_one_list_under_its_heading() -> None:
    """A long section is cut into passages; its list goes on under one heading, not the
    heading again ("Best questions to ask…: … [1]. Best questions to ask…: … [2].")."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import Unit

    chosen = [
        Candidate(1, 0, Unit("How do you plan the work?", 0, True), 0.9),
        Candidate(1, 1, Unit("What do you measure?", 1, True), 0.9),
        Candidate(2, 0, Unit("How often do people move teams?", 0, True), 0.8),
        Candidate(2, 1, Unit("How are new hires ramped up?", 1, True), 0.8),
    ]
    essays = {1: "final-questions.md", 2: "final-questions.md"}
    same = {1: "Questions on the work", 2: "Questions on the work"}
    assert compose(chosen, frozenset(), None, essays, same) == (
        "Questions on the work: how do you plan the work [1]; what do you measure [1]; "
        "how often do people move teams [2]; and how are new hires ramped up [2]."
    )
    other = {1: "Questions on the work", 2: "Questions on the team"}
    assert compose(chosen, frozenset(), None, essays, other).count("Questions on the") == 2


def test_an_exclaimed_item_is_a_clause_without_its_exclamation() -> None:
    assert as_clause("Creator of GreatFrontEnd (me)!", frozenset()) == (
        "Creator of GreatFrontEnd (me)"
    )


def test_lists_under_one_heading_merge_within_an_essay_and_keep_their_voice() -> None:
    """Two essays' "Resources" lists stay apart, and an essay's "I" inside a list is
    still attributed; an item's own "; and" is left as written when a list goes on."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import Unit

    chosen = [
        Candidate(1, 0, Unit("Alpha book", 0, True), 0.9),
        Candidate(1, 1, Unit("Plan; and then ship", 1, True), 0.9),
        Candidate(2, 0, Unit("Gamma book", 0, True), 0.8),
        Candidate(2, 1, Unit("Delta book", 1, True), 0.8),
        Candidate(3, 0, Unit("I wrote Epsilon myself", 0, True), 0.7),
        Candidate(3, 1, Unit("Zeta book", 1, True), 0.7),
    ]
    essays = {1: "a.md", 2: "a.md", 3: "b.md"}
    titles = {1: "A", 2: "A", 3: "B"}
    text = compose(chosen, frozenset(), titles, essays, dict.fromkeys([1, 2, 3], "Resources"))
    assert text.startswith(
        "Resources: Alpha book [1]; Plan; and then ship [1]; Gamma book [2]; and Delta book [2]."
    )
    assert text.endswith(
        "The author of “B” writes: Resources: I wrote Epsilon myself [3]; and Zeta book [3]."
    )


def test_a_heading_without_words_leads_no_list() -> None:
    from assistant.answer.composing import _heading_lead

    assert [_heading_lead(h) for h in ["1.", "---", "4. Phone screens", "What now?"]] == [
        "",
        "",
        "Phone screens",
        "",
    ]


def test_a_list_that_opens_its_section_is_as_relevant_as_its_heading_and_items(
    embeddings: LocalEmbeddings, generator: ExtractiveGenerator
) -> None:
    """ "What does senior actually mean?": under "Senior Software Engineer" the essay's
    items ("Description: …", "Experience: …") say little one by one, and no sentence leads
    them. Read whole under their heading they answer, rather than a salary passage's
    sentences that merely say "senior"."""
    levels = _passage(
        "levels.md",
        "Senior Software Engineer",
        "- **Description**: Experienced individual contributor with a deeper technical "
        "understanding.\n- **Influence**: Team\n- **Scope of work**: Large features / "
        "multiple small projects.\n- **Experience**: Typically 5+ years of experience.",
    )
    pay = _passage(
        "compensation.md",
        "Base salary",
        "Base salary doesn't increase linearly as you become more senior; it will taper off "
        "eventually. A senior employee's performance will be based on how well the company "
        "does as a whole.",
    )
    q = "My manager says I'm not ready for senior yet. What does senior actually mean?"
    plain = _plain(generator.generate(q, _retrieved(embeddings, q, (pay, levels))))
    assert "Experienced individual contributor" in plain
    assert "5+ years of experience" in plain


def test_a_list_after_a_paragraph_is_not_led_by_the_heading() -> None:
    """Only items that open the passage sit directly under its heading; items after a
    paragraph that does not introduce them are not read as the heading's list."""
    from assistant.search.units import list_spans

    opening = split_units("- Description: a contributor.\n- Influence: Team")
    assert list_spans(opening, headed=True) == [(0, 2)]
    assert list_spans(opening) == []
    later = split_units(
        "Levels vary by company.\n\n- Description: a contributor.\n- Influence: Team"
    )
    assert list_spans(later, headed=True) == []


def test_items_of_one_list_read_as_one_sentence_when_one_between_is_left_out() -> None:
    """ "Methods:" with its first and third items chosen, the second left out, is one
    sentence ("Methods: a [1]; and c [1]."), not the lead-in with one item and a stray
    item after it; a labelled item alone is led by its heading."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import Unit, list_runs

    units = split_units(
        "Levels differ.\n\nMethods I use:\n\n- Reading papers weekly\n- Writing notes\n"
        "- Implementing papers from scratch"
    )
    runs = list_runs(units)
    assert runs[0] == -1 and runs[1] == runs[2] == runs[3] == runs[4] >= 0
    chosen = [Candidate(1, p, units[p], 0.9, run=runs[p]) for p in (1, 2, 4)]
    vocab = frozenset({"reading", "implementing"})
    assert compose(chosen, vocab, None, None, {1: "Keeping up"}) == (
        "Methods I use: reading papers weekly [1]; and implementing papers from scratch [1]."
    )
    heading = {1: "Senior Software Engineer"}
    alone = [Candidate(1, 0, Unit("Experience: Typically 5+ years.", 0, True), 0.9)]
    assert compose(alone, frozenset(), None, None, heading) == (
        "Senior Software Engineer: Experience — Typically 5+ years [1]."
    )
    plain = [Candidate(1, 0, Unit("Typically 5+ years of experience.", 0, True), 0.9)]
    assert compose(plain, frozenset(), None, None, heading) == (
        "Typically 5+ years of experience [1]."
    )


def test_a_long_list_that_opens_its_section_is_not_scored_whole() -> None:
    """Too long to quote whole, a list led by its heading would lend its whole score to
    its first item, quoted alone; only a list short enough to quote is read whole."""
    from assistant.answer.extractive import ExtractiveGenerator

    class NoVectors:
        def get(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError(f"no list should be scored: {texts}")

    long_items = "\n".join(f"- Item {i}: " + "word " * 20 for i in range(9))
    units = split_units(long_items)
    gen = ExtractiveGenerator(NoVectors(), answer_words=200)  # type: ignore[arg-type]
    cos = np.zeros(len(units))
    assert (gen._with_lists(units, [0] * len(units), cos, np.zeros(3), ["Senior"]) == 0).all()


def test_an_item_of_several_sentences_is_cited_in_each_and_its_clause_reads_on() -> None:
    """ "Be responsive. If you don't respond…" as a clause: every sentence carries the
    marker (the citation check drops an uncited one, and once dropped the heading that
    led the list with it), and a function word after "; " is lower-cased even where the
    items keep the capitals they were written with; a name keeps its capital."""
    from assistant.answer.composing import Candidate, compose

    units = split_units(
        "- When someone new lands on your project, thank them for their interest! It only "
        "takes one negative experience to make someone not want to come back.\n"
        "- Be responsive. If you don't respond for a month, they've forgotten you.\n"
        "- Read the Docs hosts documentation for free."
    )
    chosen = [Candidate(1, p, units[p], 0.9) for p in range(3)]
    assert compose(chosen, frozenset(), None, None, {1: "Make people feel welcome"}) == (
        "Make people feel welcome: when someone new lands on your project, thank them for "
        "their interest [1]! It only takes one negative experience to make someone not want "
        "to come back [1]; be responsive [1]. If you don't respond for a month, they've "
        "forgotten you [1]; and Read the Docs hosts documentation for free [1]."
    )


def test_a_heading_leading_an_item_word_for_word_is_supported(embeddings) -> None:
    """The heading and the item's first sentence, each as the passage says it: the
    item's other sentence ("…not want to come back") is no flipped negation of it."""
    from assistant.answer.support import SupportScorer
    from assistant.search import UnitVectors

    # A paragraph between the heading and its list, as in the essay: the claim is not
    # one run of the passage's words.
    passage = (
        "Make people feel welcome.\nGood documentation invites people to interact.\n"
        "- When someone new lands on your project, thank them for their interest! It only "
        "takes one negative experience to make someone not want to come back."
    )
    scorer = SupportScorer(UnitVectors(embeddings))
    claim = "Make people feel welcome: when someone new lands on your project, thank them"
    score, quote = scorer.score(claim, passage)
    assert score == 1.0 and quote.startswith("When someone new lands")
    # A label that is no whole line of the passage does not lead its item.
    unwelcome = "Documentation invites people: when someone new lands on your project, thank them"
    assert scorer.score(unwelcome, passage)[0] < 1.0


def test_one_item_of_several_sentences_after_its_lead_in_is_cited_in_each() -> None:
    """The lead-in with a single item: its inner sentence is cited too; a contraction
    that opens a heading-led item ("It's", "Don't") is lower-cased like any function
    word."""
    from assistant.answer.composing import Candidate, compose
    from assistant.search import list_runs

    units = split_units(
        "Keep contributors around with a few habits:\n\n- Be responsive. If you don't "
        "respond for a month, they've forgotten you.\n- Be kind."
    )
    runs = list_runs(units)
    chosen = [Candidate(1, p, units[p], 0.9, run=runs[p]) for p in (0, 1)]
    assert compose(chosen, frozenset({"be"}), None, None, {1: "Habits"}) == (
        "Keep contributors around with a few habits: be responsive [1]. If you don't "
        "respond for a month, they've forgotten you [1]."
    )
    saying = split_units("- It's fine to say no.\n- Don't wait for permission.")
    led = [Candidate(1, p, saying[p], 0.9) for p in range(2)]
    assert compose(led, frozenset(), None, None, {1: "Saying no"}) == (
        "Saying no: it's fine to say no [1]; and don't wait for permission [1]."
    )
