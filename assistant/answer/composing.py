"""Composition: the units an extractive answer chose, written out as its sentences.

Units are grouped by essay, then passage, and read in document order; a list's lead-in
is followed by its items as clauses ("Methods I've found effective: paper reading
systems — … [1]; and …"), an author's first-person sentences are attributed once per
run. The only words added are connectives and attributions that carry no facts. How an
item or a heading reads as a clause is :mod:`assistant.answer.clauses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.claims import attribute, speaks_as_author
from assistant.answer.clauses import as_clause
from assistant.search import Unit, split_sentences


@dataclass
class _HeadedList:
    """A list sentence led by its section heading, still open to the section's next
    passage: "L: a [1]; b [1]; c [2]; and d [2]." rather than the heading twice."""

    key: tuple[str, str]  # (essay, heading)
    items: list[Candidate]
    said: str  # the items' words, whose voice the sentence is in
    voice: str  # whose voice the answer was in before it

    def text(self) -> str:
        return f"{self.key[1]}: {_clauses(self.items, frozenset(), keep_case=True)}."


@dataclass(frozen=True)
class Candidate:
    n: int  # passage number, 1-based
    pos: int  # unit position within the passage
    unit: Unit
    relevance: float
    section: tuple[str, ...] = ()  # (essay, top-level heading) of its passage
    said: bool = False  # the previous answer of the conversation gave it
    # Which list of its passage it is an item (or the lead-in) of, -1 for none: items of
    # one list read as one sentence even when an item between them was left out.
    run: int = -1
    # It sits in a blockquote of the essay file: its "I" is someone the essay quotes.
    quoted: bool = False


def compose(
    chosen: list[Candidate],
    vocab: frozenset[str],
    titles: dict[int, str] | None = None,
    essays: dict[int, str] | None = None,
    headings: dict[int, str] | None = None,
) -> str:
    by_passage: dict[int, list[Candidate]] = {}
    for c in chosen:
        by_passage.setdefault(c.n, []).append(c)
    # Grouped by essay, so one essay's advice reads together: essays in order of their
    # most relevant unit, then their passages likewise; units in document order.
    best = {n: max(c.relevance for c in units) for n, units in by_passage.items()}
    essay_of = {n: (essays or {}).get(n, str(n)) for n in by_passage}
    essay_best: dict[str, float] = {}
    for n, score in best.items():
        essay_best[essay_of[n]] = max(score, essay_best.get(essay_of[n], -1.0))
    order = sorted(by_passage, key=lambda n: (-essay_best[essay_of[n]], -best[n]))
    sentences: list[str] = []
    voice = ""  # the essay whose author the sentence just before is quoted as
    opened: _HeadedList | None = None  # the sentence just before, when a heading leads it
    for n in order:
        title = (titles or {}).get(n, "")
        heading = (headings or {}).get(n, "")
        units = sorted(by_passage[n], key=lambda c: c.pos)
        i = 0
        while i < len(units):
            c = units[i]
            if c.unit.lead_in or c.unit.is_item:
                group = [c]
                while (
                    i + 1 < len(units)
                    and units[i + 1].unit.is_item
                    and (
                        units[i + 1].unit.line == group[-1].unit.line + 1
                        or 0 <= units[i + 1].run == group[-1].run
                    )
                ):
                    i += 1
                    group.append(units[i])
                said = " ".join(g.unit.text for g in group)  # any item may say "I"
                label = _heading_lead(heading) if _led_by_heading(group) else ""
                if opened is not None and label and opened.key == (essay_of[n], label):
                    # The section's next passage goes on the same list, under one heading.
                    opened.items.extend(group)
                    opened.said += f" {said}"
                    sentences[-1], voice = _voiced(
                        opened.text(),
                        opened.said,
                        title,
                        opened.voice,
                        quoted=_speaker(opened.items[0]),
                    )
                else:
                    listed = _list_sentences(group, vocab, heading)
                    before, opened = voice, None
                    if listed:
                        quoted = _speaker(group[0])  # the attribution is its first unit's
                        listed[0], voice = _voiced(listed[0], said, title, voice, quoted=quoted)
                        if label:
                            opened = _HeadedList((essay_of[n], label), group, said, before)
                    sentences.extend(listed)
            else:
                sentence, voice = _voiced(
                    _cite(c.unit.text, c.n),
                    c.unit.text,
                    title,
                    voice,
                    quoted=_speaker(c),
                )
                sentences.append(sentence)
                opened = None
            i += 1
    return " ".join(sentences)


def _speaker(c: Candidate) -> str:
    """Who a quoted unit's "I" is, as far as the answer can tell: whoever its block of its
    passage quotes (two blockquotes are two speakers, "I've received another offer…" and
    "I'm also considering going back to grad school…"); "" for the author."""
    return f"{c.n}:{c.unit.line}" if c.quoted else ""


def _voiced(
    sentence: str, said: str, title: str, voice: str, *, quoted: str = ""
) -> tuple[str, str]:
    """``sentence`` attributed when its unit ``said`` is in the first person, once per
    run: the next "I started by…" from the same essay goes on quoting them. A quoted "I"
    (``quoted``: its :func:`_speaker`) is someone the essay quotes, attributed as such
    once per speaker. Returns the sentence and whose voice it leaves the answer in."""
    if not speaks_as_author(said):
        return sentence, ""
    speaker = f"quoted in {title} ({quoted})" if quoted else title
    if title and speaker == voice:
        return sentence, speaker
    return attribute(sentence, title, quoted=bool(quoted)), speaker


def _cite(text: str, n: int) -> str:
    """Put the marker before the sentence's final punctuation: "... practice [1]."."""
    text = text.strip()
    m = re.search(r"([.!?]+[\"'”’)]*)$", text)
    if m:
        return f"{text[: m.start()].rstrip()} [{n}]{m.group(1)}"
    return f"{text} [{n}]."


def _list_sentences(group: list[Candidate], vocab: frozenset[str], heading: str = "") -> list[str]:
    lead = group[0] if group[0].unit.lead_in else None
    items = group[1:] if lead else group
    if _led_by_heading(group) and (label := _heading_lead(heading)):
        # A list with no lead-in of its own is introduced by its heading, the essay's
        # own words for it: "Books: Software Engineer's Guidebook [1]; …", not one
        # title per sentence, and "Senior Staff Software Engineer: description — …",
        # not a description of nobody in particular.
        # Items keep their capitals: they were written to stand alone, and some start
        # with a name ("Read the Docs received a grant…").
        return [f"{label}: {_clauses(items, frozenset(), keep_case=True)}."]
    if lead is None or not items:
        return [_cite(c.unit.text, c.n) for c in group if not c.unit.lead_in]
    if len(items) == 1:
        clause = _cited_clause(as_clause(items[0].unit.text, vocab), items[0].n)
        return [f"{_lead(lead.unit)} {clause}."]
    return [f"{_lead(lead.unit)} {_clauses(items, vocab)}."]


def _lead(unit: Unit) -> str:
    """A lead-in as it leads its items: "There are three common governance structures
    associated with open source projects." announces a list, and leads it with a colon."""
    text = unit.text.rstrip()
    return text if text.endswith(":") else f"{text.rstrip('.!')}:"


# An item that names an attribute of its section's subject ("Experience: Typically 5+
# years…"): alone, it says nothing without the heading that names the subject.
_LABELLED = re.compile(r"^[A-Z][\w/&' -]{0,30}:\s")


def _led_by_heading(group: list[Candidate]) -> bool:
    """Two or more items with no lead-in of their own, or one labelled item: their
    heading may lead them ("Senior Software Engineer: Experience — Typically 5+…")."""
    if group[0].unit.lead_in or not group[0].unit.is_item:
        return False
    return len(group) >= 2 or bool(_LABELLED.match(group[0].unit.text))


def _clauses(items: list[Candidate], vocab: frozenset[str], keep_case: bool = False) -> str:
    clauses = [_cited_clause(as_clause(c.unit.text, vocab, keep_case), c.n) for c in items]
    if len(clauses) == 1:
        return clauses[0]
    return "; ".join(clauses[:-1]) + "; and " + clauses[-1]


def _cited_clause(text: str, n: int) -> str:
    """A clause with its marker, and a marker in each of its inner sentences: an item of
    several ("Be responsive. If you don't respond…") would leave all but its last
    sentence uncited, and the citation check drops an uncited sentence (with it, once,
    the heading that led the list)."""
    *inner, last = split_sentences(text) or [text]
    return " ".join([*(_cite(s, n) for s in inner), f"{last} [{n}]"])


def _heading_lead(heading: str) -> str:
    """A heading as a list's lead-in, without its numbering ("4. Phone screens") or
    closing punctuation; none for a question ("What should I ask?"), which the items
    would not read as clauses of."""
    text = re.sub(r"^\d{1,3}[.)]\s*", "", heading.strip()).rstrip(" :.!;")
    if not re.search(r"[A-Za-z]", text) or text.endswith("?"):
        return ""  # "1.", "---" or a question: no lead-in
    return text
