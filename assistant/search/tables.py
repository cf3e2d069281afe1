"""Table rows read with their table's header.

A row out of its table ("L6 (Staff SWE) | $489,000 | $223,000 | …") says nothing on its
own, so an answer never quotes one as it stands. Read with the header's names for its
cells it does: "Google, L6 (Staff SWE): Total (USD) $489,000, Base $223,000, …". Every
word of that reading is the passage's own (its heading, the header row, the row), which
is what lets the citation check accept it exactly (see :func:`row_of_reading`) rather
than by a similarity score. Without it, "How much does Google pay a staff engineer?" was
answered with new graduates' salaries: the levels' figures were rows never quoted.

Only plain tables are read, and a table that is not plain is not read at all:
- its header is the row the essay file marks as one (the caller reads the rule "|---|"
  that follows it there: a passage may open in the middle of a table, or hold two back
  to back, and its text alone can't tell a header from a data row), of short labels;
- every row has as many cells as the header, or every row one more (an empty corner
  cell, which the parser drops). A row with an empty cell has one fewer, and reading it
  would put each value under the next column's name, so such a table is left alone;
- rows of short values. Cells holding sentences ("Unstructured. No (or very vague)
  career levels…") are not read: a reading would be split into claims at their stops.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from assistant.search.lexical import terms
from assistant.search.units import Unit

# A Markdown table's lines, as the essay parser reads them: a row between bars, and the
# rule under the header ("| --- | :-: |"), which a passage doesn't keep.
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
# A header cell is a label: "Fresh Grad Annual Total (SGD)" is five words.
HEADER_WORDS = 6
# A section heading this short names what the table is of ("Google", "Company size"); a
# longer one is an instruction ("Add sections with standard headings and ordering") that
# would read as part of each row.
HEADING_WORDS = 3
# A data cell is a value: "Monthly $6000 (Median), $6900 (75th percentile)" is six.
CELL_WORDS = 10
_SEPARATOR = " | "
# A full stop, "?" or "!" inside a cell: it holds sentences, not a label or a value.
_SENTENCE_INSIDE = re.compile(r"[.!?](?:\s|$)")
# Words that name the job every row of a pay table is about: "software engineers" asks
# about no one level, though "L8 (Principal Engineer)" is the one label that has one.
ROLE_WORDS = frozenset(terms("engineer software developer SWE employee"))
# A name the question writes (capitalised after its first word, or with a digit: "Amazon",
# "L6"): a table whose readings never write it is about something else.
_NAME = re.compile(r"(?<=[a-z,;:'’)] )[A-Z][\w&.+-]*\w|\b[A-Za-z]+\d\w*")
# A question that sets two things side by side may be answered by two tables.
_COMPARES = re.compile(r"\b(?:vs\.?|versus|or|compared?|than|between)\b", re.IGNORECASE)


def table_row_headers(text: str) -> list[bool]:
    """For each table row of ``text`` (a Markdown excerpt), in order, whether it is its
    table's header: the row the rule ("|---|---|") follows. A passage keeps its rows, not
    the rule, so only the file tells a header from a data row."""
    lines = text.split("\n")
    return [
        i + 1 < len(lines) and bool(TABLE_RULE.match(lines[i + 1]))
        for i, line in enumerate(lines)
        if TABLE_ROW.match(line) and not TABLE_RULE.match(line)
    ]


def _cells(unit: Unit) -> list[str]:
    return [c.strip() for c in unit.text.split(_SEPARATOR)]


def _is_header(cells: Sequence[str]) -> bool:
    return all(
        c and len(c.split()) <= HEADER_WORDS and not _SENTENCE_INSIDE.search(c) for c in cells
    )


def _is_value_row(cells: Sequence[str]) -> bool:
    return all(c and len(c.split()) <= CELL_WORDS and not _SENTENCE_INSIDE.search(c) for c in cells)


def read_row(header: Sequence[str], cells: Sequence[str], heading: str = "") -> str:
    """A row as a statement: its label, then each value after the header's name for it,
    after the section ``heading`` when that is short and says more than the label does.
    "" when the header can't name the row's cells."""
    if len(cells) < 2 or len(header) not in (len(cells), len(cells) - 1):
        return ""
    # "Level | Total (USD) | Base": "Level" names the labels; one fewer: an empty corner.
    names = header[1:] if len(header) == len(cells) else header
    values = ", ".join(f"{name} {value}" for name, value in zip(names, cells[1:], strict=True))
    label = cells[0]
    heading = heading.strip().rstrip(".:")
    short = len(heading.split()) <= HEADING_WORDS
    if heading and short and not set(terms(heading)) <= set(terms(label)):
        label = f"{heading}, {label}"
    return f"{label}: {values}"


def _tables(units: Sequence[Unit], headers: Collection[int]) -> list[tuple[int, list[int]]]:
    """The plain tables of ``units``: each header's position and its rows' positions.
    ``headers`` are the passage lines the file marks as headers (see the module doc)."""
    found: list[tuple[int, list[int]]] = []
    for head, unit in enumerate(units):
        if not (unit.is_row and unit.line in headers):
            continue
        end = head + 1
        while end < len(units) and units[end].is_row and units[end].line not in headers:
            end += 1
        header, rows = _cells(unit), range(head + 1, end)
        counts = {len(_cells(units[k])) for k in rows}
        if rows and _is_header(header) and counts in ({len(header)}, {len(header) + 1}):
            found.append((head, [k for k in rows if _is_value_row(_cells(units[k]))]))
    return found


def row_readings(
    units: Sequence[Unit], heading: str = "", headers: Collection[int] = ()
) -> dict[int, str]:
    """The readings of ``units``' plain table rows, by their position in ``units``."""
    return {
        k: read_row(_cells(units[head]), _cells(units[k]), heading)
        for head, rows in _tables(units, headers)
        for k in rows
    }


def rows_not_asked(asked: str, units: Sequence[Unit], headers: Collection[int] = ()) -> set[int]:
    """Positions of the plain rows ``asked`` passes over. Where some row's label shares a
    word with it ("staff" → "L6 (Staff SWE)"), the table's other rows, and those whose
    label says more besides ("L7 (Senior Staff SWE)"): every row of a levels table is
    about as near the question, and the answer gave four levels but the one asked about.
    Every row of a table no label of which it names ("What heading should the skills
    section have?" asks for no row of the resume's other sections)."""
    words = set(terms(asked)) - ROLE_WORDS
    out: set[int] = set()
    for _, rows in _tables(units, headers):
        labels = {k: set(terms(_cells(units[k])[0])) for k in rows}
        fit = {k: (len(label & words), -len(label - words)) for k, label in labels.items()}
        best = max(fit.values(), default=(0, 0))
        out.update(k for k in rows if best[0] == 0 or fit[k] != best)
    return out


def read_tables(
    question: str, query: str, passages: Sequence[tuple[Sequence[Unit], str, Collection[int]]]
) -> tuple[list[list[Unit]], set[tuple[int, int]]]:
    """Each passage's units (with its last heading and its header lines) with
    every plain row replaced by its reading, a sentence of its own (a row read whole is
    one statement, no list item); and the rows the question passes over, as (passage
    number from 1, position): those :func:`rows_not_asked` names (read with ``query``
    too, which carries a follow-up's earlier turn: "And at Facebook?" after a staff
    question asks for the staff row), and every row of a passage whose readings don't
    write the names the question does, all of them or, comparing, one ("How much does
    Amazon pay a staff engineer?" gets no Google figures; "…at Facebook vs Google?" may
    use both tables)."""
    names = [set(terms(m.group())) for m in _NAME.finditer(question)]
    fits = any if _COMPARES.search(question) else all
    passed: set[tuple[int, int]] = set()
    read: list[list[Unit]] = []
    for n, (units, heading, headers) in enumerate(passages, 1):
        readings = row_readings(units, heading, headers)
        read.append(list(_with_readings(units, readings)))
        known = set(terms(" ".join([heading, *readings.values()])))
        if names and not fits(name <= known for name in names):
            passed.update((n, k) for k in readings)
        else:
            passed.update((n, k) for k in rows_not_asked(f"{question} {query}", units, headers))
    return read, passed


def _with_readings(units: Sequence[Unit], readings: dict[int, str]) -> Iterable[Unit]:
    for k, unit in enumerate(units):
        yield (
            replace(unit, text=readings[k], is_item=False, is_row=False) if k in readings else unit
        )


def row_of_reading(
    claim: str, units: Sequence[Unit], heading: str = "", headers: Collection[int] = ()
) -> str:
    """The row ``claim`` reads word for word, as :func:`read_tables` reads the passage's
    rows under its ``heading``, or "" (most claims: most passages hold no table)."""
    if not any(u.is_row for u in units):
        return ""
    said = claim.strip().rstrip(".")
    readings = row_readings(units, heading, headers)
    return next((units[k].text for k, reading in readings.items() if reading == said), "")
