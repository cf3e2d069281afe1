"""An essay's own outline: the sections that are its list of rules, steps or tips.

"Ten rules of negotiation" gives its rules as headings ("Get everything in
writing", "Always keep the door open", …). Asked "How do I negotiate an offer?",
a reader is helped most by those rules, each linked to its section, and no
single passage holds them all: retrieval returns the two or three sections that
match best. This module finds such an outline so the answer stage can present
it, each item cited to the passage under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.domain import Chunk
from assistant.search.quantities import asked_quantity

# A title that announces a list: "Ten rules of…", "Best practices for…", "Lessons from…".
_LIST_TITLE = re.compile(
    r"\b(rules|tips|steps|lessons|principles|practices|habits|ways|mistakes|dos)\b", re.I
)
# Words that open an instruction. A heading list is the author's summary of advice when
# most headings are instructions ("Get…", "Don't…", "Be…"), not topics ("Bonus", "Books").
_IMPERATIVE = frozenset(
    """always never don't do be have get keep make take use find pick choose build
    prepare practice study ask know learn understand go help figure spread leverage bring
    say tell write start stop show set give focus avoid remember read follow apply plan
    maximize maximise negotiate proclaim research review look try reach share talk
    create document optimize optimise craft""".split()
)
# An outline shorter than this is not a list; longer than this is a table of contents.
MIN_ITEMS, MAX_ITEMS = 4, 12
# A factor is named in a few words ("Company culture", "Work-life balance"); longer
# headings are the titles of an essay's chapters ("Finding Your Focus in a Vast Field"),
# which answered "Should I learn every subfield or pick one?" with the essay's contents.
FACTOR_WORDS = 4
# Share of headings that must read as instructions when the title doesn't announce a
# list, and when it does ("Lessons from…" may have a topic or two among its lessons).
IMPERATIVE_SHARE, LIST_TITLE_SHARE = 0.6, 0.3
# "Why some people…", "What it means to…": a topic, even without its question mark.
_TOPIC_WORDS = frozenset("what why who when where which".split())
# Sections every essay may have that are no item of its advice.
_BOILERPLATE = re.compile(
    r"(conclusion|introduction|intro|summary|overview|references|(additional )?resources|"
    r"contributors|examples?|faq|table of contents|you did it|further reading|credits)"
)
# Questions asking for advice, where an essay's rules answer better than any one passage.
_ADVICE = re.compile(
    r"^\s*(how\b|what (should|do|can|are)\b|what's the best|should (i|we)\b|any (tips|advice)|"
    r"(give|list) me\b|tips\b|is there a (good )?way)|\b(tips|rules|steps|advice|best way)\b",
    re.I,
)


# Questions weighing options ("How do I choose between two offers?", "What should I look
# for in a company?"): an essay on making that choice lists the factors as its headings,
# nouns ("Compensation", "Career growth") that are its summary though no instruction.
_WEIGHING = re.compile(
    r"\b(choos(e|ing)|pick(ing)?(?! up)|decid(e|ing) (between|on|which)|compar(e|ing)"
    r"|weigh(ing)?|factors?|look (at|for) (in|when)|consider (when|in|before))\b",
    re.I,
)


def asks_for_advice(question: str) -> bool:
    """A "how / what should / should I / tips" question, or one weighing options. Not one
    asking for a quantity ("How long should my resume be if I have 10 years of
    experience?", "How many projects should my portfolio have?"): it wants a figure, and
    the resume guide's outline ("how to set up an ATS-friendly resume; … crafting the
    perfect cover letter; and final tips") had answered it with the guide's contents."""
    if asked_quantity(question) is not None:
        return False
    return bool(_ADVICE.search(question)) or weighs_options(question)


def weighs_options(question: str) -> bool:
    """A question asking how to choose: an essay's topic headings are then its factors."""
    return bool(_WEIGHING.search(question))


def section_heads(chunks: Iterable[Chunk], source: str) -> list[Chunk]:
    """The first chunk of each top-level section of ``source``, in document order."""
    heads: dict[str, Chunk] = {}
    for chunk in sorted((c for c in chunks if c.source == source), key=lambda c: c.start):
        if chunk.heading and chunk.heading[0] not in heads:
            heads[chunk.heading[0]] = chunk
    return list(heads.values())


def outline_items(heads: list[Chunk]) -> list[Chunk]:
    """The section heads that are items of a list: no questions, no "Conclusion"."""
    return [
        c
        for c in heads
        if not c.heading[0].rstrip().endswith("?")  # a FAQ's topics, not advice
        and _BOILERPLATE.fullmatch(_plain(c.heading[0])) is None
        and _plain(c.heading[0]).split(" ")[0] not in _TOPIC_WORDS
    ]


def is_rule_list(title: str, headings: list[str], *, factors: bool = False) -> bool:
    """Whether an essay's top-level headings (after :func:`outline_items`) are its own
    list of advice: enough of them read as instructions, fewer when the title says
    it is a list; with ``factors`` (the question weighs options), any list of short
    names ("Compensation", "Career growth"): the things to weigh."""
    if not MIN_ITEMS <= len(headings) <= MAX_ITEMS:
        return False
    if factors and all(len(h.split()) <= FACTOR_WORDS for h in headings):
        return True
    instructions = sum(_instruction(h) for h in headings)
    share = LIST_TITLE_SHARE if _LIST_TITLE.search(title) else IMPERATIVE_SHARE
    return instructions >= share * len(headings)


def _plain(heading: str) -> str:
    return " ".join(re.findall(r"[a-z']+", heading.lower()))


def _instruction(heading: str) -> bool:
    words = _plain(heading).split()
    if not words:
        return False
    # "Get…", "Don't…"; "Building a portfolio…" (the gerund of a step); "How to write…".
    # A gerund in Title Case ("Finding Your Focus in a Vast Field") names a section, as a
    # title does; the bundled essay's outline of such topics answered every AI question.
    gerund = words[0].endswith("ing") and not _title_case(heading)
    return words[0] in _IMPERATIVE or gerund or words[:2] == ["how", "to"]


def _title_case(heading: str) -> bool:
    """Most words of four letters or more start with a capital."""
    long = [w for w in re.findall(r"[A-Za-z][\w'’-]*", heading) if len(w) >= 4]
    return len(long) >= 2 and sum(w[0].isupper() for w in long) > len(long) / 2
