"""Clauses: a list item or a heading written as a clause of the sentence it goes in.

Its first word is lower-cased ("Proclaim reasons…" -> "proclaim reasons…") unless it is
an acronym or a name, which the corpus's own use of the word tells apart (the
vocabulary it writes in lower case); an item's "Label: text" reads "label — text".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from assistant.answer.claims import navigates
from assistant.search import STOPWORDS, split_sentences


def lowercase_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Words safe to lower-case at the start of a clause: those the corpus writes in lower
    case at least as often as it capitalises them mid-sentence, like a name ("at Samsung").
    Also the pairs of words it writes together in lower case ("system design"): words a
    name is made of may be common, but not written so together ("Hello Interview")."""
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    pairs: set[str] = set()
    for t in texts:
        lower.update(re.findall(r"(?<![\w'’])[a-z][a-z-]+", t))
        capital.update(w.lower() for w in re.findall(r"(?<=[a-z,] )[A-Z][a-z-]+", t))
        lower.update(w.lower() for w in re.findall(r"(?:^|(?<=\n))(?:\d+\. |- )?([A-Z][a-z-]+)", t))
        pairs.update(" ".join(p) for p in _PAIR.findall(t))
    return frozenset(w for w in lower if lower[w] >= capital[w]) | pairs


# Two words written together in lower case: "system design" in "…a system design round".
_PAIR = re.compile(r"(?<![\w'’.])(?=([a-z][a-z-]+) ([a-z][a-z-]+)(?![\w'’]))")


def _is_name(text: str) -> bool:
    """Title Case ("Open Source Friday") or an inner capital ("GitHub", "CodeTriage")."""
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    if not words:
        return False
    if any(c.isupper() for c in words[0][1:]):
        return True
    first = words[0].lower()
    if (
        len(words) > 1
        and words[1][0].isupper()
        and not words[1].isupper()
        and first not in _COMMON_STARTS
        and not _COMMON_SUFFIX.search(first)
    ):
        return True  # a person's name: "Omar Halabieh 90-day career blueprint"
    rest = words[1:4]
    return len(rest) >= 1 and all(w[0].isupper() for w in rest)


def heading_clause(heading: str, vocab: frozenset[str] | None = None) -> str:
    """'Proclaim reasons for everything!' -> 'proclaim reasons for everything': a heading
    is capitalised as a heading, so its first word is lower-cased, unless it is an
    acronym or the heading is in Title Case ("Finding Your Focus" stays as written),
    or, given the corpus's ``vocab``, a name it never writes in lower case ("Pramp",
    "Codemia": the platforms a list of options is headed by)."""
    text = heading.strip().rstrip(".!:;")
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    title_case = len(words) > 2 and sum(w[0].isupper() for w in words[1:]) > len(words[1:]) / 2
    title_case = title_case or (len(words) == 2 and words[1][0].isupper())  # "Hello Interview"
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not title_case:
        first = words[0].lower() if words else ""
        if vocab is not None and len(words) <= 2 and not _common_word(first, vocab):
            return text
        return text[0].lower() + text[1:]
    return text


def _common_word(word: str, vocab: frozenset[str]) -> bool:
    return word in vocab or word in _COMMON_STARTS or bool(_COMMON_SUFFIX.search(word))


def as_clause(item: str, vocab: frozenset[str], keep_case: bool = False) -> str:
    """'Implementation skills: The ability to' -> 'implementation skills — the ability to'
    (capitals kept as written with ``keep_case``). A sentence of the item that only points
    elsewhere is left out ("…stay up to date. (See more detailed instructions here.)"):
    the item is a claim, that sentence none."""
    sentences = split_sentences(item)
    if len(sentences) > 1 and any(navigates(s) for s in sentences):
        item = " ".join(s for s in sentences if not navigates(s)) or item
    text = item.strip().rstrip(".;?!")  # a question item is a clause of the lead-in too

    def lower(t: str) -> str:
        return _lower_function_word(t) if keep_case else _lower_first(t, vocab)

    label, sep, rest = text.partition(": ")
    if sep and 0 < len(label.split()) <= 6:
        return f"{lower(label)} — {lower(rest)}"
    return lower(text)


def _lower_first(text: str, vocab: frozenset[str]) -> str:
    """Lower-case a leading capital unless the word is an acronym or a name-like token
    ("GitHub Explore", "Up For Grabs" and "OpenSauced" are names, kept as written)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not _is_name(text):
        first = text.split(" ", 1)[0].lower()
        if first in vocab or first in _COMMON_STARTS or _COMMON_SUFFIX.search(first):
            return text[0].lower() + text[1:]
    return text


def _lower_function_word(text: str) -> str:
    """Lower-case a leading word no name starts with ("If", "When", "Be"): after a
    list's "; " even where an item keeps the capitals it was written with."""
    first = text.split(" ", 1)[0].replace("’", "'")
    if first[:1].isupper() and first.lower() in _FUNCTION_WORDS and not _is_name(text):
        return text[0].lower() + text[1:]
    return text


# "I" is always a capital ("I'm" too); "Will" and "May" may be a person or a month.
_FUNCTION_WORDS = frozenset(w for w in STOPWORDS if w != "i" and not w.startswith("i'")) - {
    "will",
    "may",
}
# Capitalised only because it starts an item: common nouns and verb forms. Anything
# else (Google, Rora, Python) keeps its capital.
_COMMON_SUFFIX = re.compile(
    r"(?:ing|ion|ions|ity|ness|ment|ments|al|ive|ed|ship|ance|ence|ics|ure|ge|ty)$"
)
_COMMON_STARTS = frozenset(
    [
        "the",
        "a",
        "an",
        "enough",
        "ability",
        "understanding",
        "familiarity",
        "building",
        "implementing",
        "focusing",
        "working",
        "contributing",
        "publishing",
        "allocating",
        "participating",
        "explaining",
        "following",
        "quality",
        "impact",
        "help",
        "provide",
        "mock",
        "introduce",
    ]
)
