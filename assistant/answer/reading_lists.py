"""Reading lists ("Books: Software Engineer's Guidebook; The Coding Career Handbook; …")
answer a question that asks where to read, watch or learn, and little else.

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
# A title capitalises at least this share of its words other than the small ones.
TITLE_CAPITALS = 0.75
# A list is a reading list when this share of its items are titles (a name with a
# subtitle, "StaffEng.com – Stories of reaching Staff-plus engineering roles", is one
# that isn't: the career-growth essay's seven books hold five titles by this rule).
TITLE_SHARE = 0.6
# Fewer items than this are a pair of names in passing, not a reading list.
MIN_TITLES = 3

# What a reading list's heading or lead-in calls its items. Without one, short capitalised
# items are as often roles ("Maintainer", "Contributor"), levels or companies: things the
# essay goes on to explain, not titles to look up.
_RESOURCES = (
    r"books?|newsletters?|blogs?|podcasts?|channels?|youtube|videos?|courses?|resources?"
    r"|communit(?:y|ies)|tools?|platforms?|sites?|websites?|links?|reading"
)
_RESOURCE_KIND = re.compile(rf"\b(?:{_RESOURCES}|linkedin|people to follow)\b", re.IGNORECASE)

# The question asks where to learn or what to read: books, newsletters, channels, sites,
# courses, tools, communities, "where should I go / how do I find…", how to keep growing.
_ASKS_FOR_RESOURCES = re.compile(
    rf"\b(?:{_RESOURCES}|read|watch|recommend(?:ations?|ed)?|forums?|services?|list of"
    r"|follow|discover|find)\b"
    r"|\bwhere (?:\w+ ){0,3}(?:go|look|learn|start|get)\b|\blearn from\b"
    # Growing as an engineer: the career-growth essay's answer is its reading lists.
    r"|\b(?:keep|start|stop) (?:growing|learning|improving)\b|\blevel up\b|\bupskill"
    r"|\bstay (?:current|up to date|sharp)\b",
    re.IGNORECASE,
)


def asks_for_resources(*questions: str) -> bool:
    """ "Any book recommendations…?", "Where should I go to keep improving?"; each of
    ``questions`` (the question, and the query it was retrieved with) counts."""
    return any(_ASKS_FOR_RESOURCES.search(q) for q in questions)


def is_title(text: str) -> bool:
    """A short item whose words are capitalised as a title's are: "Software Engineer's
    Guidebook", "Open Source Friday", "NeetCode"; not "Learn the STAR answer format"."""
    words: list[str] = re.findall(r"[A-Za-z0-9][\w'’.\-]*", text)
    if not words or len(words) > TITLE_WORDS:
        return False
    big = [w for w in words if w.lower() not in _SMALL]
    capitalised = sum(w[0].isupper() or w[0].isdigit() for w in big)
    return bool(big) and capitalised >= TITLE_CAPITALS * len(big)


def reading_lists(units: Sequence[Unit], heading: str = "") -> set[int]:
    """Positions in ``units`` (one passage, under ``heading``) of the items of each reading
    list, and of the lead-in that introduces it ("…one of the following resources:")."""
    out: set[int] = set()
    i = 0
    while i < len(units):
        if not units[i].is_item or " | " in units[i].text:  # table rows are no list
            i += 1
            continue
        end = i
        while end < len(units) and units[end].is_item and " | " not in units[end].text:
            end += 1
        lead = i - 1 if i > 0 and units[i - 1].lead_in else None
        named = _RESOURCE_KIND.search(f"{heading} {units[lead].text if lead is not None else ''}")
        titles = sum(is_title(units[j].text) for j in range(i, end))
        if named and end - i >= MIN_TITLES and titles >= TITLE_SHARE * (end - i):
            out.update(range(i, end))
            if lead is not None:
                out.add(lead)
        i = end
    return out
