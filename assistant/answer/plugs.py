"""Sponsors' plugs: sentences that promote a product the essay links with a referral tag.

The handbook earns from services it recommends, and its links to them say so
("…teamrora.com/?utm_source=techinterviewhandbook&utm_medium=referral"). Asked how to get
off a recruiter's call without committing, "Things Rora can do for you: help you to
negotiate increases…" sells rather than answers, and Rora alone had reached seven answers
of the tune and test sets that asked nothing of the kind. Asked whether someone could negotiate
for them, or what Levels.fyi is, the same sentences are the answer. So a sentence naming
a sponsor answers only a question that asks for services or names one; otherwise it
is passed over, as a table row the question doesn't ask for is. Losing relevance as a
reading list nobody asked for does (0.2) was too little: "…help you to negotiate
increases even without competing offers" still answered "I have one offer and nothing
to compete with it. Can I still negotiate?".
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

from assistant.answer.quotes import essay_text
from assistant.domain import Chunk
from assistant.search import Unit

# A link in Markdown or HTML, with the text it shows and where it goes.
_LINK = re.compile(
    r"\[(?P<md>[^\]\n]{1,200})\]\((?P<url>[^)\s]{1,2000})\)"
    r"|<a\s[^>]{0,500}?href=\"(?P<href>[^\"]{1,2000})\"[^>]{0,500}>(?P<html>[^<]{1,200})</a>",
    re.IGNORECASE,
)
# A referral tag: the site pays for the visit ("?ref=TechInterviewHandbook", "&aff=…",
# "utm_medium=referral", "?fpr=…", an affiliate network's "afftrack=", a short link's
# "/r/…"). A plain link to a source or a tool carries none.
_REFERRAL = re.compile(
    r"[?&](?:utm_[a-z]+|ref|aff\w*|fpr|via|referral)=|shareasale\.com|//[\w.-]+/r/",
    re.IGNORECASE,
)
# A name: capitalised words in a row, small words allowed inside ("FAANG Tech Leads",
# "Grokking the Coding Interview", "Rora"), or a site's own address ("interviewing.io").
_NAME = re.compile(
    r"[A-Z0-9][\w.&'’-]*(?:\s+(?:(?:the|of|for|and|&)\s+)?[A-Z0-9][\w.&'’-]*)*"
    r"|\b[a-z][\w-]*\.(?:io|com|fyi|co|dev|org|net)\b"
)
# Asking for something to pay for or someone to help: "Is there a service…", "someone to
# handle the back-and-forth", "I don't want to pay a negotiation coach", "anything
# cheaper?", "What's the cheapest way to do mock interviews?", "any courses…?". Not
# "find", "follow" or "free", which ask for nothing sold ("I'm free to start next week").
_ASKS_FOR_SERVICES = re.compile(
    r"\b(?:services?|coach(?:es|ing)?|courses?|platforms?|sites?|websites?|apps?|tools?"
    r"|someone|somebody|hire|hiring someone|paid|pay (?:for|someone|a)|worth paying"
    r"|cost(?:s|ly)?|price[sd]?|pricing|cheap(?:er|est)?|afford(?:able)?|consultation"
    r"|agency|agencies|recommend(?:ations?|ed)?)\b",
    re.IGNORECASE,
)


def sponsors(chunk: Chunk, vocab: frozenset[str]) -> frozenset[str]:
    """The names the passage's essay links with a referral tag. A course's generic words
    ("System Design", "Algorithms") name no sponsor (``vocab``: the words the collection
    writes in lower case; see ``_named``)."""
    return _sponsors(chunk.path, chunk.file_sha256, vocab)


@functools.lru_cache(maxsize=64)
def _sponsors(path: str, sha256: str, vocab: frozenset[str]) -> frozenset[str]:
    raw = essay_text(path, sha256)
    if raw is None:
        return frozenset()
    names = set()
    for link in _LINK.finditer(raw):
        if not _REFERRAL.search(link.group("url") or link.group("href") or ""):
            continue
        shown = re.sub(r"[*_`\"“”]|&nbsp;", " ", link.group("md") or link.group("html") or "")
        for found in _NAME.findall(shown):
            name = found.rstrip(".'’")
            if _named(name, vocab):
                names.add(name)
    return frozenset(names)


def _named(name: str, vocab: frozenset[str]) -> bool:
    """A name, not words: an address ("interviewing.io"), a word the collection never
    writes in lower case ("Rora"), or words it never writes together in lower case
    ("Hello Interview"; "System Design" is also the essays' "system design"). ``vocab``
    holds the words and the pairs of words it does (``lowercase_vocabulary``)."""
    words = name.split()
    if not re.search(r"[A-Za-z]{2}", name):
        return False  # "70" of "Join today for a 70% discount →"
    if len(words) == 1 and "." in name:
        return True
    lowered = [_word(w) for w in words]
    if any(w not in vocab for w in lowered):
        return True
    return any(f"{a} {b}" not in vocab for a, b in itertools.pairwise(lowered))


def _word(token: str) -> str:
    """ "Leads'" -> "leads", "Levels.fyi" -> "levels.fyi" (no vocabulary word has a dot)."""
    return re.sub(r"['’]s?$", "", token.lower())


def plugs(
    units: Sequence[Unit], names: frozenset[str], runs: Sequence[int], heading: str = ""
) -> tuple[set[int], set[int]]:
    """Positions of the ``units`` that sell a sponsor of ``names``, and of those that
    offer one among others. Selling: a sentence naming one, the items of a list whose
    lead-in names one ("Things Rora can do for you:"), and every unit under a ``heading``
    naming one (the section "Rora": "It's also risk-free…" is Rora too). Offering: an
    item naming one in a list of resources that names none in its lead-in ("Some of the
    best system design interview preparation resources include: ByteByteGo…; Design
    Gurus…"), which may be all an essay has to say on how to practise. ``runs`` gives
    each unit's list, -1 for none (``search.list_runs``)."""
    if not names:
        return set(), set()
    named = _naming(names)
    if named.search(heading):
        return set(range(len(units))), set()
    found = {pos for pos, unit in enumerate(units) if named.search(unit.text)}
    selling = {runs[pos] for pos in found if units[pos].lead_in and runs[pos] >= 0}
    sold = {pos for pos, run in enumerate(runs) if run in selling}
    offered = {pos for pos in found - sold if units[pos].is_item}
    return (found | sold) - offered, offered


@functools.lru_cache(maxsize=64)
def _naming(names: frozenset[str]) -> re.Pattern[str]:
    """Any of ``names``, whole, in any case ("Interviewing.io boasts…" opens a
    sentence): "Rora", not "Rorabank" or "Aurora"."""
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)", re.IGNORECASE)


def asks_for_services(names: frozenset[str], *questions: str) -> bool:
    """Whether one of ``questions`` (the question, and the query it was retrieved with)
    names a sponsor as a whole word ("Rora", not "Aurora"), or asks for a service, a
    course, a platform, what something costs or someone to help."""
    named = _naming(names) if names else None
    return any(
        _ASKS_FOR_SERVICES.search(q) or (named is not None and named.search(q)) for q in questions
    )


def sold_outline(chunks: Sequence[Chunk], vocab: frozenset[str], *questions: str) -> bool:
    """Whether an outline of these sections (an essay's headings) names sponsors nobody
    asked for: "interviewing.io; Pramp; Hello Interview; Meetapro; Codemia" answers "Which
    mock interview platform should I pick?", not "How should I pick a practice partner?"."""
    names = frozenset().union(*(sponsors(c, vocab) for c in chunks))
    if not names or asks_for_services(names, *questions):
        return False
    named = _naming(names)
    return any(named.search(c.heading[0]) for c in chunks if c.heading)
