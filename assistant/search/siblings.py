"""Sibling sections the question passes over.

An essay often gives one section to each of several things of a kind: "Junior Software
Engineer", "Software Engineer", "Senior Software Engineer", "Staff…" under "Career
levels"; "Stock options" and "Stock grants" under "Equity/stocks". Retrieval brings
several of them at once, each about as near the question as the others, and an answer
that quotes them all gives five levels to "How long until a junior dev is promoted to
mid-level?" and opens "Do staff engineers still write code?" with Senior Staff and
Junior. As for a table's rows (:func:`assistant.search.tables.rows_not_asked`), where the
question names one of the sections, the others are passed over.

A question names a heading by its last word ("staff" names "Senior Staff") or by all of
them: "high" alone names no "High demand". A section fits the question by its heading
and, often, its first sentence ("Mid-level role with…" under "Software Engineer"),
though a word the named sections use too ("experience" opens Junior's, and every level
states its experience) names none of them, and neither does a word of the parent heading
or the essay's title ("interview" in "4. Phone screen interviews" under "Find out the
interview format"). A heading of role words only ("Software Engineer") is named by the
question writing it, not as the end of another's ("a senior software engineer"). Only
short headings of subsections are labels: "Never be the first to name a number" is a
rule, and an essay's top-level sections are its parts (the rules of negotiation are "Be
winnable", "Have alternatives"…), which a question sharing a word with one still wants
the others of. Only the question's own words count: a follow-up's earlier turn names the
level it asked about, and "one level above that" wants another; and a question comparing
("How is that different from a senior engineer?", "Is that also true for…", "the same
for stock grants?") that names one sibling compares it with one its history names, so
nothing is passed over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from assistant.domain import Chunk
from assistant.search.lexical import terms
from assistant.search.tables import ROLE_WORDS

# A heading this short names a thing ("Senior Staff Software Engineer", "Stock grants");
# a longer one is a sentence of advice.
LABEL_WORDS = 4


class Section(NamedTuple):
    """A retrieved passage as a section of its essay."""

    source: str
    title: str
    heading: tuple[str, ...]  # its heading path
    opening: str  # its first sentences (a passage may open with its heading as one)
    text: str


def section_of(chunk: Chunk, units: Sequence[str]) -> Section:
    """``chunk`` as a section, opening with its first two ``units`` (its sentences as
    the answer reads them: a table row with its header)."""
    return Section(chunk.source, chunk.title, chunk.heading, " ".join(units[:2]), chunk.text)


# A question that sets things side by side, or asks of one what its history asked of
# another ("Is that also true for senior engineers?", "Is it the same for stock grants?").
_COMPARES = re.compile(
    r"\b(?:vs\.?|versus|compared?|comparison|than|between|differ\w*|also|too|same|similar"
    r"|instead|as well)\b",
    re.IGNORECASE,
)


def siblings_not_asked(asked: str, sections: Sequence[Section]) -> set[int]:
    """Positions in ``sections`` of the passages ``asked`` passes over. Siblings share a
    source and a parent heading. Where the question's words name the heading of one,
    a sibling is passed over when neither its heading nor its opening uses one of them
    that the named siblings' text doesn't, or when it uses no more of them than a
    sibling whose heading is within its own ("Staff" before "Senior Staff" for "staff
    engineers"). Asked of two ("take-home projects… the onsite"), both stay."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, section in enumerate(sections):
        heading = section.heading
        if len(heading) >= 2 and len(heading[-1].split()) <= LABEL_WORDS:
            groups.setdefault((section.source, heading[:-1]), []).append(i)
    out: set[int] = set()
    for (_, parent), members in groups.items():
        general = ROLE_WORDS | set(terms(" ".join([sections[members[0]].title, *parent])))
        words = set(terms(asked)) - general
        ordered = {
            i: [t for t in terms(sections[i].heading[-1]) if t not in general] for i in members
        }
        labels = {i: set(ordered[i]) for i in members}
        if len({frozenset(label) for label in labels.values()}) < 2:
            continue  # one section's passages, no siblings
        for i in members:  # "Software Engineer": named as written, as a word of its own
            if not labels[i] and _writes_alone(asked, sections[i].heading[-1]):
                ordered[i] = [sections[i].heading[-1].lower()]
                labels[i] = set(ordered[i])
                words.add(ordered[i][0])
        # Named: by its last word ("Staff" in "Senior Staff"), or by all of them; "high"
        # alone does not name "High demand".
        named = [
            i for i in members if ordered[i] and (ordered[i][-1] in words or labels[i] <= words)
        ]
        if not named:
            continue  # no heading named: the question asks of them all
        passed = _passed_over(words, members, labels, named, sections)
        kept = {sections[i].heading for i in named if i not in passed}
        if _COMPARES.search(asked) and len(kept) < 2:
            continue  # one sibling set beside another its history names
        out.update(passed)
    return out


def _passed_over(
    words: set[str],
    members: list[int],
    labels: dict[int, set[str]],
    named: list[int],
    sections: Sequence[Section],
) -> set[int]:
    said = set().union(*(terms(sections[i].text) for i in named))
    fit = {
        i: (labels[i] & words) | (set(terms(sections[i].opening)) & words - said) for i in members
    }
    extra = {i: len(labels[i] - words) for i in members}

    def beaten(i: int, j: int) -> bool:
        # "Staff" beats "Senior Staff" (its words within the other's); a heading the
        # question names none of loses to one that says less besides.
        return fit[j] >= fit[i] and (
            labels[j] < labels[i] or (not labels[i] & words and extra[j] < extra[i])
        )

    return {i for i in members if not fit[i] or any(beaten(i, j) for j in members if j != i)}


def _writes_alone(asked: str, heading: str) -> bool:
    """Whether ``asked`` writes ``heading`` as a word of its own: at its start or after a
    word such as "a" or "the" ("a software engineer"), not after another ("a senior
    software engineer", "a lead software engineer")."""
    written = r"\s+".join(map(re.escape, heading.split()))
    for m in re.finditer(rf"(?:(\w+)\W+)?(?<!\w){written}s?(?!\w)", asked, re.IGNORECASE):
        before = m.group(1)
        if not before or not terms(before):
            return True
    return False
