"""Support score: how well a passage backs a claim, in [0, 1].

Cosine of the claim to the passage's best unit (or best adjacent pair of
units), blended with lexical overlap, then rules a bi-encoder can't see: every
quantity the claim states must be in the passage; a negation flipped in an
otherwise identical sentence fails it, as do absolutes ("always") the passage
doesn't use and names it doesn't mention. A verbatim claim scores 1 without
embedding anything. Calibrated by :mod:`assistant.evaluation.calibrate`.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.search import UnitVectors, plain_words, split_units, terms

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = frozenset(
    "not no never none nothing neither nor cannot can't don't doesn't didn't isn't aren't "
    "wasn't weren't won't wouldn't shouldn't without".split()
)
# Blend of the two support signals; the threshold on the result is a setting.
COSINE_WEIGHT = 0.7


def _is_verbatim(claim: str, passage: str) -> bool:
    """All of the claim's words appear, in order and adjacent, in the passage."""
    c, p = " ".join(plain_words(claim)), " ".join(plain_words(passage))
    return bool(c) and len(c.split()) >= 3 and f" {c} " in f" {p} "


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
} | {
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
    "half": "1/2",
    "third": "1/3",
    "thirds": "1/3",
    "quarter": "1/4",
    "twice": "2x",
    "double": "2x",
    "triple": "3x",
    "percent": "%",
}


def _quantities(text: str) -> set[str]:
    lower = text.lower()
    found = set(_NUMBER.findall(lower))
    for word in re.findall(r"[a-z]+", lower):
        if word in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word])
        elif word.endswith("s") and word[:-1] in _NUMBER_WORDS:  # "millions", "billions"
            found.add(_NUMBER_WORDS[word[:-1]])
    if "%" in text:
        found.add("%")
    return found


def _numbers_match(claim: str, passage: str) -> bool:
    """Every quantity the claim states (digits or words) is stated by the passage."""
    return _quantities(claim) <= _quantities(passage)


def _negated(text: str) -> bool:
    words = set(plain_words(text))
    return bool(words & _NEGATION) or "n't" in text.lower()


_ABSOLUTES = frozenset(
    ["always", "never", "every", "everyone", "all", "guaranteed", "guarantee", "only", "must"]
)


def _overgeneralises(claim: str, passage: str) -> bool:
    """'always' where the passage says 'in most cases'."""
    extra = (set(plain_words(claim)) & _ABSOLUTES) - set(plain_words(passage))
    return bool(extra)


_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][A-Za-z0-9&.+-]*[A-Za-z0-9+]")


def _names_match(claim: str, passage: str) -> bool:
    """Names inside the claim (capitalised mid-sentence: Google, Rora) occur in the passage."""
    lower = passage.lower()
    return all(name.lower() in lower for name in _NAME.findall(claim))


def lexical_overlap(claim: str, passage: str) -> float:
    c = set(terms(claim))
    return len(c & set(terms(passage))) / len(c) if c else 0.0


class SupportScorer:
    """How well a passage backs a claim, in [0, 1], with the passage unit that does."""

    def __init__(self, vectors: UnitVectors) -> None:
        self.vectors = vectors

    def score(self, claim: str, passage: str) -> tuple[float, str]:
        units = [u.text for u in split_units(passage)] or [passage]
        verbatim = next((u for u in units if _is_verbatim(claim, u)), None)
        if verbatim is not None:
            return 1.0, verbatim
        if _is_verbatim(claim, passage):  # spans units, e.g. a list's lead-in and first item
            return 1.0, next((u for u in units if _is_verbatim(u, claim)), units[0])
        # A heading leading an item of its list ("Make people feel welcome: when someone
        # new lands on your project, thank them…"), both word for word: not a paraphrase
        # to score, whose item's other sentence ("…not want to come back") would read
        # as a flipped negation.
        label, sep, rest = claim.partition(": ")
        item = next((u for u in units if _is_verbatim(rest, u)), None) if sep else None
        if item is not None and any(
            _is_verbatim(label, u) and _is_verbatim(u, label) for u in units
        ):
            return 1.0, item  # the label is a whole line of the passage: its heading
        vecs = self.vectors.get([claim, *units])
        sims = vecs[1:] @ vecs[0]
        best = int(np.argmax(sims))
        # A claim may merge two adjacent units; score that pair too.
        pair_sim, pair_text = -1.0, ""
        if len(units) > 1:
            j = best + 1 if best + 1 < len(units) else best - 1
            lo, hi = sorted((best, j))
            pair_text = f"{units[lo]} {units[hi]}"
            pair_sim = float(self.vectors.get([pair_text])[0] @ vecs[0])
        cos = max(float(sims[best]), pair_sim)
        evidence = units[best]
        context = pair_text if pair_sim > sims[best] else evidence
        lex = lexical_overlap(claim, context)
        score = COSINE_WEIGHT * cos + (1 - COSINE_WEIGHT) * lex
        # A flipped negation in what is otherwise the same sentence reverses it; in a
        # paraphrase ("doesn't rule out" for "still exist") negations legitimately differ.
        flipped = _negated(claim) != _negated(evidence) and lexical_overlap(claim, evidence) >= 0.6
        if (
            not _numbers_match(claim, passage)
            or flipped
            or _overgeneralises(claim, passage)
            or not _names_match(claim, passage)
        ):
            score = 0.0
        return max(0.0, min(1.0, score)), evidence
