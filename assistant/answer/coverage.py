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

from assistant.domain import SearchHit
from assistant.search import terms

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
_DEFINES_AFTER = (
    r"(?:\s*[(:]|,?\s+(?:which|that) (?:is|are|means)\b|\s+(?:is|are|means|stands for|refers to)\b)"
)
_DEFINES_BEFORE = r"\(\s*$"
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


def is_jargon(term: str, doc_freq: Callable[[str], int]) -> bool:
    """Whether ``term`` has a word the essays use in at most ``JARGON_IN`` passages
    ("BATNA": one): a passage that uses it is about it, however weakly the question's
    vector matched. "The meaning of life" is no such term."""
    return any(doc_freq(w) <= JARGON_IN for w in terms(term))


def defines(term: str, hits: Sequence[SearchHit]) -> bool:
    """Whether a passage of ``hits`` says what ``term`` is: a sentence of it writes the
    term itself (any case, or its plural) as it defines it (``_DEFINES_AFTER``). Not a
    passage that merely shares a stem ("blindly" for "Blind", "refreshed" for
    "refresher"), names it in passing ("practice in Java, Python, C++"), in a heading
    only ("4. Phone screen interviews", whose answer came from elsewhere) or in a table
    row ("L5 (Senior SWE) | $355,000 | …", which is no sentence to answer with)."""
    base = re.sub(r"(?<=[A-Z]{2})s$", "", term)  # "IPOs" is written "(IPO)"
    written = re.compile(rf"(?<![\w-]){re.escape(base)}(?:e?s)?(?![\w-])", re.IGNORECASE)
    for h in hits:
        for line in h.chunk.text.splitlines():
            if " | " in line:
                continue
            for m in written.finditer(line):
                after, before = (
                    line[m.end() : m.end() + 40],
                    line[max(0, m.start() - 10) : m.start()],
                )
                if re.match(_DEFINES_AFTER, after) or re.search(_DEFINES_BEFORE, before):
                    return True
    return False


def term_verdict(term: str, hits: Sequence[SearchHit], doc_freq: Callable[[str], int]) -> str:
    """For a question that asks what ``term`` means: "refuse" when a word of it is one no
    passage uses ("409A", "sponsorware": no essay can say what it is), "answer" when the
    best passage found defines it and it is jargon (:func:`defines`, :func:`is_jargon`:
    the question's few words match no passage well, the definition answers it), else ""
    (the usual rules decide). Only the best passage: a definition further down is not
    what the answer is drafted from first."""
    words = terms(term)
    if not words:
        return ""
    if any(doc_freq(w) == 0 for w in words):
        return "refuse"
    return "answer" if is_jargon(term, doc_freq) and defines(term, hits[:1]) else ""
