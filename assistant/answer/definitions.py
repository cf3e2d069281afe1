"""Questions that ask what a term means: "What's BATNA?", "fiscal sponsor meaning",
"What does WIP mean on a pull request?".

Such a question is about its term and nothing else, so the term decides whether the
essays cover it (see :func:`assistant.answer.coverage.term_verdict`). A sentence that
defines "BATNA" answers "What's BATNA?", though the question's vector, two words long,
matches no passage well (cosine 0.23); and no essay that never uses "sponsorware" or
"409A" can say what it is, however well the rest of the question matches ("What's a
409A valuation?" had been answered with a bonus calculation).

Only a question that is nothing but the ask is read so: one sentence, a term of a few
words with no preposition, possessive or punctuation in it. "What does Amazon look
for?", "What is Google like?" or "What's BATNA? And how do I use it?" ask more.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.answer.composing import Candidate
from assistant.answer.coverage import says_what
from assistant.answer.pointers import unacknowledged

# How a definition is asked for, before the term: "What's (a)", "What is (an)", "what are",
# "Can you explain (what) (a)", "define", "meaning of"; "what does/do" only with "mean",
# "stand for" or "do" after the term (see _DOES_AFTER).
_BEFORE = re.compile(
    r"^(?:(?:so|and|but)\s+)?"
    r"(?:(?P<is>what(?:['’]s|s| is| are)|whats|define|definition of|meaning of"
    r"|(?:can|could) you (?:explain|define)(?: what)?|explain(?: what)?)"
    r"|(?P<does>what (?:does|do)))\s+(?:(?:a|an|the)\s+)?",
    re.IGNORECASE,
)
# After "what is X": "…is", "…mean", "…stand for", and where it was met ("mean on a pull
# request"); fillers at the end ("exactly", "actually", "again", "though").
_IS_AFTER = re.compile(
    r"\s+(?:means?|stands? for)\b.*$|(?:,?\s+(?:is|are|exactly|actually|really|again|though"
    r"|then|anyway))+$",
    re.IGNORECASE,
)
# A greeting before the ask is no part of it: "Hi, what is BATNA?".
_GREETING = re.compile(r"^(?:hi|hey|hello|hiya)(?:\s+there)?\s*[,!.]*\s+", re.IGNORECASE)
# After "what does X": "mean…", "stand for…", or "do" ending the question ("What does
# dependabot do?"; not "What does a recruiter do when they ghost you?").
_DOES_AFTER = re.compile(
    r"\s+(?:(?:really|actually|exactly)\s+)*(?:means?|stands? for)\b.*$"
    r"|\s+(?:(?:really|actually|exactly|even|usually|typically)\s+)*do(?:\s+(?:exactly|actually))?$",
    re.IGNORECASE,
)
# Or only a word after it: "batna meaning?", "fiscal sponsor definition".
_SUFFIX = re.compile(r"\s+(?:meaning|definition)$", re.IGNORECASE)
# A term is a few words; a longer "what is…" asks a question of its own.
TERM_WORDS = 3
# A term is words, digits and - . + / & ' (C++, CI/CD, levels.fyi); anything else (a
# comma, brackets, quotes left inside, a colon) and it is a sentence, or markup.
_TERM = re.compile(r"[\w][\w .+/&'’-]*")
# Words that make "what is the …" a question rather than a term: a preposition or
# comparison ("capital of Australia", "Google like", "salary at Google", "RSUs vs
# options"), a possessive ("Stripe's interview"), a pronoun ("it like", "that").
_NOT_IN_A_TERM = re.compile(
    r"(?<![\w-])(?:of|at|for|in|on|to|with|from|about|like|than|as|by|vs|versus|and|or|if"
    r"|when|it|this|that|those|these|they|i|you|my|your|me|we|our|some|worth)(?![\w-])"
    r"|['’]s\b",
    re.IGNORECASE,
)
# First words that ask what counts as good rather than what a word means: "What's a fair
# raise?", "What is a reasonable counter offer?", "What is considered senior?", "What's
# the best way…", "What is the difference…". A closed class, so a list.
_JUDGED = re.compile(
    r"^(?:best|right|most|worst|difference|point|purpose|deal|way|process|goal|reason"
    r"|chances?|odds|good|bad|better|worse|fair|reasonable|strong|weak|typical|normal|average"
    r"|usual|realistic|decent|great|ideal|healthy|appropriate|common|standard|competitive"
    r"|considered|expected|next|wrong|up|going|happening|more|less|important|enough|too"
    # ...or pick one out of many: "What are the main rules?", "What is the biggest
    # mistake?" (their words never meet in one passage, and they are no term).
    r"|main|key|top|major|primary|basic|essential|biggest|largest|hardest|easiest|greatest"
    r"|highest|lowest|latest|real|actual|exact|whole|entire|same|different|other|current"
    r"|general|overall|only)\b",
    re.IGNORECASE,
)


def asked_term(question: str) -> str:
    """The term ``question`` asks the meaning of, as written ("BATNA", "fiscal sponsor",
    "WIP"), or "" when it asks something else."""
    q = _GREETING.sub("", unacknowledged(" ".join(question.split())))
    q = unacknowledged(q).rstrip("?!. ").strip()
    if re.search(r"[.?!]\s", q):
        return ""  # more than one sentence: more than the meaning is asked
    before = _BEFORE.match(q)
    if before and before.group("does"):
        rest = q[before.end() :]
        term = _DOES_AFTER.sub("", rest)
        if term == rest:
            return ""  # "What does Amazon look for?": no "mean" or "do" after it
    elif before:
        term = _IS_AFTER.sub("", q[before.end() :])
    elif _SUFFIX.search(q):
        term = _SUFFIX.sub("", q)
    else:
        return ""  # neither "what is…" nor "…meaning": some other question
    term = term.strip(" \"'“”‘’")
    if (
        not _TERM.fullmatch(term)
        or len(term.split()) > TERM_WORDS
        or _NOT_IN_A_TERM.search(term)
        or _JUDGED.match(term)
    ):
        return ""
    return term


def definition_first(
    candidates: list[Candidate], term: str, n: int, floor: float
) -> list[Candidate]:
    """ "What does WIP mean?": the sentence of passage ``n`` that says what the asked term
    is ("…mark it as a work in progress (WIP).") is picked first, however little two
    words' vector matches it (``coverage.definition`` found the passage). ``floor``: the
    least relevance a sentence is chosen at."""
    if not term:
        return candidates
    top = max([floor, *(c.relevance for c in candidates)])
    return [
        replace(c, relevance=top + 0.01)
        if c.n == n and c.relevance > -1 and says_what(term, c.unit.text)
        else c
        for c in candidates
    ]
