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
from assistant.search import (
    TermUsage,
    acronym_singular,
    split_units,
    stem,
    term_words,
    terms,
)

# Capitalised after a lower-case word or punctuation (so not the sentence's first word),
# an acronym, or a number.
# Capitalised words in a row are one name ("Jane Street").
_WORD = r"[A-Z][A-Za-z0-9.&+-]*[A-Za-z0-9+]"
_NAME = re.compile(
    rf"(?<=[a-z,;:'’)] )({_WORD}(?: {_WORD})*|[A-Z]{{2,}})|(?<![\w$])(\d[\d,.]*\d|\d)\b"
)
# A name the essays use in more passages than this is known to them.
KNOWN_IN = 2
# A term with a word the essays use in at most this many passages is jargon of theirs
# (see :func:`is_jargon`). Of the seventeen answerable terms of refusal-tune's
# definitional questions (r-065 to r-090), thirteen have a word used in five passages or
# fewer of 391 ("BATNA": one); the rest ("staff engineer", "system design interview")
# match their passages well enough not to need it. "Java" is used in 3, "Rust" in 5.
JARGON_IN = 5
# At most this many other words (small words aside) stand among a jargon term's words in
# a passage that explains it: "backloaded schemes (you vest less…)" explains "backloaded
# vesting" (one between). Each answerable term of refusal-tune has a passage with at most
# one; "stack ranking"'s one passage with both words has 24 between.
NEAR = 3
# What makes a passage say what its term is: "BATNA (Best Alternative…)", "work in
# progress (WIP)", "a strike price, which is…", "BDFL: …", "X is/means/stands for…".
# The term may stand in quotes: 'mark as a "WIP" (Work in Progress)'.
_CLOSING_QUOTE = r"[\"”'’]?"
_WHICH_IS = r",?\s+(?:which|that) (?:is|are|means)\b"
_MEANS = r"means|stands for|refers to"
_DEFINES_AFTER = rf"{_CLOSING_QUOTE}(?:\s*[(:]|{_WHICH_IS}|\s+(?:is|are|{_MEANS})\b)"
_DEFINES_BEFORE = r"\(\s*[\"“'‘]?$"
# Strictly, for a passage no retrieval found (see :func:`definition`): "X is…" or "X:"
# only where X opens the sentence ("A vesting cliff means…", "BDFL: …"); "…beyond the
# Big Three is challenging", "If a divider is required…" say nothing of what X is.
_STRICT_AFTER = rf"{_CLOSING_QUOTE}(?:\s*\(|{_WHICH_IS}|\s+(?:{_MEANS})\b)"
_OPENS_AFTER = rf"{_CLOSING_QUOTE}(?:\s*:|\s+(?:is|are)\s+(?:a|an|the)\b)"
_OPENING = re.compile(r"^[\s\"“'‘*-]*(?:(?:a|an|the)\s+)?$", re.IGNORECASE)
# A term's last word that names a kind of thing, not the thing: "STAR technique" is the
# essays' "STAR format", "relocation package" their "relocation bonus". Whether the
# words meet in one passage is judged without it (see :func:`term_usage`).
_GENERIC_HEADS = frozenset(
    terms(
        "technique method approach strategy tactic template platform tool process role"
        " position job package program plan model framework system format file document"
        " guide policy rule step tip type kind example"
    )
)
# Words before a term that point at something said before: "the drawbacks" are those of
# the last turn's subject, "a severance package" is asked about for itself.
_POINTING = r"(?:the|those|these|that|this|its|their)"
# Names given as examples are not what a question is about: "reimplementations of famous
# papers like ResNet and a mini GPT" asks about reimplementations. An example marker
# right before the name (not "what is it like at Jane Street"), or, before a further
# example, only "and"/"or"/a comma and a few small words after the previous one.
_EXAMPLE = re.compile(
    # "like" after a plural noun ("papers like", "firms like"), not as a verb ("I like
    # Jane Street", "sounds like") nor "what is it like at…"; the other markers anywhere
    # but at a sentence's start ("For example, Jane Street asked me…" is its subject).
    r"(?:(?<=\ws )(?<!\bsounds )(?<!\blooks )(?<!\bseems )(?<!\bis )(?<!\bwas )like"
    r"|(?<=[\w,] )(?:such as|e\.g\.,?|for example,?|for instance,?|including))\s+"
    r"(?:(?:a|an|the|my|some|mini|small)\s+)*$",
    re.IGNORECASE,
)
_ANOTHER = re.compile(r"^(?:\s*,\s*|\s+)(?:(?:and|or)\s+)?(?:(?:a|an|the|my|some|mini|small)\s+)*$")


def unseen_names(
    question: str, hits: Sequence[SearchHit], doc_freq: Callable[[str], int]
) -> tuple[str, ...]:
    """Names in ``question``, as written, that neither the retrieved passages nor (more
    than ``KNOWN_IN`` passages of) the collection use; names it gives as examples
    ("papers like ResNet and a mini GPT") are left out."""
    shown = set(terms(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits)))
    unseen: list[str] = []
    example_end = -1  # where the last name given as an example ends
    for m in _NAME.finditer(question):
        name = m.group(0).rstrip(".,")
        before = question[max(0, m.start() - 60) : m.start()]  # not the whole prefix again
        if _EXAMPLE.search(before) or (
            example_end >= 0 and _ANOTHER.match(question[example_end : m.start()])
        ):
            example_end = m.start() + len(name)
            continue
        words = terms(name)
        known = any(w in shown or doc_freq(w) > KNOWN_IN for w in words)
        if words and not known and name not in unseen:
            unseen.append(name)
    return tuple(unseen)


def name_words(names: Sequence[str]) -> int:
    """How many distinct words the names hold: "Jane Street" is two, "ML" twice is one."""
    return len({w for name in names for w in terms(name)})


def is_jargon(usage: TermUsage) -> bool:
    """Whether a word of the term is one the essays use in at most ``JARGON_IN`` passages
    ("BATNA": one): a passage that uses it is about it, however weakly the question's
    vector matched. "The meaning of life" is no such term."""
    return any(n <= JARGON_IN for n in usage.counts.values())


def defines(term: str, chunk: Chunk) -> bool:
    """Whether ``chunk`` says what ``term`` is (:func:`says_what`, in one of its sentences).
    Not a passage that merely shares a stem ("blindly" for "Blind", "refreshed" for
    "refresher"), names it in passing ("practice in Java, Python, C++"), in a heading
    only ("4. Phone screen interviews", whose answer came from elsewhere) or in a table
    row ("L5 (Senior SWE) | $355,000 | …", which is no sentence to answer with)."""
    return any(says_what(term, sentence) for sentence in _sentences(chunk))


def _sentences(chunk: Chunk) -> list[str]:
    # A line may hold several sentences, and "X is a…" opens one of them, not the line.
    return [unit.text for unit in split_units(chunk.text)]


def says_what(term: str, text: str, *, strict: bool = False) -> bool:
    """Whether ``text`` (a sentence, a line; not a table row) writes ``term`` itself (any
    case, or its plural) as it defines it (``_DEFINES_AFTER``, ``_DEFINES_BEFORE``; when
    ``strict``, ``_STRICT_AFTER`` or, with the term opening the text, ``_OPENS_AFTER``)."""
    if " | " in text:
        return False
    base = acronym_singular(term)  # "IPOs" is written "(IPO)"
    written = re.compile(rf"(?<![\w-]){re.escape(base)}(?:e?s)?(?![\w-])", re.IGNORECASE)
    for m in written.finditer(text):
        after, before = text[m.end() : m.end() + 40], text[max(0, m.start() - 10) : m.start()]
        if re.search(_DEFINES_BEFORE, before):
            return True
        if not strict and re.match(_DEFINES_AFTER, after):
            return True
        opens = bool(_OPENING.match(text[: m.start()]))
        if strict and (re.match(_STRICT_AFTER, after) or (opens and re.match(_OPENS_AFTER, after))):
            return True
    return False


def term_usage(term: str, usage_of: Callable[[list[str]], TermUsage]) -> TermUsage | None:
    """How the essays use the words of ``term`` that say what it is (``usage_of`` some
    words: ``PassageRetriever.term_usage``); None for a term of no words. A last word that
    names only a kind of thing is left out ("STAR technique" is the essays' "STAR format",
    "relocation package" their "relocation bonus"), unless what remains is jargon one
    passage alone uses, without writing it before such a word or defining it: "greedy
    approach" is then judged whole, its "greedy" being one passage's "It's not you being
    greedy". (Any passage more, and the rest is judged alone: "fiscal sponsor program".)"""
    words = term_words(term)
    if not words:
        return None
    rest = without_kind(words)
    if rest != words:
        usage = usage_of(rest)
        rest_as_written = term.rsplit(maxsplit=1)[0]  # "code of conduct", not "code conduct"
        if (
            not is_jargon(usage)
            or usage.together > 1
            or any(names_a_kind(rest, rest_as_written, c) for c in usage.passages)
        ):
            return usage
    return usage_of(words)


def without_kind(words: list[str]) -> list[str]:
    """``words`` without a last word naming only a kind of thing (``_GENERIC_HEADS``:
    "technique", "template"), when others remain."""
    if len(words) > 1 and stem(words[-1]) in _GENERIC_HEADS:
        return words[:-1]
    return words


def names_a_kind(words: list[str], written: str, chunk: Chunk) -> bool:
    """Whether ``chunk`` writes ``words`` right before a word naming a kind of thing
    ("the STAR format") or says what they are, as the question wrote them (``written``,
    :func:`defines`)."""
    return _before_a_kind([stem(w) for w in words], chunk) or defines(written, chunk)


def _near(want: Sequence[str], chunk: Chunk) -> bool:
    """Whether ``chunk`` writes the stemmed words ``want`` with at most ``NEAR`` other
    words among them, in any order, small words aside."""
    written = terms(f"{chunk.heading_path}\n{chunk.text}")
    size = len(want) + NEAR
    return any(set(want) <= set(written[i : i + size]) for i in range(len(written)))


def _before_a_kind(want: list[str], chunk: Chunk) -> bool:
    """Whether ``chunk`` (its section headings too) writes the stemmed words ``want`` in a
    row, small words aside, right before a word naming a kind (``_GENERIC_HEADS``)."""
    written = terms(f"{chunk.heading_path}\n{chunk.text}")
    n = len(want)
    return any(
        written[i : i + n] == want and written[i + n] in _GENERIC_HEADS
        for i in range(len(written) - n)
    )


def asked_for_itself(question: str, term: str) -> bool:
    """Whether ``question`` asks about ``term`` for itself, not pointing back at it ("What
    are the drawbacks?" after a question on RSUs asks about theirs)."""
    return bool(term) and not re.search(rf"\b{_POINTING}\s+{re.escape(term)}", question, re.I)


def unwritten(usage: TermUsage | None) -> bool:
    """Whether no passage writes some word of the term (``usage``): "severance"."""
    return usage is not None and min(usage.counts.values(), default=1) == 0


def term_verdict(usage: TermUsage) -> str:
    """For a question that asks what a term means: "refuse" when no passage can say what
    it is, because a word of it is one no passage uses ("409A", "sponsorware"), or its
    words never meet in one passage ("liquidation preference": "liquid" is in three
    passages, "prefer" in six, never together; "tech debt", "stock split"), or, jargon,
    never stand near each other (``NEAR``: "stack ranking", whose one passage with both
    asks "What is your stack?" 24 words from ranking anything) and no passage defines a
    jargon word of it alone ("RSU grant"); else "" (the usual rules decide, or
    :func:`definition` answers). Jargon's passages are all in ``usage.passages`` when it
    keeps ``JARGON_IN``: one word is in no more."""
    if not usage.counts:
        return ""
    if min(usage.counts.values()) == 0 or not usage.together:
        return "refuse"
    if (
        len(usage.words) > 1
        and is_jargon(usage)
        and not any(_near([stem(w) for w in usage.words], c) for c in usage.passages)
        and not any(defines(w, c) for w in _rare(usage) for c in usage.passages)
    ):
        return "refuse"
    return ""


def _rare(usage: TermUsage) -> list[str]:
    # The jargon words of a term, as written: a passage that defines one ("Restricted
    # Stock Unit (RSU)") explains "RSU grant", however far it writes "grant" from it.
    return [w for w in usage.words if usage.counts.get(stem(w), 0) <= JARGON_IN]


def definition(
    term: str, hits: Sequence[SearchHit], usage: TermUsage, *, beyond: bool
) -> Chunk | None:
    """The passage that says what ``term`` is (:func:`defines`), when it is jargon
    (:func:`is_jargon`): the best passage found, or, ``beyond`` it (nothing found answers
    otherwise), the first passage using every word of the term that plainly does
    (:func:`says_what`, ``strict``). "What does WIP mean?" matches passages on
    compensation best (two short words' vector), while two essays write "work in
    progress (WIP)"; such a passage answers the question, and leads the answer. When the
    passages found do answer, a definition elsewhere is not what the answer is drafted
    from first ("personal ecology is an ongoing practice…")."""
    if not is_jargon(usage):
        return None
    if hits and defines(term, hits[0].chunk):
        return hits[0].chunk
    if not beyond:
        return None
    # A passage retrieval did not find answers alone: only a sentence that plainly
    # defines ("(WIP)", "stands for", "X is a…") may, not "the Big Three is challenging".
    strictly = (
        c
        for c in usage.passages
        if any(says_what(term, sentence, strict=True) for sentence in _sentences(c))
    )
    return next(strictly, None)
