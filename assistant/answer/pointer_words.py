"""Which words of a question stand for something said before, one word at a time.

"one" is a pronoun in "when I close one?" and a number in "I have one offer"; "there" is
a place in "Is it nice to work there?" and says something exists in "Are there sites…";
"them" stands for a noun of the question's own in "…users act like I'm on call for
them". :mod:`assistant.answer.pointers` reads whole questions with these.
"""

from __future__ import annotations

import re

from assistant.search import STOPWORDS

# Words that point back at something said before.
ANAPHORA = frozenset(
    [
        "it",
        "its",
        "they",
        "them",
        "their",
        "that",
        "this",
        "those",
        "these",
        "there",
        "he",
        "she",
        "him",
        "her",
        "such",
        "one",
        "ones",
        "so",
        "then",
        "instead",
        "also",
        "too",
        "either",
        # "Is there anything else?", "What else can I ask for?": more of what was said.
        "else",
    ]
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’+#.-]*[A-Za-z0-9+#]|[A-Za-z]")
# Plural pointers that stand for a plural noun the question names before them, in an
# earlier clause: "…users act like I'm on call for them", "One offer gives me options and
# the other gives RSUs. Aren't those basically the same thing?". Not the subject of their
# own clause: in "Do startups usually give them to new grads?" "them" is something said
# before. (A singular "it" or "that" has no such tell: "My manager gave me feedback. Is
# that normal?" may well mean the last answer.)
_PLURAL_POINTERS = frozenset("they them those these".split())
# Words after which a word in "-s" is a verb, not a plural noun: "What happens to them…".
_SINGULAR_SUBJECTS = frozenset("what it that this he she who which one everyone".split())
# Where a clause ends or another begins: punctuation, a word that opens a clause, or a
# subject pronoun ("…users act like I'm on call for them"). Not "and"/"or", which join
# nouns as often ("Do startups and big companies give them…?").
_CLAUSE_BREAK = re.compile(
    r"[,.;:?!—–]|\b(?:i|i'm|i’m|you|we|he|she|if|when|whenever|because|but|so|that|which"
    r"|who|where|while|since|before|after|until|unless|like|though|although)\b",
    re.IGNORECASE,
)
_BE = frozenset("is are was were isn't aren't weren't".split())


def _names_plurals(before: str, found: list[re.Match[str]]) -> bool:
    """Whether the text ``before`` a "they", "them", "those" or "these" names a plural noun
    it may stand for, in an earlier clause (:data:`_CLAUSE_BREAK` between them): a word
    of four letters or more ending in "s", no stopword, pointer, "-ss", "-us" or "-is"
    word, nor a verb after a singular subject ("users", "RSUs"; not "boss", "status",
    "this", "what happens"). ``found`` are its words (``WORD`` matches)."""
    words = [(m.group(0).lower(), m.end()) for m in found]
    return any(
        len(w) > 3
        and w.endswith("s")
        and not w.endswith(("ss", "us", "is", "'s", "’s"))
        and w not in STOPWORDS
        and w not in ANAPHORA
        and (i == 0 or words[i - 1][0] not in _SINGULAR_SUBJECTS)
        and _CLAUSE_BREAK.search(before, end) is not None
        for i, (w, end) in enumerate(words)
    )


def points_inside(pointer: str, before: str, after: str) -> bool:
    """Whether ``pointer``, between the texts ``before`` and ``after`` it, is a plural one
    standing for a noun the question names before it. "those" or "these" before a noun
    ("on those calls", not "are those taxed") stand for what that noun names, inside only
    where it was named."""
    if pointer.lower() not in _PLURAL_POINTERS:
        return False
    found = list(WORD.finditer(before))
    named = [m.group(0).lower() for m in found]
    noun = next(iter(WORD.findall(after)), "").lower()
    if (
        pointer.lower() in ("those", "these")
        and noun
        and noun not in STOPWORDS
        and not noun.endswith(("ly", "ed"))
        and not (named and named[-1] in _BE)  # "Are those negotiable?": no noun of its own
    ):
        return noun in named
    return _names_plurals(before, found)


def pointer_words(text: str) -> list[str]:
    """The words of ``text`` (lower case, in order) that stand for something said before:
    "one" only as a pronoun ("when I close one?", "a cheaper one", "Can I negotiate one
    later?"), not as a number before its noun ("I have one offer in hand", "One offer
    gives me options…"); "there" only as a place, not as "Are there…" (:func:`_existential`);
    "them" or "those" not for a noun of the text's own (:func:`points_inside`)."""
    found = list(WORD.finditer(text))
    words = [m.group(0).lower() for m in found]
    return [
        w
        for i, (m, w) in enumerate(zip(found, words, strict=True))
        if w in ANAPHORA
        and not _counts(words, i)
        and not _existential(words, i)
        and not points_inside(w, text[: m.start()], text[m.end() :])
    ]


def _existential(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` is "there" saying something exists ("Are there sites
    where…?", "there is no…"), not a place said before ("Is it nice to work there?")."""
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    return words[i] == "there" and (before in _BE or after in _BE)


# Words after a pronoun "one" that are no noun it counts: "write one quickly", "negotiate
# one later", "Is one enough?", "the Google one better".
_AFTER_PRONOUN = frozenset(
    "later now soon again enough better worse yet first last too either without before after"
    " instead anyway".split()
)


def _counts(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` is "one" counting the noun after it (a number, not a pronoun)."""
    after = words[i + 1] if i + 1 < len(words) else ""
    return (
        words[i] == "one"
        and bool(after)
        and after not in STOPWORDS
        and after not in _AFTER_PRONOUN
        and not after.endswith("ly")
    )
