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
from assistant.search import TermUsage, acronym_singular, terms

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
# What makes a passage say what its term is: "BATNA (Best Alternative…)", "work in
# progress (WIP)", "a strike price, which is…", "BDFL: …", "X is/means/stands for…".
# The term may stand in quotes: 'mark as a "WIP" (Work in Progress)'.
_DEFINES_AFTER = (
    r"[\"”'’]?"
    r"(?:\s*[(:]|,?\s+(?:which|that) (?:is|are|means)\b|\s+(?:is|are|means|stands for|refers to)\b)"
)
_DEFINES_BEFORE = r"\(\s*[\"“'‘]?$"
# Strictly, for a passage no retrieval found (see :func:`definition`): "X is…" or "X:"
# only where X opens the sentence ("A vesting cliff means…", "BDFL: …"); "…beyond the
# Big Three is challenging", "If a divider is required…" say nothing of what X is.
_STRICT_AFTER = (
    r"[\"”'’]?"
    r"(?:\s*\(|,?\s+(?:which|that) (?:is|are|means)\b|\s+(?:means|stands for|refers to)\b)"
)
_OPENS_AFTER = r"[\"”'’]?(?:\s*:|\s+(?:is|are)\s+(?:a|an|the)\b)"
_OPENING = re.compile(r"^[\s\"“'‘*-]*(?:(?:a|an|the)\s+)?$", re.IGNORECASE)
# A term's last word that names a kind of thing, not the thing: "STAR technique" is the
# essays' "STAR format", "relocation package" their "relocation bonus". Whether the
# words meet in one passage is judged without it (see :func:`judged_words`).
_GENERIC_HEADS = frozenset(
    terms(
        "technique method approach strategy tactic template platform tool process role"
        " position job package program plan model framework system format file document"
        " guide policy rule step tip type kind example"
    )
)
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
    """Whether ``chunk`` says what ``term`` is (:func:`says_what`, in one of its lines).
    Not a passage that merely shares a stem ("blindly" for "Blind", "refreshed" for
    "refresher"), names it in passing ("practice in Java, Python, C++"), in a heading
    only ("4. Phone screen interviews", whose answer came from elsewhere) or in a table
    row ("L5 (Senior SWE) | $355,000 | …", which is no sentence to answer with)."""
    return any(says_what(term, line) for line in chunk.text.splitlines())


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


def judged_words(term: str) -> list[str]:
    """The (stemmed) words of ``term`` that say what it is: without a last word that
    names only a kind of thing (``_GENERIC_HEADS``: "STAR technique", "cover letter
    template"), when other words remain."""
    words = terms(term)
    if len(words) > 1 and words[-1] in _GENERIC_HEADS:
        return words[:-1]
    return words


def term_verdict(usage: TermUsage) -> str:
    """For a question that asks what a term means: "refuse" when no passage can say what
    it is, because a word of it is one no passage uses ("409A", "sponsorware"), or its
    words never meet in one passage ("liquidation preference": "liquid" is in three
    passages, "prefer" in six, never together; "tech debt", "stock split"); else "" (the
    usual rules decide, or :func:`definition` answers)."""
    if not usage.counts:
        return ""
    if min(usage.counts.values()) == 0 or not usage.together:
        return "refuse"
    return ""


def definition(
    term: str, hits: Sequence[SearchHit], usage: TermUsage, *, beyond: bool
) -> Chunk | None:
    """The passage that says what ``term`` is (:func:`defines`), when it is jargon
        (:func:`is_jargon`): the best passage found, or, ``beyond`` it (nothing found answers
        otherwise), the first passage using every word of the term that plainly does
    (:func:`says_what`, ``strict``). "What does WIP
        mean?" matches passages on compensation best (two short words' vector), while two
        essays write "work in progress (WIP)"; such a passage answers the question, and leads
        the answer. When the passages found do answer, a definition elsewhere is not what the
        answer is drafted from first ("personal ecology is an ongoing practice…")."""
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
        if any(says_what(term, line, strict=True) for line in c.text.splitlines())
    )
    return next(strictly, None)
