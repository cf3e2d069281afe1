"""Lists of titles ("Books: Software Engineer's Guidebook; The Coding Career Handbook; …")
answer only a question that asks where to read, watch or learn.

An essay's list of books, newsletters, channels or sites names things, it says nothing
about them: asked "What will I actually be doing day to day in my first dev job?", an
answer that opened with seven book titles and fourteen newsletters helped no one, and
it pushed out the sentences that might have. Asked for book recommendations, the same
list is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.search import Unit

# Words a title leaves in lower case ("The Art of Negotiation", "Up for Grabs").
_SMALL = frozenset(
    ("a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs")
)
# Titles are short; an item longer than this is a sentence, whatever its capitals.
TITLE_WORDS = 9
# A list is a list of titles when this share of its items are (a name with a subtitle,
# "StaffEng.com – Stories of reaching Staff-plus engineering roles", is one that isn't).
TITLE_SHARE = 0.7
# Fewer items than this are a pair of names in passing, not a reading list.
MIN_TITLES = 3

# The question asks where to learn or what to read: books, newsletters, channels, sites,
# courses, tools, communities, or "where should I go/look/learn".
_ASKS_FOR_RESOURCES = re.compile(
    r"\b(?:books?|read(?:ing)?|newsletters?|blogs?|podcasts?|channels?|youtube|videos?"
    r"|courses?|resources?|recommend(?:ations?|ed)?|tools?|platforms?|sites?|websites?"
    r"|communit(?:y|ies)|forums?|services?|links?|list of)\b"
    r"|\bwhere (?:\w+ ){0,3}(?:go|look|find|learn|start|follow|get)\b",
    re.IGNORECASE,
)


def asks_for_resources(question: str) -> bool:
    """ "Any book recommendations…?", "Where should I go to keep improving?"."""
    return _ASKS_FOR_RESOURCES.search(question) is not None


def is_title(text: str) -> bool:
    """A short item whose words are capitalised as a title's are: "Software Engineer's
    Guidebook", "Open Source Friday", "NeetCode"; not "Learn the STAR answer format"."""
    words: list[str] = re.findall(r"[A-Za-z0-9][\w'’.\-]*", text)
    if not words or len(words) > TITLE_WORDS or ": " in text:
        return False  # "Influence: the reach of…" labels a description, it names nothing
    big = [w for w in words if w.lower() not in _SMALL]
    if not big:
        return False
    capitalised = sum(w[0].isupper() or w[0].isdigit() for w in big)
    return capitalised >= 0.75 * len(big)


def title_lists(units: Sequence[Unit]) -> set[int]:
    """Positions in ``units`` (one passage) of the items of each list of titles, and of
    the lead-in that introduces it ("You can also use one of the following resources:")."""
    out: set[int] = set()
    i = 0
    while i < len(units):
        if not units[i].is_item:
            i += 1
            continue
        end = i
        while end < len(units) and units[end].is_item:
            end += 1
        items = range(i, end)
        titles = sum(is_title(units[j].text) for j in items)
        if len(items) >= MIN_TITLES and titles / len(items) >= TITLE_SHARE:
            out.update(items)
            if i > 0 and units[i - 1].lead_in:
                out.add(i - 1)
        i = end
    return out
