"""“Read more”: the sections retrieved for a question that the answer did not quote.

An answer quotes a few sentences; retrieval usually found more than that. Up to
:data:`READ_MORE_MAX` of the other sections are offered, each once (distinct essay and
heading path), best cosine first, with one line of why: the question's words the
section shares ("Also about: negotiation, equity"), or, for a section that shares
none, that it is close in meaning.

The sections come from the passages retrieved for the answer (``Answer.hits``: k of
them, 5 by default), so an answer that quotes most of them offers none: on the 66 gold
questions over the bundled and shared corpora, 22 answers offered 32 sections.

What is never offered:

- anything for a refused answer: the refusal already names the closest essays, and a
  list of "related" sections under "the essays don't cover this" would contradict it;
- a section the answer cites (the reader opens that essay at the quote already);
- a passage that is mostly sentences the answer quoted (a duplicate elsewhere);
- a passage whose cosine to the query is below :data:`MIN_SCORE`, or one that shares
  no word with the question unless it is at least :data:`MEANING_ONLY_MIN` close;
- a passage flagged at ingest for giving orders to an AI assistant;
- a sibling section the answer passed over as not asked (``search/siblings.py``: the
  junior-to-mid question is not offered Senior and Senior Staff "also about: levels").

The words a "why" names are the question's terms (stemmed, as BM25 reads them) that the
section uses, spelled as the section spells them; a word that more than
:data:`COMMON_SHARE` of all passages use ("open" in an open-source corpus) is left out
when a rarer one is shared or a heading names one, as it says little about this section.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from assistant.domain import Chunk, Citation, ReadMore, SearchHit, normalise_text
from assistant.search import (
    INSTRUCTIONS_FLAG,
    STOPWORDS,
    plain_words,
    section_of,
    siblings_not_asked,
    split_units,
    terms,
)

READ_MORE_MAX = 3
# Cosine of passage to query. On the gold questions (all-MiniLM-L6-v2), uncited
# sections a reader would call on topic sit at 0.40-0.76, and those that only brush
# the question (a cover letter for "portfolio", STAR answers for "questions to ask at
# the end", open-source sections for a salary question) at 0.23-0.38: the retriever
# must return k passages, the reader needs only the good ones.
MIN_SCORE = 0.40
# A section that shares no word with the question is listed only when this close.
MEANING_ONLY_MIN = 0.50
# A passage whose text is more than this share quoted already adds little.
QUOTED_MAX = 0.5
# How many shared words a "why" names, and how common a word may be to be named.
WHY_WORDS = 3
COMMON_SHARE = 0.12
CLOSE_IN_MEANING = "Close in meaning to your question"
# Words of a question that are no stopwords but say nothing about a section's topic.
_VAGUE = frozenset(
    terms(
        "actually really many much better best good new big take takes make way want need "
        "without thing things like use using know go going getting lot"
    )
)


def read_more(
    hits: Sequence[SearchHit],
    citations: Sequence[Citation],
    query: str,
    *,
    refused: bool,
    term_share: Mapping[str, float] | None = None,
    question: str | None = None,
) -> tuple[ReadMore, ...]:
    """Up to three uncited sections among ``hits`` worth reading on ``query``.

    ``term_share`` gives, for terms of the query, the share of all passages that use
    them (see :data:`COMMON_SHARE`); without it every shared word may be named.
    ``question``: the user's own words, which name the siblings asked (``query`` may
    read them with the conversation, and a history names no sibling).
    """
    if refused:
        return ()
    passed = _siblings_passed(question if question is not None else query, hits)
    seen = {(c.source, c.heading) for c in citations}
    quotes = [normalise_text(c.quote) for c in citations if c.quote.strip()]
    share = dict(term_share or {})
    asked = {t: share.get(t, 0.0) for t in terms(query) if t not in STOPWORDS}
    picked: list[ReadMore] = []
    for hit in sorted(hits, key=lambda h: h.score, reverse=True):
        chunk = hit.chunk
        key = (chunk.source, chunk.heading_path)
        if hit.score < MIN_SCORE or len(picked) == READ_MORE_MAX:
            break
        if key in seen or INSTRUCTIONS_FLAG in chunk.flags or chunk.id in passed:
            continue
        if quoted_share(chunk.text, quotes) > QUOTED_MAX:
            continue
        why = why_line(asked, chunk, hit.score)
        if not why:
            continue
        seen.add(key)
        picked.append(
            ReadMore(
                source=chunk.source,
                title=chunk.title,
                heading=chunk.heading_path,
                start=chunk.start,
                end=chunk.end,
                score=hit.score,
                why=why,
                chunk_id=chunk.id,
            )
        )
    return tuple(picked)


def _siblings_passed(question: str, hits: Sequence[SearchHit]) -> set[str]:
    """Ids of the passages the answer passed over as sibling sections not asked, read as
    the extractive answer reads them (``answer/passage_units.py``). It reads a table's
    rows with their header (``search/tables.read_tables``), which would need the essay
    file; a section's opening, all the siblings test reads, is its first two units, and
    a table opens with its header row and rule, which both read alike (a passage opening
    inside a table has no header to read its rows with): 0 of 524 dataset questions
    differ."""
    sections = [section_of(h.chunk, [u.text for u in split_units(h.chunk.text)]) for h in hits]
    return {hits[i].chunk.id for i in siblings_not_asked(question, sections)}


def quoted_share(text: str, quotes: Iterable[str]) -> float:
    """How much of ``text`` (0 to 1) is made of the (normalised) ``quotes``.

    By characters of the quotes that occur in it verbatim: extractive quotes are the
    passages' own sentences, and so is the quote an LLM answer is checked against.
    """
    body = normalise_text(text)
    if not body:
        return 1.0
    covered = sum(len(q) for q in quotes if q and q in body)
    return min(1.0, covered / len(body))


def why_line(asked: Mapping[str, float], chunk: Chunk, score: float) -> str:
    """One line of why ``chunk`` is worth reading, or "" when it has no case."""
    words = shared_words(asked, chunk)
    if words:
        return "Also about: " + ", ".join(words)
    return CLOSE_IN_MEANING if score >= MEANING_ONLY_MIN else ""


def shared_words(asked: Mapping[str, float], chunk: Chunk) -> list[str]:
    """The question's terms (``asked``: term to its share of passages) that the section
    uses, as the section spells them: those its headings name first, then by how often
    it uses them and how rare they are. A common word is named only when a heading
    names it or no rarer word is shared."""
    named = " ".join(chunk.heading)  # not the title: every passage of the essay has it
    in_name = set(terms(named)) & set(asked)
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for word in plain_words(f"{named}\n{chunk.text}"):
        for term in terms(word):  # one term at most: a word is one stem or a stopword
            if term in asked and term not in _VAGUE:
                counts[term] += 1
                spelled.setdefault(term, word)

    def weight(term: str) -> float:
        return counts[term] * -math.log(max(asked[term], 1e-6))

    ranked = sorted(counts, key=lambda t: (t not in in_name, -weight(t), spelled[t]))
    telling = [t for t in ranked if t in in_name or asked[t] <= COMMON_SHARE]
    return [spelled[t] for t in (telling or ranked)[:WHY_WORDS]]
