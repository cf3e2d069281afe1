"""The default generator: an answer composed from the passages' own sentences, no LLM.

It picks the units (sentences, whole list items) most relevant to the question
with maximal marginal relevance, so two near-identical sentences never both
appear; :mod:`assistant.answer.composing` then writes them out as an answer. Every
clause ends in the ``[n]`` of the passage it came from.
"""

from __future__ import annotations

import numpy as np

from assistant.answer.antecedents import Antecedents
from assistant.answer.citations import OUTLINE_PREFIX
from assistant.answer.claims import in_reference_section, is_claim
from assistant.answer.clauses import heading_clause
from assistant.answer.composing import Candidate, compose
from assistant.answer.definitions import definition_first
from assistant.answer.list_quoting import expand_lists, words_of
from assistant.answer.neighbours import lifted
from assistant.answer.passage_units import passage_units
from assistant.answer.plugs import sold_outline
from assistant.answer.repeats import already_said
from assistant.search import (
    Retrieved,
    Unit,
    UnitVectors,
    asked_quantity,
    list_spans,
    list_text,
    measure_words,
    states_quantity,
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
# A sentence this close to its essay's title restates what the essay is about ("Building
# a career in AI is both challenging and rewarding", 0.78 to "Building an AI Career");
# beyond it, its relevance loses twice the excess. With every question about AI careers,
# such sentences led answers on the bundled essay. dev-tune, gold.jsonl and seed-tune
# score the same at weights 1 and 2 (3 cost seed-tune key points); at 2 the answers on
# the bundled essay lose their remaining restatements. A threshold of 0.5 also dropped
# section openers that answer ("One of the most significant tensions in AI careers is…").
RESTATES_TITLE = 0.6
RESTATES_TITLE_WEIGHT = 2.0
# A reading list nobody asked for loses this much relevance, so it answers only when
# nothing else comes close. dev-tune, gold.jsonl and refusal-tune score the same from 0.1
# to 1.0 (one dev-tune answer, whose retrieval had missed, lost its book list).
READING_LIST_PENALTY = 0.2
# A unit the previous answer already gave is chosen only after every new unit that
# qualifies: it still counts against the same floors, but loses this much when picked.
# `career-assistant eval` asks a follow-up after its history's answer: the share of its
# answer's sentences repeated from that answer fell from 0.41, 0.42 and 0.37 to 0.32,
# 0.39 and 0.26 (dev-tune, gold.jsonl, followup-tune), key points 0.575, 0.655, 0.618 →
# 0.564, 0.668, 0.626, evidence cited as it was. Lowering the relevance itself instead
# (by 0.2) cut repeats further but shortened answers and cost key points (0.64 → 0.58
# over the 59 follow-ups): a follow-up is often answered by what was said, and still is.
REPEAT_PENALTY = 0.5
# Asked "how long / how many / how much", a unit of the best essay that states a quantity
# of that kind gains this much (see search/quantities.py): a sentence vector barely
# notices the number. With it, "How long should my resume be?" opens with "Use only 1
# page for your resume" rather than with keyword advice; the tune sets score the same at
# 0 and 0.1 (three answers differ, in their later sentences).
QUANTITY_BONUS = 0.1
# A list is quoted whole when one of its units is chosen if it takes at most this share
# of the answer's words (90 at least). 0.6 of 240 keeps the 140 words that 0.7 of 200
# allowed: raising the answer's words to pay for the lists it quotes should not also let
# longer lists in whole, one of which can take the answer's words alone.
LIST_SHARE = 0.6
# MMR trade-off: 1.0 = relevance only, 0.0 = novelty only.
MMR_LAMBDA = 0.75
# Two units this similar say the same thing; keep one.
DUPLICATE = 0.9


class ExtractiveGenerator:
    name = "extractive"

    def __init__(
        self,
        vectors: UnitVectors,
        answer_words: int = 240,
        lowercase_words: frozenset[str] = frozenset(),
    ) -> None:
        self.vectors = vectors
        self.answer_words = answer_words
        # Words the corpus also writes in lower case: safe to lower-case at a clause start.
        self.lowercase_words = lowercase_words

    def generate(self, question: str, retrieved: Retrieved, said: str = "") -> str:
        """A draft with ``[n]`` markers (numbers = positions in ``retrieved.hits``), or "".
        ``said`` is the conversation's previous answer: what it gave comes last."""
        outline = self._outline(question, retrieved)
        candidates, vecs = self._candidates(question, retrieved, said)
        if not candidates:
            return outline
        # The outline names the essay's rules; its sentences then explain the best of them.
        words = max(60, self.answer_words - len(outline.split()))
        leans = Antecedents(candidates, floor=UNIT_FLOOR)
        chosen = self._select(candidates, vecs, words, leans)
        chosen = leans.added(self._expand_lists(chosen, candidates))
        titles = {n: hit.chunk.title for n, hit in enumerate(retrieved.hits, 1)}
        essays = {n: hit.chunk.source for n, hit in enumerate(retrieved.hits, 1)}
        headings = {
            n: hit.chunk.heading[-1] for n, hit in enumerate(retrieved.hits, 1) if hit.chunk.heading
        }
        body = compose(chosen, self.lowercase_words, titles, essays, headings)
        return " ".join(p for p in (outline, body) if p)

    def _outline(self, question: str, retrieved: Retrieved) -> str:
        """The essay's own list of rules, one clause per section heading, each cited to
        the passage under it: "The essay “Ten rules…” sets these out: get … [1]; …"."""
        if not retrieved.outline:
            return ""
        heads = [(n, retrieved.hits[n - 1].chunk) for n in retrieved.outline]
        chunks = [chunk for _, chunk in heads]
        if sold_outline(chunks, self.lowercase_words, question, retrieved.query):
            return ""
        vocab = self.lowercase_words or None
        clauses = [f"{heading_clause(chunk.heading[0], vocab)} [{n}]" for n, chunk in heads]
        body = "; ".join(clauses[:-1]) + "; and " + clauses[-1]
        return f"{OUTLINE_PREFIX.format(title=heads[0][1].title)}{body}."

    def _candidates(
        self, question: str, retrieved: Retrieved, said: str = ""
    ) -> tuple[list[Candidate], np.ndarray]:
        # Sections added only for the outline are named by it; the sentences come from
        # the passages retrieval ranked for the question.
        ranked = retrieved.hits[: len(retrieved.hits) - retrieved.outline_only]
        headings = [h.chunk.heading[-1] if h.chunk.heading else "" for h in ranked]
        read = passage_units(question, retrieved, ranked, headings, self.lowercase_words)
        units, runs, unasked = read.units, read.runs, read.unasked
        passed = read.passed | read.plugs  # rows passed over; plugs nobody asked for
        if not units or retrieved.query_vector is None:
            return [], np.zeros((0, 1))
        vecs = self.vectors.get([u.text for _, _, u in units])
        qvec = retrieved.query_vector
        if question != retrieved.query:  # a follow-up: the user's own words matter most
            qvec = qvec + np.asarray(self.vectors.get([question])[0])
            qvec = qvec / (np.linalg.norm(qvec) or 1.0)
        at = [n - 1 for n, _, _ in units]
        plain = [u for _, _, u in units]
        cos = lifted(self._with_lists(plain, at, vecs @ qvec, qvec, headings), plain, at)
        titles = self.vectors.get([h.chunk.title or h.chunk.source for h in ranked])
        topical = np.einsum("ij,ij->i", vecs, titles[at]) - RESTATES_TITLE
        sections = [(h.chunk.source, *h.chunk.heading[:1]) for h in ranked]
        references = [in_reference_section(h.chunk.heading) for h in ranked]
        quantity = asked_quantity(question)
        qterms = set(terms(retrieved.query))
        if quantity:  # "long" in "How long…?" names the measure, not the subject
            qterms -= set(terms(" ".join(measure_words(question))))
        repeated = already_said(said)
        out = []
        for (n, pos, unit), c, t in zip(units, cos, topical, strict=True):
            overlap = len(qterms & set(terms(unit.text))) / len(qterms) if qterms else 0.0
            # Earlier passages were ranked better by retrieval; a small nudge, no more.
            relevance = (
                float(c) + 0.15 * overlap + 0.02 / n - RESTATES_TITLE_WEIGHT * max(0.0, float(t))
            )
            if (n, pos) in unasked:
                relevance -= READING_LIST_PENALTY
            if quantity and sections[n - 1][0] == sections[0][0]:  # the best essay's
                relevance += QUANTITY_BONUS * states_quantity(unit.text, quantity)
            if references[n - 1] or not is_claim(unit) or (n, pos) in passed:
                relevance = -1.0  # below every floor: composes nothing, still counts as a unit
            said_it, run = repeated(unit.text), runs[(n, pos)]
            quoted = (n, pos) in read.quoted
            out.append(Candidate(n, pos, unit, relevance, sections[n - 1], said_it, run, quoted))
        if retrieved.definition:
            out = definition_first(out, retrieved.term, retrieved.definition, UNIT_FLOOR)
        return out, vecs

    def _with_lists(
        self,
        units: list[Unit],
        passage: list[int],
        cos: np.ndarray,
        qvec: np.ndarray,
        headings: list[str],
    ) -> np.ndarray:
        """A list's lead-in is as relevant as the whole list read together, under its
        heading: "Methods I've found effective:" says little alone, and each of its items
        only part of the answer. Chosen, the lead-in then brings its items
        (:meth:`_expand_lists`). ``passage[i]`` is unit i's index in ``headings``."""
        spans: list[tuple[int, int]] = []
        texts: list[str] = []
        start = 0
        for end in range(1, len(units) + 1):  # each passage's own lists
            if end == len(units) or passage[end] != passage[start]:
                for a, b in list_spans(units[start:end], bool(headings[passage[start]])):
                    if not units[start + a].lead_in and words_of(units[start + a : start + b]) > (
                        self._list_budget
                    ):
                        # Led by its heading and too long to quote whole: its first item
                        # would be quoted alone on the strength of the whole list.
                        continue
                    spans.append((start + a, start + b))
                    texts.append(list_text(units[start + a : start + b], headings[passage[start]]))
                start = end
        if not spans:
            return cos
        whole = self.vectors.get(texts) @ qvec
        out = cos.copy()
        for (a, _), c in zip(spans, whole, strict=True):
            out[a] = max(out[a], float(c))
        return out

    def _select(
        self, candidates: list[Candidate], vecs: np.ndarray, limit: int, leans: Antecedents
    ) -> list[Candidate]:
        rel = np.array([c.relevance for c in candidates])
        # Picking order: what the previous answer gave comes after what is new.
        order = rel - REPEAT_PENALTY * np.array([c.said for c in candidates], dtype=float)
        usable = [
            i
            for i, c in enumerate(candidates)
            if c.relevance >= UNIT_FLOOR and not leans.orphaned(i)
        ]
        if not usable:
            return []
        top = max(usable, key=lambda i: rel[i])
        best, home = rel[top], candidates[top].section
        # The best unit's own section may answer a little below it; elsewhere, only close.
        floor = {
            i: (SECTION_FLOOR if candidates[i].section == home else RELATIVE_FLOOR) * best
            for i in usable
        }
        place = {(c.n, c.pos): i for i, c in enumerate(candidates)}
        chosen: list[int] = []
        # Sentences that chosen ones lean on, and the rest of their lists, already in: not
        # picked again, and MMR counts them as said.
        brought: set[int] = set()
        words = 0
        while words < limit:
            pool = [
                i for i in usable if i not in chosen and i not in brought and rel[i] >= floor[i]
            ]
            if not pool:
                break
            if chosen:
                novelty = (vecs[pool] @ vecs[[*chosen, *brought]].T).max(axis=1)
                keep = novelty < DUPLICATE
                if not keep.any():
                    break
                pool = [p for p, k in zip(pool, keep, strict=True) if k]
                scores = MMR_LAMBDA * order[pool] - (1 - MMR_LAMBDA) * novelty[keep]
                pick = pool[int(np.argmax(scores))]
            else:
                pick = int(max(pool, key=lambda i: order[i]))
            # A sentence that points back costs the sentences it brings along, and a
            # list item or lead-in the rest of its list quoted with it.
            along = [
                b
                for b in [*leans.rows(pick), *self._listed(pick, candidates, place)]
                if b not in chosen and b not in brought and b != pick
            ]
            along = list(dict.fromkeys(along))
            length = len(candidates[pick].unit.text.split()) + sum(
                len(candidates[b].unit.text.split()) for b in along
            )
            if chosen and words + length > limit * 1.2:
                usable.remove(pick)  # too long to fit; a shorter one may
                continue
            chosen.append(pick)
            brought.update(along)
            words += length
        return [candidates[i] for i in chosen]

    def _listed(
        self, pick: int, candidates: list[Candidate], place: dict[tuple[int, int], int]
    ) -> list[int]:
        """The rest of the list that choosing candidate ``pick`` quotes with it (see
        :func:`expand_lists`), counted against the answer's words when it is chosen: counted
        as the one item, five short lists each quoted whole for one item made answers of
        400 words where 200 were asked for."""
        c = candidates[pick]
        if not (c.unit.is_item or c.unit.lead_in):
            return []
        return [place[(m.n, m.pos)] for m in expand_lists([c], candidates, self._list_budget)[1:]]

    @property
    def _list_budget(self) -> int:
        """Words a list may take to be quoted whole when one of its units is chosen."""
        return max(90, int(self.answer_words * LIST_SHARE))

    def _expand_lists(self, chosen: list[Candidate], all_: list[Candidate]) -> list[Candidate]:
        return expand_lists(chosen, all_, self._list_budget)
