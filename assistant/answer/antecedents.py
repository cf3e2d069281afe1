"""A chosen sentence that opens by pointing back brings the sentence it points at.

"It's great for people who like to grow their product building skills" was chosen for
"Is it better to join a big company or a startup?"; what "it" is ("In smaller
companies, you will get to wear multiple hats") matched the question less and was left
out, so the answer praised something it never named. An extractive answer quotes
sentences out of their paragraph: one that leans on the sentence before it comes with
that sentence, from the same paragraph, or it reads as about something else.
"""

from __future__ import annotations

import re

from assistant.answer.composing import Candidate
from assistant.search import terms

# A noun of what was said before: "A corollary of this rule…", "The reason for that…";
# not "The rest of this guide…", the essay's own. Or "the same" of it: "Now do the same
# for the project's pull requests." (after a checklist for its issues), "The same applies
# to a user who…". Alone, such a sentence says nothing.
_NAMES_WHAT_WAS_SAID = (
    r"(?:(?:a|an|the)\s+\w+\s+(?:of|for|to|behind)\s+(?:this|that|these|those)"
    r"(?!\s+(?:guide|section|page|article|post|chapter|year|week|month|day|time)s?\b)"
    r"|(?:now,?\s+)?do\s+the\s+same\b|the\s+same\s+(?:goes|applies|is\s+true|holds)\b)"
)
_NAMES_SAID = re.compile(_NAMES_WHAT_WAS_SAID, re.IGNORECASE)
# Openers that stand for what the sentence before said ("It's great for…", "This means…",
# "That way, people are less likely…", "Such projects…", "Doing so…", "A corollary of
# this rule…") and connectives that go on from it ("However, …", "But a candidate having
# multiple offers…", "E.g. applying for…", "Instead, you'll likely…"). Not "Instead
# of…", "In addition to…", "These days…", "Those who…", "This guide…", "So you want
# to…": they open a thought of their own, or the essay's.
_POINTS_BACK = re.compile(
    r"^(?!(?:this|that) (?:year|week|month|time|morning|day|guide|section|page|article|post)\b"
    r"|these (?:days|past)\b|those (?:who|of you)\b|they say\b|so you\b|in addition to\b)"
    r"(?:it|it's|it’s|its|this|that|that's|that’s|these|those|they|they're|they’re|such"
    r"|doing so|that way|this way|otherwise|he|she|and|but|also|in addition|moreover"
    r"|furthermore|in fact|as such|therefore|thus|as a result|on the other hand|similarly"
    r"|likewise|in that case|even so|for example|for instance|e\.g\."
    r"|so(?!\s+(?:many|much|far|long)\b)|however(?=[*_]*\s*[,—–-])|instead(?!\s+of\b)"
    rf"|{_NAMES_WHAT_WAS_SAID})"
    r"(?:\b|(?<=\.))",
    re.IGNORECASE,
)
# "It" that stands for what follows it, not for the sentence before: "It is important to
# ensure…", "It's not uncommon for engineers to…", "It is probably not a good idea to…",
# "It's never too early, or too late, to start…", "It's no secret that…", "It can feel
# scary to share…", "It takes time to…", "It doesn't matter which…". An evaluation of
# what follows, from a closed list: "It is designed to help…", "It's up to you!", "It
# allows you to…", "It's an avenue to…", "It may seem unnatural at first…" point back.
_EVALUATIONS = (
    r"important|essential|crucial|vital|critical|necessary|unnecessary|hard|harder|difficult"
    r"|easy|easier|common|uncommon|rare|possible|impossible|better|best|fine|ok|okay"
    r"|helpful|useful|worth|worthwhile|wise|smart|fair|safe|reasonable|normal|natural"
    r"|tempting|tough|good|bad|great|nice|fun|scary|frustrating|acceptable|advisable"
    r"|discouraging|intimidating|overwhelming|daunting|stressful|exhausting|rewarding"
    r"|recommended|customary|typical|usual|unusual|obvious|clear|true|appropriate|polite"
    r"|rude|early|late|no-brainer|an? (?:good |bad |great )?(?:idea|mistake)"
    r"|no (?:secret|surprise|wonder|doubt)|a (?:no-brainer|must)"
)
_ADVERBS = (
    r"not|never|also|always|often|usually|generally|probably|very|really|so|quite|more"
    r"|most|much|less|perfectly|absolutely|extremely|incredibly|especially|still|even|just"
    r"|too|only|likely"
)
_DUMMY_IT = re.compile(
    r"^it(?:'s|’s|\s+is|\s+was|\s+isn[’']t|\s+wasn[’']t|'ll be|’ll be|'d be|’d be"
    r"|\s+(?:can|may|might|will|would|could|should|won[’']t)\s+(?:be|feel)|\s+feels?)"
    rf"(?:\s+(?:{_ADVERBS}))*\s+(?:{_EVALUATIONS})\b"
    # up to "to"/"that", past "for us, in the long run," but not a relative clause ("It's
    # great for people who like to ship…" praises what the sentence before named).
    r"(?:[\s,]+(?!who\b|which\b|whom\b|whose\b|where\b)[^\s.]+){0,6}?[\s,]+"
    r"(?:to|that|whether|if)\b"
    rf"|^it(?:'ll|’ll|'d|’d|\s+(?:will|can|may|might|could|would|does|doesn[’']t|won[’']t"
    rf"|{_ADVERBS}))*"
    r"\s+(?:takes?|took|matters?|makes?\s+sense|remains|goes\s+without\s+saying"
    r"|turns?\s+out|turned\s+out|(?:help|helps|helped|pay|pays|hurt|hurts)\s+to"
    r"|(?:seems?|seemed|appears?|appeared)\s+(?:that|like|to|as\s+if)"
    r"|(?:has|have)\s+been\s+\w+\s+that)\b",
    re.IGNORECASE,
)
# How far back a chain of such sentences is followed ("…hats. It's great for… It also…").
MAX_BACK = 2
# A sentence with fewer words of its own ("They do.", "Not always.") says too little to be
# what another sentence leans on.
MIN_TERMS = 3


def opens_by_pointing_back(text: str) -> bool:
    """The sentence opens with a word that stands for, or goes on from, the one before."""
    text = text.strip().lstrip("\"“'*_")
    if not _POINTS_BACK.match(text) or text.startswith("IT "):  # "IT departments hire…"
        return False
    return not (text[:2].lower() == "it" and _DUMMY_IT.match(text))


class Antecedents:
    """What each candidate sentence leans on, among ``candidates``: the sentences before it
    in its paragraph that are about the question (relevance ``floor`` or more) and say
    something. A sentence the last answer gave comes along all the same: this answer is
    read on its own."""

    def __init__(self, candidates: list[Candidate], *, floor: float) -> None:
        self._candidates = candidates
        self._row = {(c.n, c.pos): i for i, c in enumerate(candidates)}
        self._floor = floor

    def rows(self, row: int) -> list[int]:
        """Where the sentences candidate ``row`` leans on are, nearest first (at most
        ``MAX_BACK``)."""
        out: list[int] = []
        here, at = self._candidates[row], row
        for _ in range(MAX_BACK):
            if here.unit.is_item or not opens_by_pointing_back(here.unit.text):
                break
            back = self._row.get((here.n, here.pos - 1))
            if back is None:
                break
            before = self._candidates[back]
            if before.unit.is_item or before.unit.line != here.unit.line:
                break  # the paragraph's first sentence: what it points at is not ours
            # What a sentence naming it ("A corollary of this rule…") cannot go without
            # comes whatever its relevance: the rule and its corollary are one piece.
            floor = 0.0 if self._names_said(at) else self._floor
            if before.relevance < floor or len(set(terms(before.unit.text))) < MIN_TERMS:
                # Off the question, not a claim (navigation, a question to the reader), or
                # a fragment: quoting it would explain nothing; the sentence stays alone.
                break
            out.append(back)
            here, at = before, back
        # The farthest sentence brought must not itself name what it follows (a chain
        # cut at MAX_BACK, or a rule that is no claim): it would point at nothing.
        while out and self._names_said(out[-1]):
            out.pop()
        return out

    def orphaned(self, row: int) -> bool:
        """Candidate ``row`` names what the sentence before it said ("A corollary of this
        rule is that you should not reveal…") and that sentence cannot come along
        (:meth:`rows`: another paragraph, a fragment, no claim): quoted alone, it would
        point at nothing. With its rule off the question, it had opened answers on
        negotiation three times in a review's 75 conversations."""
        return self._names_said(row) and not self.rows(row)

    def _names_said(self, row: int) -> bool:
        text = self._candidates[row].unit.text.strip().lstrip("\"“'*_")
        return _NAMES_SAID.match(text) is not None

    def added(self, chosen: list[Candidate]) -> list[Candidate]:
        """``chosen`` plus the sentences each leans on (``chosen`` are ``candidates``)."""
        have = {(c.n, c.pos) for c in chosen}
        out = list(chosen)
        for c in chosen:
            row = self._row.get((c.n, c.pos))
            for back in self.rows(row) if row is not None else []:
                before = self._candidates[back]
                if (before.n, before.pos) not in have:
                    have.add((before.n, before.pos))
                    out.append(before)
        return out
