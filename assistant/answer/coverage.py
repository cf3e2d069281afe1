"""Whether the essays know what a question names.

A question can share every topic word with the essays and still be about
something they never mention: "What is the interview process like at Jane
Street?" matches the interview essays well (cosine 0.65), but no essay names
Jane Street, so any answer would be about other companies. Names are what the
question writes capitalised mid-sentence (Jane Street, Coursera, H-1B) or as a
number (level 62); one the essays barely use and the retrieved passages lack is
*unseen*. Common words are left out on purpose: "repo", "lunch" or "solid" are
missing from the essays too, and refusing on them refused answerable questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.domain import Chunk, SearchHit
from assistant.search import split_units, terms

# Capitalised after a lower-case word or punctuation (so not the sentence's first word),
# an acronym, or a number.
# Capitalised words in a row are one name ("Jane Street").
_WORD = r"[A-Z][A-Za-z0-9.&+-]*[A-Za-z0-9+]"
_NAME = re.compile(
    rf"(?<=[a-z,;:'’)] )({_WORD}(?: {_WORD})*|[A-Z]{{2,}})|(?<![\w$])(\d[\d,.]*\d|\d)\b"
)
# A name the essays use in more passages than this is known to them.
KNOWN_IN = 2
# What a question quotes: "How do I answer 'What's your biggest weakness?'" An opening
# quote after a space (not "candidates' resumes"), a closing one before a space or a
# stop (not the apostrophe of "what's").
_QUOTE = re.compile(r"(?:(?<=\s)|^)['\"“‘](.{2,200}?)['\"”’](?=[\s?.,!;:)]|$)")
# A longer quote is a pasted message, not a phrase the essays would say as it is.
QUOTE_WORDS = 12


def unseen_names(
    question: str, hits: Sequence[SearchHit], doc_freq: Callable[[str], int]
) -> tuple[str, ...]:
    """Names in ``question``, as written, that neither the retrieved passages nor (more
    than ``KNOWN_IN`` passages of) the collection use."""
    shown = set(terms(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits)))
    unseen: list[str] = []
    for m in _NAME.finditer(question):
        name = m.group(0).rstrip(".,")
        words = terms(name)
        known = any(w in shown or doc_freq(w) > KNOWN_IN for w in words)
        if words and not known and name not in unseen:
            unseen.append(name)
    return tuple(unseen)


def name_words(names: Sequence[str]) -> int:
    """How many distinct words the names hold: "Jane Street" is two, "ML" twice is one."""
    return len({w for name in names for w in terms(name)})


def unseen_quotes(
    question: str, passages_using: Callable[[Sequence[str]], Sequence[Chunk]]
) -> tuple[str, ...]:
    """Phrases ``question`` quotes, as written, whose words no sentence of the essays
    (nor a title or heading) uses together.

    A user who quotes asks about those words: the essays list questions to ask at the
    end of an interview but never "What's your biggest weakness?", so an answer from
    them would be about other questions. One sentence or list item, not one passage: a
    list of questions holds "biggest challenge" and "weaknesses of the team". Quoted words
    the essays do say together ("tell me about yourself", "what's a typical day") are
    known, whatever else the question says. On the tune sets this refused two
    unanswerable questions and no answerable one.
    """
    unseen: list[str] = []
    for m in _QUOTE.finditer(question):
        phrase = m.group(1).strip()
        words = set(terms(phrase))
        if not words or len(phrase.split()) > QUOTE_WORDS or phrase in unseen:
            continue
        if not any(_says_together(c, words) for c in passages_using(sorted(words))):
            unseen.append(phrase)
    return tuple(unseen)


def _says_together(chunk: Chunk, words: set[str]) -> bool:
    lines = [chunk.title, *chunk.heading, *(u.text for u in split_units(chunk.text))]
    return any(words <= set(terms(line)) for line in lines)
