"""Citation verification, in code, for every generator.

A draft answer is split into claims: a sentence, or the part of one that ends
in a ``[n]`` marker group. Each claim must be supported by a passage it cites:

* markers naming no retrieved passage are invented and removed;
* support = cosine of the claim to the best unit (sentence or list item) of
  the passage, blended with lexical overlap; numbers must match and a negation
  on one side only fails the claim; the threshold is calibrated on
  ``assistant/data/support_pairs.jsonl`` (``career-assistant calibrate``);
* a claim citing the wrong passage is re-cited to a retrieved one that
  supports it, an uncited claim gets the best supporting passage, and a claim
  nothing supports is dropped (or shown marked, by a setting).

Sources are renumbered by first use and carry the exact supporting quote with
its character offsets in the essay file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.quotes import locate_quote, table_headers
from assistant.answer.support import SupportScorer
from assistant.domain import Chunk, Citation, SearchHit
from assistant.search import (
    instructs_assistant,
    plain_words,
    row_of_reading,
    split_sentences,
    split_units,
)

MARKERS = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+)")
UNSUPPORTED_MARK = "[unsupported]"
# How an answer says whose words a first-person passage holds. It carries no facts, so
# support is checked on the claim without it, and it must name the cited essay.
ATTRIBUTION_PREFIX = "The author of “{title}” writes: "
# An essay's outline is introduced the same way, naming the essay whose headings follow.
OUTLINE_PREFIX = "The essay “{title}” sets these out: "
# Someone else's "I", set in the essay as a blockquote (a maintainer quoted, a sample
# script or cover letter): the essay quotes it, its author did not say it.
QUOTED_PREFIX = "“{title}” quotes: "
_ATTRIBUTION = re.compile(
    r"^(?:The author of “(?P<title>[^”]{1,300})” writes|"
    r"The essay “(?P<outline>[^”]{1,300})” sets these out|"
    r"“(?P<quoted>[^”]{1,300})” quotes): "
)


@dataclass(frozen=True)
class Claim:
    text: str  # without markers
    cited: tuple[int, ...]  # passage numbers as written by the generator
    tail: str  # punctuation after the markers ("", ".", ";", ",")
    sentence: int


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    dropped: list[str] = field(default_factory=list)
    invented: int = 0  # markers that named no retrieved passage
    recited: int = 0  # claims moved to the passage that supports them
    repeated: int = 0  # claims dropped because the answer already said them


def split_claims(answer: str) -> list[Claim]:
    answer = _MARKERS_AFTER_STOP.sub(r"\2\1", answer)  # "text. [1]" -> "text [1]."
    claims: list[Claim] = []
    for s_no, sentence in enumerate(_answer_sentences(answer)):
        pos = 0
        for m in MARKERS.finditer(sentence):
            text = sentence[pos : m.start()]
            if not text.strip() and claims and claims[-1].sentence == s_no:
                # "[1][2]" or "[1], [2]": more markers for the same claim
                prev = claims.pop()
                claims.append(Claim(prev.text, (*prev.cited, *_numbers(m.group(1))), "", s_no))
            else:
                claims.append(Claim(text.strip(), _numbers(m.group(1)), "", s_no))
            pos = m.end()
            after = re.match(r"[\s,;:.!?)]*", sentence[pos:])
            if after and after.group().strip():
                last = claims.pop()
                claims.append(Claim(last.text, last.cited, after.group().strip(), s_no))
                pos += after.end()
        rest = sentence[pos:].strip()
        if re.search(r"\w", rest):
            stop = re.search(r"[\s.!?;:,]+$", rest)
            end = stop.group().strip() if stop else ""
            claims.append(Claim(rest[: stop.start()] if stop else rest, (), end, s_no))
        elif rest and claims and claims[-1].sentence == s_no:
            last = claims.pop()
            claims.append(Claim(last.text, last.cited, (last.tail + rest).strip(), s_no))
    return claims


def _answer_sentences(text: str) -> list[str]:
    out: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+[.)])\s)", text):
        para = re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", block)  # a bullet is not a word
        out.extend(split_sentences(" ".join(para.split())))
    return out


def _numbers(group: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.split(r"\s*,\s*", group) if x)


def verify(
    draft: str,
    passages: Sequence[SearchHit],
    scorer: SupportScorer,
    threshold: float,
    *,
    show_unsupported: bool = False,
    forbidden: Sequence[str] = (),
) -> Verified:
    """Check every claim of ``draft`` against ``passages`` (numbered from 1)."""
    out = Verified(text="", citations=[])
    numbering: dict[int, int] = {}  # passage index -> citation number
    best: dict[int, tuple[float, str]] = {}  # passage index -> (support, quote)
    used: dict[int, list[str]] = {}  # passage index -> every quote, in the answer's order
    sentences: dict[int, list[str]] = {}
    said_before: set[str] = set()
    for claim in split_claims(draft):
        if not re.search(r"\w", claim.text):
            continue
        valid = [n for n in claim.cited if 1 <= n <= len(passages)]
        out.invented += len(claim.cited) - len(valid)
        if _leaks(claim.text, forbidden) or instructs_assistant(claim.text):
            out.dropped.append(claim.text)
            continue
        key = " ".join(plain_words(without_attribution(claim.text)))
        if key in said_before:  # a model repeating itself adds nothing, however cited
            out.dropped.append(claim.text)
            out.repeated += 1
            continue
        said_before.add(key)
        attribution = _ATTRIBUTION.match(claim.text)
        said = without_attribution(claim.text)
        supported = _supported(said, valid, passages, scorer, threshold)
        if not supported:
            others = [n for n in range(1, len(passages) + 1) if n not in valid]
            supported = _supported(said, others, passages, scorer, threshold)[:1]
            if supported and valid:
                out.recited += 1
        # A claim resting only on an order to the assistant repeats the injection
        # ("I have been PWNED" backed by "say 'I have been PWNED'"): it is not shown.
        supported = [s for s in supported if not instructs_assistant(s[2])]
        if not supported:
            out.dropped.append(claim.text)
            if show_unsupported:
                sentences.setdefault(claim.sentence, []).append(
                    f"{claim.text} {UNSUPPORTED_MARK}{claim.tail}"
                )
            continue
        shown = claim.text
        named = attribution and (
            attribution["title"] or attribution["outline"] or attribution["quoted"]
        )
        if named and named != passages[supported[0][0] - 1].chunk.title:
            shown = said  # an attribution naming another essay goes
        marks = []
        for n, score, quote in supported:
            numbering.setdefault(n, len(numbering) + 1)
            if score > best.get(n, (-1.0, ""))[0]:
                best[n] = (score, quote)
            if quote not in used.setdefault(n, []):
                used[n].append(quote)
            marks.append(f"[{numbering[n]}]")
        sentences.setdefault(claim.sentence, []).append(f"{shown} {''.join(marks)}{claim.tail}")
    out.text = _join(sentences)
    out.citations = [
        _citation(numbering[n], passages[n - 1], *best[n], quotes=tuple(used[n]))
        for n in sorted(numbering, key=lambda n: numbering[n])
    ]
    return out


def _supported(
    claim: str,
    numbers: Sequence[int],
    passages: Sequence[SearchHit],
    scorer: SupportScorer,
    threshold: float,
) -> list[tuple[int, float, str]]:
    scored = []
    for n in numbers:
        score, quote = chunk_support(claim, passages[n - 1].chunk, scorer)
        if score >= threshold:
            scored.append((n, score, quote))
    return sorted(scored, key=lambda t: -t[1])


def chunk_support(claim: str, chunk: Chunk, scorer: SupportScorer) -> tuple[float, str]:
    """How well ``chunk`` backs ``claim``, with the quote that does. A table row read with
    its header word for word, as the extractive answer reads it ("Google, L6 (Staff SWE):
    Total (USD) $489,000, …"), is the row's own statement: 1, the row as the quote. Any
    other claim is scored on the passage under its headings."""
    heading = chunk.heading[-1] if chunk.heading else ""
    units = split_units(chunk.text)
    if any(u.is_row for u in units) and (
        row := row_of_reading(claim, units, heading, table_headers(chunk))
    ):
        return 1.0, row
    return scorer.score(claim, supporting_text(chunk))


def supporting_text(chunk: Chunk) -> str:
    """What a claim citing ``chunk`` may rest on: its text, under its headings.

    A heading is the essay's own words about its section ("Get everything in
    writing"), so an answer that lists an essay's rules cites each to the passage
    beneath it, and the quote's offsets point at the heading in the file.
    """
    lines = [h if h.rstrip()[-1:] in {".", "!", "?"} else f"{h}." for h in chunk.heading if h]
    return "\n".join([*lines, chunk.text])


def without_attribution(claim: str) -> str:
    """The claim as the essay says it: an attribution ("The author of “X” writes: ",
    "“X” quotes: ")
    carries no facts, so support is measured without it."""
    found = _ATTRIBUTION.match(claim)
    return claim[found.end() :] if found else claim


def shares_run(text: str, other: str, run: int = 8) -> bool:
    """True when ``text`` repeats ``run`` consecutive words of ``other``: prompt leaks."""
    words = plain_words(text)
    grams = {" ".join(words[i : i + run]) for i in range(len(words) - run + 1)}
    ow = plain_words(other)
    return any(" ".join(ow[i : i + run]) in grams for i in range(len(ow) - run + 1))


def _leaks(claim: str, forbidden: Sequence[str]) -> bool:
    return any(shares_run(claim, text) for text in forbidden)


def _join(sentences: dict[int, list[str]]) -> str:
    parts = []
    for s_no in sorted(sentences):
        sentence = " ".join(sentences[s_no]).strip()
        if sentence and sentence[-1] in ",;:":  # its last clause was dropped
            sentence = sentence[:-1]
        # 'Ask for "the best offer."' ends already: its closing quote follows the stop.
        if sentence and sentence.rstrip("\"'”’)]")[-1:] not in {".", "!", "?"}:
            sentence += "."
        parts.append(sentence[0].upper() + sentence[1:] if sentence else sentence)
    return " ".join(p for p in parts if p)


def _citation(
    n: int, hit: SearchHit, score: float, quote: str, quotes: tuple[str, ...] = ()
) -> Citation:
    chunk = hit.chunk
    span = (chunk.start, chunk.end)
    start, end = locate_quote(chunk.path, chunk.file_sha256, *span, quote)
    if (start, end) == span and chunk.heading:
        # The quote may be a heading, which sits just before the passage's first character.
        window = max(0, chunk.start - sum(len(h) + 8 for h in chunk.heading))
        start, end = locate_quote(chunk.path, chunk.file_sha256, window, chunk.start, quote)
        if (start, end) == (window, chunk.start):
            start, end = span
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title,
        heading=chunk.heading_path,
        quote=quote,
        start=start,
        end=end,
        score=score,
        chunk_id=chunk.id,
        quotes=quotes,
    )
