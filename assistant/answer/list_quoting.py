"""Quoting an essay's lists: which units of a list come with a chosen one.

A list is quoted whole when it is short, so one item under "the most valuable
practitioners possess:" does not misquote an essay that names four; a long one stays as
the items chosen, without a lead-in that counts them ("There are three…"). What the
previous answer of the conversation gave of a list is not quoted whole again for one
new item. The extractive generator (``answer/extractive.py``) chooses; this module says
what a choice brings along.
"""

from __future__ import annotations

import re

from assistant.answer.composing import Candidate
from assistant.search import Unit

# A lead-in that says how many items follow ("There are three common structures", "My 3
# favourite habits:"): quoting fewer of them under it would miscount them.
_COUNT = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.IGNORECASE
)


def expand_lists(chosen: list[Candidate], all_: list[Candidate], budget: int) -> list[Candidate]:
    """A chosen list item or lead-in brings its whole list, when the list is short (at
    most ``budget`` words).

    One item under "the most valuable practitioners possess:" would misquote the
    essay (it names four); a long list stays as the items that were chosen. A lead-in
    chosen beside the one item of its list the last answer gave brings nothing more.
    """
    have = {(c.n, c.pos) for c in chosen}
    selected = frozenset(have)  # as chosen, before any list is expanded
    out = list(chosen)
    for c in chosen:
        members = members_of(c, all_)
        if len(members) < 2:
            continue
        picked = [m for m in members if m.unit.is_item and (m.n, m.pos) in selected]
        if c.unit.lead_in and len(picked) == 1 and picked[0].said:
            # One item of its list was chosen, one the last answer gave, and the
            # lead-in only to fill: the item brings the lead-in, and the list is not
            # given whole again ("And should I write about them too?" after the
            # essay's four portfolio strategies: its item on writing). With two items
            # chosen the list stays whole, not quoted with a gap between them.
            continue
        words = words_of([m.unit for m in members])
        if words > budget and not c.unit.lead_in:
            lead = members[0] if members[0].unit.lead_in else None
            # A lead-in that counts its items ("There are three…") would miscount
            # the few quoted: the items then go without it.
            members = [lead] if lead and not counts(lead.unit.text) else []
        for m in members:
            if (m.n, m.pos) not in have:
                have.add((m.n, m.pos))
                out.append(m)
    return out


def counts(lead_in: str) -> bool:
    """Whether a list's lead-in says how many items follow (see ``_COUNT``)."""
    return bool(_COUNT.search(lead_in))


def words_of(units: list[Unit]) -> int:
    return sum(len(u.text.split()) for u in units)


def members_of(c: Candidate, all_: list[Candidate]) -> list[Candidate]:
    """What choosing ``c`` quotes of its list: its claims, less the items the previous
    answer gave, so a list quoted whole there is not quoted whole again for one new item.
    Unless that would misquote it: a list announced by its count ("There are three common
    governance structures…") is quoted whole, and so is a list whose lead-in was chosen
    (to fill) with fewer than two new items, rather than a lead-in with nothing after it."""
    claims = [m for m in list_of(c, all_) if m.relevance >= 0]
    new = [m for m in claims if m is c or not (m.said and m.unit.is_item)]
    lead = claims[0] if claims and claims[0].unit.lead_in else None
    if len(new) == len(claims) or (lead is not None and counts(lead.unit.text)):
        return claims
    if c.unit.is_item or sum(m.unit.is_item for m in new) >= 2:
        return new
    return claims


def list_of(c: Candidate, all_: list[Candidate]) -> list[Candidate]:
    """The lead-in and items of the list ``c`` belongs to (or introduces), in order."""
    same = sorted((a for a in all_ if a.n == c.n), key=lambda a: a.pos)
    idx = next(i for i, a in enumerate(same) if a.pos == c.pos)
    start = idx
    if c.unit.is_item:
        while start > 0 and same[start - 1].unit.is_item:
            start -= 1
        if start > 0 and same[start - 1].unit.lead_in:
            start -= 1
    elif not c.unit.lead_in:
        return [c]
    end = start + 1
    while end < len(same) and same[end].unit.is_item:
        end += 1
    return same[start:end]
