"""The default generator: an answer composed from the passages' own sentences, no LLM.

It picks the units (sentences, whole list items) most relevant to the question
with maximal marginal relevance, so two near-identical sentences never both
appear, groups them by passage, and composes them to read as an answer: a list
lead-in followed by its items as clauses, prose sentences in document order.
The only words added are connectives ("and", ";", "—") that carry no facts;
every clause ends in the ``[n]`` of the passage it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from assistant.answer.citations import OUTLINE_PREFIX
from assistant.answer.claims import attribute, is_claim, speaks_as_author
from assistant.search import (
    Retrieved,
    Unit,
    UnitVectors,
    list_spans,
    list_text,
    split_units,
    terms,
)

# Units less similar to the question than this are never used.
UNIT_FLOOR = 0.25
# Stop adding units once relevance falls below this share of the best unit's. Tuned on
# eval/datasets/dev-tune.jsonl with answer_words. The best unit is often a sentence that
# restates the question ("the greatest challenge is keeping pace"), and the advice sits a
# little lower in the same section (the essay's list of methods), so the section gets a
# lower floor. At 0.7 alone, key points 0.55 in 192 words on average; with the section
# at 0.5, 0.58 in 224. At 0.5 everywhere, 0.58 in 214, but "How should I build a
# portfolio?" then quoted the essay's other sections too.
RELATIVE_FLOOR = 0.7
# ... within the best unit's own section (essay and top-level heading).
SECTION_FLOOR = 0.5
# MMR trade-off: 1.0 = relevance only, 0.0 = novelty only.
MMR_LAMBDA = 0.75
# Two units this similar say the same thing; keep one.
DUPLICATE = 0.9


@dataclass(frozen=True)
class _Candidate:
    n: int  # passage number, 1-based
    pos: int  # unit position within the passage
    unit: Unit
    relevance: float
    section: tuple[str, ...] = ()  # (essay, top-level heading) of its passage


class ExtractiveGenerator:
    name = "extractive"

    def __init__(
        self,
        vectors: UnitVectors,
        answer_words: int = 200,
        lowercase_words: frozenset[str] = frozenset(),
    ) -> None:
        self.vectors = vectors
        self.answer_words = answer_words
        # Words the corpus also writes in lower case: safe to lower-case at a clause start.
        self.lowercase_words = lowercase_words

    def generate(self, question: str, retrieved: Retrieved) -> str:
        """A draft with ``[n]`` markers (numbers = positions in ``retrieved.hits``), or ""."""
        outline = self._outline(retrieved)
        candidates, vecs = self._candidates(question, retrieved)
        if not candidates:
            return outline
        # The outline names the essay's rules; its sentences then explain the best of them.
        words = max(60, self.answer_words - len(outline.split()))
        chosen = self._select(candidates, vecs, words)
        chosen = self._expand_lists(chosen, candidates)
        titles = {n: hit.chunk.title for n, hit in enumerate(retrieved.hits, 1)}
        essays = {n: hit.chunk.source for n, hit in enumerate(retrieved.hits, 1)}
        body = _compose(chosen, self.lowercase_words, titles, essays)
        return " ".join(p for p in (outline, body) if p)

    def _outline(self, retrieved: Retrieved) -> str:
        """The essay's own list of rules, one clause per section heading, each cited to
        the passage under it: "The essay “Ten rules…” sets these out: get … [1]; …"."""
        if not retrieved.outline:
            return ""
        heads = [(n, retrieved.hits[n - 1].chunk) for n in retrieved.outline]
        clauses = [f"{_heading_clause(chunk.heading[0])} [{n}]" for n, chunk in heads]
        body = "; ".join(clauses[:-1]) + "; and " + clauses[-1]
        return f"{OUTLINE_PREFIX.format(title=heads[0][1].title)}{body}."

    def _candidates(
        self, question: str, retrieved: Retrieved
    ) -> tuple[list[_Candidate], np.ndarray]:
        units: list[tuple[int, int, Unit]] = []
        # Sections added only for the outline are named by it; the sentences come from
        # the passages retrieval ranked for the question.
        ranked = retrieved.hits[: len(retrieved.hits) - retrieved.outline_only]
        for n, hit in enumerate(ranked, 1):
            units.extend((n, pos, u) for pos, u in enumerate(split_units(hit.chunk.text)))
        if not units or retrieved.query_vector is None:
            return [], np.zeros((0, 1))
        vecs = self.vectors.get([u.text for _, _, u in units])
        qvec = retrieved.query_vector
        if question != retrieved.query:  # a follow-up: the user's own words matter most
            qvec = qvec + np.asarray(self.vectors.get([question])[0])
            qvec = qvec / (np.linalg.norm(qvec) or 1.0)
        cos = self._with_lists(
            [u for _, _, u in units], [n for n, _, _ in units], vecs @ qvec, qvec
        )
        sections = [(h.chunk.source, *h.chunk.heading[:1]) for h in ranked]
        qterms = set(terms(retrieved.query))
        out = []
        for (n, pos, unit), c in zip(units, cos, strict=True):
            overlap = len(qterms & set(terms(unit.text))) / len(qterms) if qterms else 0.0
            # Earlier passages were ranked better by retrieval; a small nudge, no more.
            relevance = float(c) + 0.15 * overlap + 0.02 / n
            if not is_claim(unit):
                relevance = -1.0  # below every floor: composes nothing, still counts as a unit
            out.append(_Candidate(n, pos, unit, relevance, sections[n - 1]))
        return out, vecs

    def _with_lists(
        self, units: list[Unit], passage: list[int], cos: np.ndarray, qvec: np.ndarray
    ) -> np.ndarray:
        """A list's lead-in is as relevant as the whole list read together: "Methods I've
        found effective:" says little alone, and each of its items only part of the
        answer. Chosen, the lead-in then brings its items (:meth:`_expand_lists`)."""
        spans, start = [], 0
        for end in range(1, len(units) + 1):  # each passage's own lists
            if end == len(units) or passage[end] != passage[start]:
                spans += [(start + a, start + b) for a, b in list_spans(units[start:end])]
                start = end
        if not spans:
            return cos
        whole = self.vectors.get([list_text(units[a:b]) for a, b in spans]) @ qvec
        out = cos.copy()
        for (a, _), c in zip(spans, whole, strict=True):
            out[a] = max(out[a], float(c))
        return out

    def _select(
        self, candidates: list[_Candidate], vecs: np.ndarray, limit: int
    ) -> list[_Candidate]:
        rel = np.array([c.relevance for c in candidates])
        usable = [i for i, c in enumerate(candidates) if c.relevance >= UNIT_FLOOR]
        if not usable:
            return []
        top = max(usable, key=lambda i: rel[i])
        best, home = rel[top], candidates[top].section
        # The best unit's own section may answer a little below it; elsewhere, only close.
        floor = {
            i: (SECTION_FLOOR if candidates[i].section == home else RELATIVE_FLOOR) * best
            for i in usable
        }
        chosen: list[int] = []
        words = 0
        while words < limit:
            pool = [i for i in usable if i not in chosen and rel[i] >= floor[i]]
            if not pool:
                break
            if chosen:
                novelty = (vecs[pool] @ vecs[chosen].T).max(axis=1)
                keep = novelty < DUPLICATE
                if not keep.any():
                    break
                pool = [p for p, k in zip(pool, keep, strict=True) if k]
                scores = MMR_LAMBDA * rel[pool] - (1 - MMR_LAMBDA) * novelty[keep]
                pick = pool[int(np.argmax(scores))]
            else:
                pick = int(max(pool, key=lambda i: rel[i]))
            length = self._words(candidates[pick], candidates)
            if chosen and words + length > limit * 1.2:
                usable.remove(pick)  # too long to fit; a shorter one may
                continue
            chosen.append(pick)
            words += length
        return [candidates[i] for i in chosen]

    def _words(self, c: _Candidate, all_: list[_Candidate]) -> int:
        """What choosing ``c`` adds to the answer: a lead-in brings its short list."""
        own = len(c.unit.text.split())
        if not c.unit.lead_in:
            return own
        whole = sum(len(m.unit.text.split()) for m in _list_of(c, all_) if m.relevance >= 0)
        return whole if whole <= self._list_budget else own

    @property
    def _list_budget(self) -> int:
        """Words a list may take to be quoted whole when one of its units is chosen."""
        return max(90, int(self.answer_words * 0.7))

    def _expand_lists(self, chosen: list[_Candidate], all_: list[_Candidate]) -> list[_Candidate]:
        """A chosen list item or lead-in brings its whole list, when the list is short.

        One item under "the most valuable practitioners possess:" would misquote the
        essay (it names four); a long list stays as the items that were chosen.
        """
        have = {(c.n, c.pos) for c in chosen}
        out = list(chosen)
        budget = self._list_budget
        for c in chosen:
            members = [m for m in _list_of(c, all_) if m.relevance >= 0]  # claims only
            if len(members) < 2:
                continue
            words = sum(len(m.unit.text.split()) for m in members)
            if words > budget and not c.unit.lead_in:
                lead = members[0] if members[0].unit.lead_in else None
                members = [lead] if lead else []
            for m in members:
                if (m.n, m.pos) not in have:
                    have.add((m.n, m.pos))
                    out.append(m)
        return out


def _list_of(c: _Candidate, all_: list[_Candidate]) -> list[_Candidate]:
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


def lowercase_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Words safe to lower-case at the start of a clause: those the corpus writes in lower
    case at least as often as it capitalises them mid-sentence, like a name ("at Samsung")."""
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for t in texts:
        lower.update(re.findall(r"(?<![\w'’])[a-z][a-z-]+", t))
        capital.update(w.lower() for w in re.findall(r"(?<=[a-z,] )[A-Z][a-z-]+", t))
        lower.update(w.lower() for w in re.findall(r"(?:^|(?<=\n))(?:\d+\. |- )?([A-Z][a-z-]+)", t))
    return frozenset(w for w in lower if lower[w] >= capital[w])


def _compose(
    chosen: list[_Candidate],
    vocab: frozenset[str],
    titles: dict[int, str] | None = None,
    essays: dict[int, str] | None = None,
) -> str:
    by_passage: dict[int, list[_Candidate]] = {}
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
    for n in order:
        title = (titles or {}).get(n, "")
        units = sorted(by_passage[n], key=lambda c: c.pos)
        i = 0
        while i < len(units):
            c = units[i]
            if c.unit.lead_in or c.unit.is_item:
                group = [c]
                while (
                    i + 1 < len(units)
                    and units[i + 1].unit.is_item
                    and units[i + 1].unit.line == group[-1].unit.line + 1
                ):
                    i += 1
                    group.append(units[i])
                listed = _list_sentences(group, vocab)
                if listed:
                    listed[0], voice = _voiced(listed[0], group[0].unit.text, title, voice)
                sentences.extend(listed)
            else:
                sentence, voice = _voiced(_cite(c.unit.text, c.n), c.unit.text, title, voice)
                sentences.append(sentence)
            i += 1
    return " ".join(sentences)


def _voiced(sentence: str, said: str, title: str, voice: str) -> tuple[str, str]:
    """``sentence`` attributed when its unit ``said`` is in the author's first person,
    once per run: the next "I started by…" from the same essay goes on quoting them.
    Returns the sentence and whose voice it leaves the answer in."""
    if not speaks_as_author(said):
        return sentence, ""
    return (sentence if title and title == voice else attribute(sentence, title)), title


def _is_name(text: str) -> bool:
    """Title Case ("Open Source Friday") or an inner capital ("GitHub", "CodeTriage")."""
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    if not words:
        return False
    if any(c.isupper() for c in words[0][1:]):
        return True
    rest = words[1:4]
    return len(rest) >= 1 and all(w[0].isupper() for w in rest)


def _heading_clause(heading: str) -> str:
    """'Proclaim reasons for everything!' -> 'proclaim reasons for everything': a heading
    is capitalised as a heading, so its first word is lower-cased, unless it is an
    acronym or the heading is in Title Case ("Finding Your Focus" stays as written)."""
    text = heading.strip().rstrip(".!:;")
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    title_case = len(words) > 2 and sum(w[0].isupper() for w in words[1:]) > len(words[1:]) / 2
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not title_case:
        return text[0].lower() + text[1:]
    return text


def _cite(text: str, n: int) -> str:
    """Put the marker before the sentence's final punctuation: "... practice [1]."."""
    text = text.strip()
    m = re.search(r"([.!?]+[\"'”’)]*)$", text)
    if m:
        return f"{text[: m.start()].rstrip()} [{n}]{m.group(1)}"
    return f"{text} [{n}]."


def _list_sentences(group: list[_Candidate], vocab: frozenset[str]) -> list[str]:
    lead = group[0] if group[0].unit.lead_in else None
    items = group[1:] if lead else group
    if lead is None or not items:
        return [_cite(c.unit.text, c.n) for c in group if not c.unit.lead_in]
    if len(items) == 1:
        clause = _as_clause(items[0].unit.text, vocab)
        return [f"{lead.unit.text} {clause} [{items[0].n}]."]
    clauses = [f"{_as_clause(c.unit.text, vocab)} [{c.n}]" for c in items]
    body = "; ".join(clauses[:-1]) + "; and " + clauses[-1]
    return [f"{lead.unit.text} {body}."]


def _as_clause(item: str, vocab: frozenset[str]) -> str:
    """'Implementation skills: The ability to' -> 'implementation skills — the ability to'."""
    text = item.strip().rstrip(".;?")  # a question item is a clause of the lead-in too
    label, sep, rest = text.partition(": ")
    if sep and 0 < len(label.split()) <= 6:
        text = f"{_lower_first(label, vocab)} — {_lower_first(rest, vocab)}"
    else:
        text = _lower_first(text, vocab)
    return text


def _lower_first(text: str, vocab: frozenset[str]) -> str:
    """Lower-case a leading capital unless the word is an acronym or a name-like token
    ("GitHub Explore", "Up For Grabs" and "OpenSauced" are names, kept as written)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not _is_name(text):
        first = text.split(" ", 1)[0].lower()
        if first in vocab or first in _COMMON_STARTS or _COMMON_SUFFIX.search(first):
            return text[0].lower() + text[1:]
    return text


# Capitalised only because it starts an item: common nouns and verb forms. Anything
# else (Google, Rora, Python) keeps its capital.
_COMMON_SUFFIX = re.compile(
    r"(?:ing|ion|ions|ity|ness|ment|ments|al|ive|ed|ship|ance|ence|ics|ure|ge|ty)$"
)
_COMMON_STARTS = frozenset(
    [
        "the",
        "a",
        "an",
        "enough",
        "ability",
        "understanding",
        "familiarity",
        "building",
        "implementing",
        "focusing",
        "working",
        "contributing",
        "publishing",
        "allocating",
        "participating",
        "explaining",
        "following",
        "quality",
        "impact",
        "help",
        "provide",
        "mock",
        "introduce",
    ]
)
