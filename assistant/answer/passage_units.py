"""The units an extractive answer is chosen from: the sentences, list items and table
rows of the passages retrieval ranked, each placed by passage and position, with what
the generator must know of them before it scores them (which list each belongs to,
which belong to reading lists or sponsors' plugs nobody asked for, which table rows the
question passes over, whose "I" is someone the essay quotes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.claims import credited, speaks_as_author
from assistant.answer.plugs import asks_for_services, plugs, sponsors
from assistant.answer.quotes import blockquoted, table_headers
from assistant.answer.reading_lists import asks_for_resources, reading_lists
from assistant.domain import Chunk, SearchHit
from assistant.search import (
    Retrieved,
    Unit,
    list_runs,
    read_tables,
    section_of,
    siblings_not_asked,
    split_units,
)

Place = tuple[int, int]  # (passage number from 1, position of the unit in it)


@dataclass
class PassageUnits:
    units: list[tuple[int, int, Unit]] = field(default_factory=list)
    runs: dict[Place, int] = field(default_factory=dict)  # which list of its passage, -1 none
    unasked: set[Place] = field(default_factory=set)  # in reading lists nobody asked for
    plugs: set[Place] = field(default_factory=set)  # naming a sponsor, no service asked for
    passed: set[Place] = field(default_factory=set)  # table rows the question passes over
    quoted: set[Place] = field(default_factory=set)  # a first person in a blockquote


def passage_units(
    question: str,
    retrieved: Retrieved,
    ranked: list[SearchHit],
    headings: list[str],
    vocab: frozenset[str] = frozenset(),
) -> PassageUnits:
    """The units of the ``ranked`` passages (``headings``: each one's last heading;
    ``vocab``: the words the collection writes in lower case, which name no sponsor)."""
    out = PassageUnits()
    asked = asks_for_resources(question, retrieved.query)
    names = [sponsors(h.chunk, vocab) if vocab else frozenset[str]() for h in ranked]
    selling = not asks_for_services(frozenset().union(*names), question, retrieved.query)
    # A table row is read with its header ("Google, L6 (Staff SWE): Total (USD)
    # $489,000, …"); the rows of levels the question did not ask are passed over.
    read, out.passed = read_tables(
        question,
        retrieved.query,
        [
            (split_units(h.chunk.text), heading, table_headers(h.chunk))
            for h, heading in zip(ranked, headings, strict=True)
        ],
    )
    # Sections of one kind (the levels, the kinds of stock) the question names some of.
    sections = [
        section_of(h.chunk, [u.text for u in split]) for h, split in zip(ranked, read, strict=True)
    ]
    for i in siblings_not_asked(question, sections):
        out.passed.update((i + 1, pos) for pos in range(len(read[i])))
    for n, split in enumerate(read, 1):
        out.units.extend((n, pos, u) for pos, u in enumerate(split))
        runs = list_runs(split)
        out.runs.update(((n, pos), run) for pos, run in enumerate(runs))
        if not asked:
            out.unasked.update((n, pos) for pos in reading_lists(split, headings[n - 1]))
        out.quoted.update((n, pos) for pos in _quoted(ranked[n - 1].chunk, split))
        if selling:
            sold, offered = plugs(split, names[n - 1], runs, headings[n - 1])
            out.plugs.update((n, pos) for pos in sold)
            out.unasked.update((n, pos) for pos in offered)  # as a reading list is
    return out


def _quoted(chunk: Chunk, units: list[Unit]) -> set[int]:
    """Positions of the passage's units that are someone else's words: in a block that
    credits its speaker (a pull quote), or in a blockquote of the file. Only an "I" needs
    its voice told, so a passage without one is not looked up in the file."""
    if not any(speaks_as_author(u.text) for u in units):
        return set()
    blocks = chunk.text.splitlines()
    credits = {
        pos for pos, u in enumerate(units) if u.line < len(blocks) and credited(blocks[u.line])
    }
    return credits | blockquoted(chunk, [u.text for u in units])
