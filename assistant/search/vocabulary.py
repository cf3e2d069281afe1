"""The collection's vocabulary: which of a question's words the passages use, and how.

Two readers of the BM25 index's document frequencies. :func:`term_usage` tells the
answer layer how the essays use a question's terms (is "BATNA" theirs? which passages
use them all?). :func:`unknown_terms` names the words of a query a large collection
never uses, a sign the question is off its subject (refusal weighs it with the best
cosine). Both read a word as written where its stem is rare: the stemmer's "sever" is
"several" in a passage, not "severance".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.domain import Chunk
from assistant.search.lexical import LexicalIndex, same_word, stem, term_words
from assistant.search.retrieved import TermUsage

# A collection this large (in passages) is read as a large one. A word it never uses
# says a question is off its subject only in a collection large enough to use common
# words: the bundled essay's 12 passages never say "much" or "thing" (so "How much theory
# should I learn before building things?" was refused), while 22 essays' 391 passages use
# each about 30 times. A word found in 3% of passages is missing from 200 of them with
# odds under 2%. And only there is a question held to ``Settings.refuse_near_below``.
LARGE_COLLECTION = 200
# A stem in at most this many passages counts for a word only where one writes that word
# (``LexicalIndex.writes``): "sever" is in five passages here, all "several", none
# "severance". A commoner stem is taken as written: its words are one word in other
# forms far more often ("deductible" for "deduction") than another word.
WRITTEN_CHECK_MAX = 5
# How many of a query's best passages show how the essays write its words.
SHOWN_PASSAGES = 3


def lexical_text(chunk: Chunk) -> str:
    """What BM25 reads of a passage. Section titles carry terms a question often uses
    ("negotiation", "burnout")."""
    return f"{chunk.title}\n{chunk.heading_path}\n{chunk.text}"


def term_usage(
    lexical: LexicalIndex, chunks: Mapping[str, Chunk], words: Sequence[str], keep: int
) -> TermUsage:
    """How the passages use ``words`` (as :func:`term_words` reads them): each word's
    count by its stem, and the passages using all of them (at most ``keep`` returned). A
    word no passage writes counts 0, though its stem is another word's ("severance" is
    not the essays' "several"), when the stem is rare (``WRITTEN_CHECK_MAX``)."""
    stems = [stem(w) for w in words]
    ids = lexical.using_all(stems)
    counts = {}
    for w, s in zip(words, stems, strict=True):
        n = lexical.doc_freq(s)
        counts[s] = n if n > WRITTEN_CHECK_MAX or lexical.writes(w) else 0
    kept = tuple(chunks[i] for i in ids[:keep] if i in chunks)
    return TermUsage(counts, len(ids), kept, tuple(words))


def unknown_terms(lexical: LexicalIndex, query: str, found: Sequence[Chunk]) -> tuple[str, ...]:
    """The (stemmed) words of ``query`` a large collection never uses: in at most one
    passage, or a rare stem no passage writes as the query does, and not shown in the
    query's best passages (``found``, best first). None in a small collection."""
    if len(lexical) < LARGE_COLLECTION:
        return ()
    shown: dict[str, set[str]] = {}
    for word in term_words(" ".join(lexical_text(c) for c in found[:SHOWN_PASSAGES])):
        shown.setdefault(stem(word), set()).add(word)
    unknown = set()
    for word in term_words(query):
        t, n = stem(word), lexical.doc_freq(stem(word))
        rare = n <= WRITTEN_CHECK_MAX
        if t in shown and (not rare or any(same_word(word, w) for w in shown[t])):
            continue
        if n <= 1 or (rare and not lexical.writes(word)):
            unknown.add(t)
    return tuple(sorted(unknown))
